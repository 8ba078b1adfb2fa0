"""stepstream's side of every measure, plus the machine's floor (j) and the profile.

Runs in the harness venv (bench/.venv, stepstream installed from this checkout).
Durability like for like: SQLiteStorage is WAL with `synchronous` NORMAL or FULL as asked;
PostgreSQL commits with the server's default `synchronous_commit=on`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from collections.abc import Callable
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DSN,
    peak_memory_async,
    serve,
    sqlite_tune,
    stored_bytes,
    stream_measure,
    timed_async,
    written_bytes,
)
from pydantic import BaseModel  # noqa: E402

from stepstream import Stepstream, StepContext, create_step, create_workflow  # noqa: E402
from stepstream.storage import PostgresStorage, SQLiteStorage  # noqa: E402

TMP = tempfile.mkdtemp(prefix="stepstream-bench-")
SCHEMA = f"bench_{uuid.uuid4().hex[:10]}"


class V(BaseModel):
    n: int


class Add(BaseModel):
    add: int


def inc_async_step(i: int) -> Any:
    async def execute(ctx: StepContext) -> V:
        return V(n=ctx.input_data.n + 1)

    return create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=execute)


def inc_sync_step(i: int) -> Any:
    return create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=lambda ctx: V(n=ctx.input_data.n + 1))


def chain(n: int, mode: str) -> Any:
    make = inc_async_step if mode == "async" else inc_sync_step
    wf = create_workflow(id=f"chain-{n}-{mode}", input_schema=V, output_schema=V)
    for i in range(n):
        wf.then(make(i))
    return wf.commit()


async def suspend_then_add(ctx: StepContext) -> V:
    if ctx.resume_data is None:
        await ctx.suspend({"item": ctx.input_data.n})
    return V(n=ctx.input_data.n + ctx.resume_data.add)


def resumable() -> Any:
    ask = create_step(id="ask", input_schema=V, output_schema=V, resume_schema=Add, execute=suspend_then_add)
    return create_workflow(id="resumable", input_schema=V, output_schema=V).then(ask).commit()


def storage_for(store: str) -> Any:
    if store.startswith("sqlite"):
        sync = store.split("-")[1].upper()
        return SQLiteStorage(os.path.join(TMP, f"{store}-{uuid.uuid4().hex[:6]}.db"), synchronous=sync)
    if store == "postgres":
        import psycopg

        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        return PostgresStorage(DSN, schema=SCHEMA)
    raise ValueError(f"unknown store {store!r}")


_workflows: dict[tuple[str, str], Any] = {}
_apps: dict[str, Any] = {}


async def workflow(key: str, make: Callable[[], Any], store: str) -> Any:
    """A workflow built once per store: in memory, or registered with one durable app per store."""
    wf = _workflows.get((key, store))
    if wf is not None:
        return wf
    wf = make()
    if store != "memory":
        app = _apps.get(store)
        if app is None:
            app = _apps[store] = Stepstream(storage=storage_for(store))
            await app.setup()
        app.add_workflow(wf)
    _workflows[(key, store)] = wf
    return wf


async def op_chain(reps: int, n: int, mode: str = "async", store: str = "memory") -> dict[str, Any]:
    wf = await workflow(f"chain-{n}-{mode}", lambda: chain(n, mode), store)

    async def one(_i: int) -> None:
        run = await wf.create_run()
        result = await run.start(input_data={"n": 0})
        assert result.status == "success" and result.result.n == n, result

    return {"s": await timed_async(reps, one)}


async def op_resume(reps: int, store: str = "sqlite-normal") -> dict[str, Any]:
    wf = await workflow("resumable", resumable, store)
    suspend: list[float] = []
    resume: list[float] = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run = await wf.create_run()
        first = await run.start(input_data={"n": 1})
        t1 = time.perf_counter()
        done = await run.resume(resume_data={"add": 2})
        t2 = time.perf_counter()
        assert first.status == "suspended" and done.status == "success", (first, done)
        suspend.append(t1 - t0)
        resume.append(t2 - t1)
    return {"suspend": suspend, "resume": resume}


FRESH_CHILD = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
import stepstream_worker as w
from stepstream import Stepstream
from stepstream.storage import SQLiteStorage

async def main(path, run_id):
    app = Stepstream(workflows=[w.resumable()], storage=SQLiteStorage(path))
    await app.setup()
    t0 = time.perf_counter()
    run = await app.get_workflow("resumable").create_run(run_id=run_id)
    result = await run.resume(resume_data={"add": 2})
    elapsed = time.perf_counter() - t0
    await app.close()
    print(json.dumps({"status": result.status, "s": elapsed}))

asyncio.run(main(sys.argv[2], sys.argv[3]))
"""


async def op_resume_fresh(reps: int) -> dict[str, Any]:
    """Suspend here; resume in a new process reading the same SQLite file (timed from the built app)."""
    path = os.path.join(TMP, f"fresh-{uuid.uuid4().hex[:6]}.db")
    app = Stepstream(workflows=[resumable()], storage=SQLiteStorage(path))
    await app.setup()
    samples = []
    for _ in range(reps):
        run = await app.get_workflow("resumable").create_run()
        assert (await run.start(input_data={"n": 1})).status == "suspended"
        here = str(Path(__file__).resolve().parent)
        proc = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", FRESH_CHILD, here, path, run.run_id], capture_output=True, text=True, check=True
        )
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        assert data["status"] == "success", data
        samples.append(data["s"])
    await app.close()
    return {"s": samples}


def fanout_workflow(kind: str, w: int) -> Any:
    if kind == "parallel":
        return create_workflow(id=f"par-{w}", input_schema=V).parallel([inc_async_step(i) for i in range(w)]).commit()
    return create_workflow(id=f"each-{w}", input_schema=list[V]).foreach(inc_async_step(0), concurrency=w).commit()


async def op_fanout(reps: int, kind: str, w: int, memory: bool = True) -> dict[str, Any]:
    wf = fanout_workflow(kind, w)
    data: Any = {"n": 0} if kind == "parallel" else [{"n": i} for i in range(w)]

    async def one(_i: int = 0) -> None:
        run = await wf.create_run()
        result = await run.start(input_data=data)
        assert result.status == "success", result.error

    out: dict[str, Any] = {"s": await timed_async(reps, one)}
    if memory:
        out["mem"] = [await peak_memory_async(one)]
    return out


async def op_foreach_resume(reps: int, w: int) -> dict[str, Any]:
    """W foreach items all suspend; resume `reps` of them (spread over the list) one by one."""
    ask = create_step(id="ask", input_schema=V, output_schema=V, resume_schema=Add, execute=suspend_then_add)
    wf = await workflow(f"each-resume-{w}", lambda: create_workflow(id=f"each-resume-{w}", input_schema=list[V]).foreach(ask, concurrency=w).commit(), "sqlite-normal")
    run = await wf.create_run()
    assert (await run.start(input_data=[{"n": i} for i in range(w)])).status == "suspended"
    picks = sorted({int(k * (w - 1) / max(reps - 1, 1)) for k in range(min(reps, w))})
    samples = []
    for index in picks:
        t0 = time.perf_counter()
        result = await run.resume(resume_data={"add": 1}, for_each_index=index)
        samples.append(time.perf_counter() - t0)
        assert result.status in ("suspended", "success"), result.error
    return {"s": samples}


async def op_stream(reps: int, n: int = 1000, store: str = "memory") -> dict[str, Any]:
    wf = await workflow(f"chain-{n}-async", lambda: chain(n, "async"), store)

    async def one() -> Any:
        run = await wf.create_run()
        return run.stream(input_data={"n": 0})

    return await stream_measure(reps, one)


async def op_bytes(reps: int, n: int) -> dict[str, Any]:
    """Bytes per step of one n-step run on SQLite (NORMAL): written (wchar) and kept (column bytes)."""
    path = os.path.join(TMP, f"bytes-{n}-{uuid.uuid4().hex[:6]}.db")
    async with Stepstream(workflows=[chain(n, "async")], storage=SQLiteStorage(path)) as app:
        wf = app.get_workflow(f"chain-{n}-async")
        await (await wf.create_run()).start(input_data={"n": 0})  # tables, pages and caches warm
        kept0, written0 = stored_bytes(path), written_bytes()
        result = await (await wf.create_run()).start(input_data={"n": 0})
        written = written_bytes() - written0
    assert result.status == "success"
    return {"written": [written / n], "kept": [(stored_bytes(path) - kept0) / n]}


async def op_floor(reps: int) -> dict[str, Any]:
    """What the machine allows at best: a bare await, a validation, a commit, an fsync."""

    async def nothing() -> int:
        return 1

    t0 = time.perf_counter()
    for _ in range(reps * 100):
        await nothing()
    bare = (time.perf_counter() - t0) / (reps * 100)
    t0 = time.perf_counter()
    for i in range(reps * 100):
        V.model_validate({"n": i})
    validate = (time.perf_counter() - t0) / (reps * 100)
    out: dict[str, Any] = {"await": [bare], "validate": [validate]}
    for sync in ("NORMAL", "FULL"):
        conn = sqlite3.connect(os.path.join(TMP, f"floor-{sync}.db"), isolation_level=None)
        sqlite_tune(conn, sync)
        conn.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
        samples = []
        for i in range(reps):
            t0 = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (i % 50, "x" * 100))
            conn.execute("COMMIT")
            samples.append(time.perf_counter() - t0)
        conn.close()
        out[f"sqlite_commit_{sync.lower()}"] = samples
    fd = os.open(os.path.join(TMP, "fsync.bin"), os.O_WRONLY | os.O_CREAT)
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        os.write(fd, b"x" * 100)
        os.fsync(fd)
        samples.append(time.perf_counter() - t0)
    os.close(fd)
    out["fsync"] = samples
    out["postgres_commit"] = await asyncio.to_thread(_postgres_commits, reps)
    return out


def _postgres_commits(reps: int) -> list[float]:
    import psycopg

    samples = []
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE t (k int PRIMARY KEY, v text)")
        for i in range(reps):
            t0 = time.perf_counter()
            conn.execute("INSERT INTO t VALUES (%s, %s) ON CONFLICT (k) DO UPDATE SET v = excluded.v", (i % 50, "x" * 100))
            samples.append(time.perf_counter() - t0)
    return samples


async def op_profile(reps: int, n: int = 100, store: str = "memory") -> dict[str, Any]:
    """pyinstrument over `reps` runs of the n-step chain; the text report's top lines."""
    from pyinstrument import Profiler

    wf = await workflow(f"chain-{n}-async", lambda: chain(n, "async"), store)
    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    for _ in range(reps):
        await (await wf.create_run()).start(input_data={"n": 0})
    profiler.stop()
    return {"text": profiler.output_text(unicode=False, color=False, show_all=False)}


async def op_close(reps: int) -> dict[str, Any]:
    for app in _apps.values():
        await app.close()
    _apps.clear()
    _workflows.clear()
    await asyncio.to_thread(_drop_schema)
    return {}


def _drop_schema() -> None:
    try:
        import psycopg

        with psycopg.connect(DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    except Exception:  # PostgreSQL down: nothing was created there
        pass


if __name__ == "__main__":
    serve(
        {
            "chain": op_chain,
            "resume": op_resume,
            "resume_fresh": op_resume_fresh,
            "fanout": op_fanout,
            "foreach_resume": op_foreach_resume,
            "stream": op_stream,
            "bytes": op_bytes,
            "floor": op_floor,
            "profile": op_profile,
            "close": op_close,
        }
    )
