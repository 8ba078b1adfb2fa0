"""stepstream's side of every measure, plus the machine's floor (j) and the profile.

Runs in the harness venv (bench/.venv, stepstream installed from this checkout).
Durability like for like: SQLiteStorage is WAL with `synchronous` NORMAL or FULL as asked;
PostgreSQL commits with the server's default `synchronous_commit=on`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DSN,
    CommitCounter,
    Ticker,
    create_schema,
    drop_schema,
    peak_memory_async,
    serve,
    sqlite_tune,
    stored_bytes,
    stream_measure,
    timed_async,
    warmups,
    written_bytes,
)
from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage, PostgresStorage, SQLiteStorage

TMP = tempfile.mkdtemp(prefix="stepstream-bench-")
HERE = str(Path(__file__).resolve().parent)
SCHEMA = f"bench_{uuid.uuid4().hex[:10]}"


class V(BaseModel):
    n: int


class Add(BaseModel):
    add: int


def inc_async_step(i: int) -> Any:
    async def execute(ctx: StepContext) -> V:
        return V(n=ctx.input_data.n + 1)

    return create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=execute)


def inc_sync_step(i: int, inline: bool = False) -> Any:
    return create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=lambda ctx: V(n=ctx.input_data.n + 1), inline=inline)


def chain(n: int, mode: str) -> Any:
    """`mode`: "async" steps, "sync" steps (on a worker thread, the default) or "sync-inline"."""
    make = {"async": inc_async_step, "sync": inc_sync_step, "sync-inline": lambda i: inc_sync_step(i, inline=True)}[mode]
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


class NoLog(SQLiteStorage):
    """SQLite keeping no event log (the engine then builds no events without an in-process reader):
    the event log's cost is the difference with SQLiteStorage."""

    keeps_events = False


def storage_for(store: str) -> Any:
    if store.startswith("sqlite"):
        sync = store.split("-")[1].upper()
        cls = NoLog if store.endswith("-nolog") else SQLiteStorage
        return cls(os.path.join(TMP, f"{store}-{uuid.uuid4().hex[:6]}.db"), synchronous=sync)
    if store == "postgres":
        create_schema(SCHEMA)
        return PostgresStorage(DSN, schema=SCHEMA)
    raise ValueError(f"unknown store {store!r}")


_workflows: dict[tuple[str, str], Any] = {}
_apps: dict[str, Any] = {}


async def workflow(key: str, make: Callable[[], Any], store: str) -> Any:
    """A workflow built once per store: in memory, or registered with one durable app per store.

    Every in-memory workflow gets an empty storage at each call (each batch of samples, of
    any measure): its runs are kept as Mastra keeps them, but the worker does not carry any
    earlier batch's runs to the next measure (some 100,000 steps: full collections over them
    held the loop 11 ms in a later measure, and made every step of a late batch pay for them)."""
    for (_, kept_in), built in _workflows.items():
        if kept_in == "memory":
            built.bind_storage(InMemoryStorage())  # drops the runs of every earlier batch
    wf = _workflows.get((key, store))
    if wf is None:
        wf = _workflows[(key, store)] = await _made(make, store)
        if store == "memory":
            wf.bind_storage(InMemoryStorage())
    return wf


async def _made(make: Callable[[], Any], store: str) -> Any:
    """`make()`, registered with the store's app when the store is durable."""
    wf = make()
    if store != "memory":
        app = _apps.get(store)
        if app is None:
            app = _apps[store] = Stepstream(storage=storage_for(store))
            await app.setup()
        app.add_workflow(wf)
    return wf


async def op_chain(reps: int, n: int, mode: str = "async", store: str = "memory") -> dict[str, Any]:
    wf = await workflow(f"chain-{n}-{mode}", lambda: chain(n, mode), store)

    async def one(_i: int) -> None:
        run = await wf.create_run()
        result = await run.start(input_data={"n": 0})
        assert result.status == "success" and result.result.n == n, result

    return {"s": await timed_async(reps, one, warmups(reps))}


async def op_commits(reps: int, n: int = 3, mode: str = "async", store: str = "sqlite-full") -> dict[str, Any]:
    """Commits per durable n-step run, counted on a storage of its own (untimed: tracing SQL costs)."""
    counter = CommitCounter()
    undo = counter.patch_connect()
    try:
        storage = storage_for(store)
        await storage.setup()
    finally:
        undo()
    async with Stepstream(workflows=[chain(n, mode)], storage=storage) as app:
        wf = app.get_workflow(f"chain-{n}-{mode}")
        await (await wf.create_run()).start(input_data={"n": 0})  # tables and caches warm
        counter.commits = 0
        for _ in range(reps):
            result = await (await wf.create_run()).start(input_data={"n": 0})
            assert result.status == "success", result.error
    return {"commits": [counter.commits / reps]}


async def op_long_run(reps: int, n: int = 5000, store: str = "sqlite-normal") -> dict[str, Any]:
    """(f) an n-step durable run (`start`, no reader) beside the 1 ms ticker: wall time and worst stall."""
    wf = await workflow(f"chain-{n}-async", lambda: chain(n, "async"), store)
    wall: list[float] = []
    stall: list[float] = []
    stall_held: list[float] = []
    for _ in range(reps):
        run = await wf.create_run()
        async with Ticker() as ticker:
            t0 = time.perf_counter()
            result = await run.start(input_data={"n": 0})
            wall.append(time.perf_counter() - t0)
        assert result.status == "success" and result.result.n == n, result.status
        stall.append(ticker.worst)
        stall_held.append(ticker.worst_held)
    return {"s": wall, "stall": stall, "stall_held": stall_held}


async def op_blocking(reps: int, inline: bool, block: float = 0.2, runs: int = 4) -> dict[str, Any]:
    """(f) `runs` concurrent runs of one sync step that blocks (time.sleep) for `block` seconds:
    on worker threads they overlap and the loop keeps ticking; inline they hold the loop in turn."""

    def sleep(ctx: StepContext) -> int:
        time.sleep(block)
        return 1

    wf = create_workflow(id=f"block-{inline}").then(create_step(id="block", execute=sleep, inline=inline)).commit()
    await asyncio.gather(*[(await wf.create_run()).start() for _ in range(runs)])  # worker threads started
    wall: list[float] = []
    stall: list[float] = []
    stall_held: list[float] = []
    for _ in range(reps):
        created = [await wf.create_run() for _ in range(runs)]
        async with Ticker() as ticker:
            t0 = time.perf_counter()
            results = await asyncio.gather(*(r.start() for r in created))
            wall.append(time.perf_counter() - t0)
        assert all(r.status == "success" for r in results)
        stall.append(ticker.worst)
        stall_held.append(ticker.worst_held)
    return {"s": wall, "stall": stall, "stall_held": stall_held}


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
        proc = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", FRESH_CHILD, HERE, path, run.run_id], capture_output=True, text=True, check=True
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
    """W foreach items all suspend; resume `reps` of them (spread over the list) one by one.

    Each call has a database of its own: in the one the other durable measures share, the
    rows they left made every resume slower as the bench went on, whatever W (the second
    round's samples were 1.3-1.7x the first's), and W's cases ran at different points of it."""
    ask = create_step(id="ask", input_schema=V, output_schema=V, resume_schema=Add, execute=suspend_then_add)
    each = create_workflow(id=f"each-resume-{w}", input_schema=list[V]).foreach(ask, concurrency=w).commit()
    path = os.path.join(TMP, f"each-resume-{w}-{uuid.uuid4().hex[:6]}.db")
    samples = []
    try:
        async with Stepstream(workflows=[each], storage=SQLiteStorage(path, synchronous="NORMAL")) as app:
            wf = app.get_workflow(f"each-resume-{w}")
            run = await wf.create_run()
            assert (await run.start(input_data=[{"n": i} for i in range(w)])).status == "suspended"
            picks = sorted({int(k * (w - 1) / max(reps - 1, 1)) for k in range(min(reps, w))})
            for index in picks:
                t0 = time.perf_counter()
                result = await run.resume(resume_data={"add": 1}, for_each_index=index)
                samples.append(time.perf_counter() - t0)
                assert result.status in ("suspended", "success"), result.error
    finally:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)
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
    warm = min(n, 10)  # a short run first: tables, pages and caches warm (a 1,000-step warm-up doubles the cost)
    async with Stepstream(
        workflows=[chain(n, "async"), *([chain(warm, "async")] if warm != n else [])], storage=SQLiteStorage(path)
    ) as app:
        wf = app.get_workflow(f"chain-{n}-async")
        await (await app.get_workflow(f"chain-{warm}-async").create_run()).start(input_data={"n": 0})
        kept0, written0 = stored_bytes(path), written_bytes()
        result = await (await wf.create_run()).start(input_data={"n": 0})
        written = written_bytes() - written0
    assert result.status == "success"
    return {"written": [written / n], "kept": [(stored_bytes(path) - kept0) / n]}


async def op_floor(reps: int) -> dict[str, Any]:
    """What the machine allows at best: a bare await, a validation, a thread hop, a commit, an fsync."""

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
    t0 = time.perf_counter()
    for _ in range(reps * 10):
        os.urandom(16)  # what `uuid.uuid4()` costs: one getrandom system call
    syscall = (time.perf_counter() - t0) / (reps * 10)
    out: dict[str, Any] = {"await": [bare], "validate": [validate], "syscall": [syscall]}
    # What any engine that runs sync code off the loop pays per call: a no-op handed to a
    # worker thread and its result back on the loop (asyncio's default executor).
    loop = asyncio.get_running_loop()
    hops = []
    for _ in range(reps):
        t0 = time.perf_counter()
        await loop.run_in_executor(None, int)
        hops.append(time.perf_counter() - t0)
    out["thread_hop"] = hops
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
    out["fdatasync"] = _page_syncs(reps)
    out["postgres_commit"] = await asyncio.to_thread(_postgres_commits, reps)
    return out


def _page_syncs(reps: int) -> list[float]:
    """A 4 KiB page overwritten in a file of fixed size, then fdatasync: what a WAL commit at
    `synchronous=FULL` waits for (SQLite reuses its WAL file and syncs it with fdatasync)."""
    fd = os.open(os.path.join(TMP, "wal-like.bin"), os.O_RDWR | os.O_CREAT)
    try:
        os.pwrite(fd, b"\0" * (1 << 20), 0)
        os.fsync(fd)
        samples = []
        for i in range(reps):
            t0 = time.perf_counter()
            os.pwrite(fd, b"x" * 4096, (i % 256) * 4096)
            os.fdatasync(fd)
            samples.append(time.perf_counter() - t0)
        return samples
    finally:
        os.close(fd)


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


PROFILES = {
    "chain": "the 100-step async chain in memory",
    "sync": "the 100-step sync chain in memory (steps on worker threads; the loop thread is sampled)",
    "durable": "the 3-step run on SQLite NORMAL",
    "foreach_resume": "resuming one of 1,000 suspended foreach items (SQLite NORMAL)",
}


async def _profiled_work(what: str, reps: int) -> Callable[[], Any]:
    """The work a profile samples (built, and warmed once, before the profiler starts)."""
    if what in ("chain", "sync", "durable"):
        n, mode, store = {"chain": (100, "async", "memory"), "sync": (100, "sync", "memory"), "durable": (3, "async", "sqlite-normal")}[
            what
        ]
        wf = await workflow(f"chain-{n}-{mode}", lambda: chain(n, mode), store)

        async def runs() -> None:
            for _ in range(reps):
                await (await wf.create_run()).start(input_data={"n": 0})

        await (await wf.create_run()).start(input_data={"n": 0})
        return runs
    w = 1000
    ask = create_step(id="ask", input_schema=V, output_schema=V, resume_schema=Add, execute=suspend_then_add)
    wf = create_workflow(id=f"profile-each-{w}", input_schema=list[V]).foreach(ask, concurrency=w).commit()
    wf = await workflow(wf.id, lambda: wf, "sqlite-normal")
    run = await wf.create_run()
    assert (await run.start(input_data=[{"n": i} for i in range(w)])).status == "suspended"

    async def resumes() -> None:
        for index in range(min(reps, w - 1)):
            await run.resume(resume_data={"add": 1}, for_each_index=index)

    return resumes


async def op_profile(reps: int, what: str = "chain") -> dict[str, Any]:
    """pyinstrument over `reps` repetitions of a hot path (PROFILES): self time by function and by layer."""
    from pyinstrument import Profiler

    work = await _profiled_work(what, reps)
    profiler = Profiler(interval=0.0001, async_mode="disabled")
    profiler.start()
    await work()
    profiler.stop()
    session = profiler.last_session
    assert session is not None
    by_fn: dict[str, float] = {}
    by_pkg: dict[str, float] = {}
    root = session.root_frame()
    stack: list[tuple[Any, Any]] = [(root, root)] if root is not None else []
    while stack:
        frame, owner = stack.pop()
        if frame.is_synthetic:  # pyinstrument's "[self]"/"[await]" leaves: time of the frame above
            frame_owner = owner
        else:
            frame_owner = frame
        stack.extend((child, frame_owner) for child in frame.children)
        own = frame.time - sum(child.time for child in frame.children)
        if own <= 0:
            continue
        path = frame_owner.file_path or ""
        short = path.split("site-packages/")[-1].split("/src/")[-1]
        key = f"{frame_owner.function} ({short}:{frame_owner.line_no})"
        by_fn[key] = by_fn.get(key, 0.0) + own
        pkg = _package(path, frame_owner.function)
        by_pkg[pkg] = by_pkg.get(pkg, 0.0) + own
    total = sum(by_pkg.values()) or 1.0
    top = sorted(by_fn.items(), key=lambda kv: -kv[1])[:12]
    return {
        "what": [PROFILES[what]],
        "by_package": [{"name": k, "share": v / total} for k, v in sorted(by_pkg.items(), key=lambda kv: -kv[1])],
        "top": [{"name": k, "share": v / total} for k, v in top],
        "runs": [reps],
        "seconds": [total],
    }


_BUILTINS = (
    (("Connection.", "Cursor."), "sqlite3 (C)"),
    (("epoll.", "select."), "waiting in epoll (loop idle: threads, I/O)"),
    (("SchemaValidator.", "SchemaSerializer.", "to_json", "to_jsonable_python", "from_json"), "pydantic-core (C)"),
    (("SimpleQueue.", "Lock.", "lock.", "Condition."), "thread hand-off (C)"),
)


def _package(path: str, function: str = "") -> str:
    """Which layer a frame's self time belongs to (C builtins by what they are)."""
    if path.startswith("<built-in>") or not path:
        for prefixes, layer in _BUILTINS:
            if function.startswith(prefixes):
                return layer
        return "other C builtins"
    if "/stepstream/" in path:
        return "stepstream." + path.split("/stepstream/", 1)[1].split("/")[0].removesuffix(".py")
    for name in ("pydantic_core", "pydantic", "asyncio", "opentelemetry", "typing", "json"):
        if f"/{name}/" in path or path.endswith(f"/{name}.py"):
            return name
    return "other (stdlib, interpreter)"


async def op_temporal_chain(reps: int, n: int, target: str) -> dict[str, Any]:
    """stepstream on Temporal: the n-step async chain with a `TemporalExecutor` on the dev server at
    `target`, its worker (`create_worker`) in this process, as plain Temporal's worker runs in its
    own (bench/workers/temporal_worker.py); SQLite NORMAL storage. -> {"s": [seconds per run]}.
    The harness calls it only where `stepstream.temporal` has a TemporalExecutor."""
    from stepstream.temporal import TemporalExecutor, create_worker  # type: ignore[attr-defined, unused-ignore]

    queue = f"bench-stepstream-{uuid.uuid4().hex[:8]}"
    app = Stepstream(
        workflows=[chain(n, "async")], storage=storage_for("sqlite-normal"), executor=TemporalExecutor(target, task_queue=queue)
    )
    await app.setup()
    try:
        async with await create_worker(app):
            wf = app.get_workflow(f"chain-{n}-async")

            async def one(_i: int) -> None:
                result = await (await wf.create_run()).start(input_data={"n": 0})
                assert result.status == "success", result.error

            await one(0)  # the first run pays for the worker's start
            return {"s": await timed_async(reps, one)}
    finally:
        await app.close()


async def op_temporal_sandbox(reps: int, target: str) -> dict[str, Any]:
    """Per run of a workflow with no step that imports stepstream (temporal_flows.Tiny), in
    Temporal's default sandbox and with `stepstream.temporal.workflow_runner` passing it through."""
    from temporal_flows import Tiny
    from temporalio.client import Client
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from stepstream.temporal import workflow_runner

    client = await Client.connect(target)
    out: dict[str, list[float]] = {}
    for name, runner in (("sandbox", SandboxedWorkflowRunner()), ("passthrough", workflow_runner("temporal_flows"))):
        queue = f"bench-tiny-{uuid.uuid4().hex}"
        async with Worker(client, task_queue=queue, workflows=[Tiny], workflow_runner=runner):

            async def one(_i: int, queue: str = queue) -> None:
                await client.execute_workflow(Tiny.run, id=f"tiny-{uuid.uuid4().hex}", task_queue=queue)

            await one(0)
            out[name] = await timed_async(reps, one)
    return out


def _tracing_variants() -> dict[str, Callable[[], None]]:
    """(off) the shipped path, no provider; (none) no interceptor looked up at all, not even
    the provider check; (on) the OpenTelemetry SDK with an in-memory exporter."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from stepstream import tracing
    from stepstream.engine import _intercept

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    shipped = _intercept.configured

    def variant(name: str) -> Callable[[], None]:
        def setup() -> None:
            _intercept.configured = shipped
            tracing.set_tracer_provider(provider if name == "on" else None)
            exporter.clear()
            if name == "none":
                _intercept.configured = lambda executor: ()

        return setup

    return {k: variant(k) for k in ("off", "none", "on")}


async def op_tracing(reps: int, n: int = 100) -> dict[str, Any]:
    """Tracing hooks' cost with no provider: one run of each variant per iteration, in rotating
    order, so drift hits all alike; seconds per run per variant, and the paired differences."""
    wf = chain(n, "sync")
    setups = _tracing_variants()
    out: dict[str, list[float]] = {k: [] for k in setups}

    async def one(name: str) -> None:
        setups[name]()
        t0 = time.perf_counter()
        result = await (await wf.create_run()).start(input_data={"n": 0})
        out[name].append(time.perf_counter() - t0)
        assert result.status == "success"

    orders = (("off", "none", "on"), ("none", "on", "off"), ("on", "off", "none"))
    for i in range(reps):
        for name in orders[i % 3]:
            await one(name)
    setups["off"]()
    out["paired"] = [a - b for a, b in zip(out["off"], out["none"], strict=True)]
    return out


async def op_close(reps: int) -> dict[str, Any]:
    for app in _apps.values():
        await app.close()
    _apps.clear()
    _workflows.clear()
    await asyncio.to_thread(drop_schema, SCHEMA)
    return {}


if __name__ == "__main__":
    serve(
        {
            "chain": op_chain,
            "commits": op_commits,
            "long_run": op_long_run,
            "blocking": op_blocking,
            "resume": op_resume,
            "resume_fresh": op_resume_fresh,
            "fanout": op_fanout,
            "foreach_resume": op_foreach_resume,
            "stream": op_stream,
            "bytes": op_bytes,
            "floor": op_floor,
            "profile": op_profile,
            "temporal_chain": op_temporal_chain,
            "temporal_sandbox": op_temporal_sandbox,
            "tracing": op_tracing,
            "close": op_close,
        }
    )
