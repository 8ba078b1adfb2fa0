"""LangGraph's side (bench/.venv-langgraph): StateGraph with TypedDict state, one node per step.

`mode` "sync" runs sync nodes with `invoke` (inline, in the caller's thread), "async" runs async
nodes with `ainvoke` (on the loop), "async-sync" runs sync nodes with `ainvoke` (LangGraph runs
them in its thread pool, as stepstream runs a sync step on a worker thread by default).
Durable stores use `durability="sync"` (each step's checkpoint is committed before the next
step runs, as stepstream commits each step): SqliteSaver/AsyncSqliteSaver on a WAL database
with `synchronous` NORMAL or FULL as asked; PostgresSaver/AsyncPostgresSaver with the
server's default `synchronous_commit=on`.
"""

from __future__ import annotations

import itertools
import operator
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated, Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DSN,
    CommitCounter,
    create_schema,
    drop_schema,
    peak_memory_async,
    serve,
    sqlite_tune,
    stored_bytes,
    stream_measure,
    timed,
    timed_async,
    warmups,
    written_bytes,
)
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send, interrupt

TMP = tempfile.mkdtemp(prefix="langgraph-bench-")
SCHEMA = f"bench_lg_{uuid.uuid4().hex[:8]}"


class State(TypedDict):
    n: int


def sync_inc(state: State) -> State:
    return {"n": state["n"] + 1}


async def async_inc(state: State) -> State:
    return {"n": state["n"] + 1}


def chain_builder(n: int, mode: str) -> StateGraph[Any]:
    builder = StateGraph(State)
    names = [f"s{i}" for i in range(n)]
    for name in names:
        builder.add_node(name, async_inc if mode == "async" else sync_inc)
    builder.add_edge(START, names[0])
    for a, b in itertools.pairwise(names):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], END)
    return builder


_savers: dict[tuple[str, str], Any] = {}
_closers: list[Any] = []


def saver_for(store: str, mode: str) -> Any:
    """One checkpointer per (store, mode), kept open for the worker's life (`ainvoke` modes share
    the async checkpointers)."""
    mode = "sync" if mode == "sync" else "async"
    key = (store, mode)
    if store == "memory":
        return None
    if key in _savers:
        return _savers[key]
    if store.startswith("sqlite"):
        path = os.path.join(TMP, f"{store}-{mode}.db")
        sync = store.split("-")[1].upper()
        if mode == "sync":
            from langgraph.checkpoint.sqlite import SqliteSaver

            conn = sqlite3.connect(path, check_same_thread=False)
            sqlite_tune(conn, sync)
            saver: Any = SqliteSaver(conn)
            _closers.append(conn.close)
        else:
            import aiosqlite
            from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

            async def open_async() -> Any:
                conn = await aiosqlite.connect(path)
                await conn.execute("PRAGMA journal_mode=WAL")
                await conn.execute(f"PRAGMA synchronous={sync}")
                _closers.append(conn.close)
                return AsyncSqliteSaver(conn)

            saver = _run_async(open_async())
    elif store == "postgres":
        import psycopg
        from psycopg.rows import dict_row

        create_schema(SCHEMA)
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "options": f"-c search_path={SCHEMA}",
        }
        if mode == "sync":
            from langgraph.checkpoint.postgres import PostgresSaver

            pconn = psycopg.Connection.connect(DSN, **kwargs)
            saver = PostgresSaver(pconn)
            saver.setup()
            _closers.append(pconn.close)
        else:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

            async def open_pg() -> Any:
                aconn = await psycopg.AsyncConnection.connect(DSN, **kwargs)
                s = AsyncPostgresSaver(aconn)
                await s.setup()
                _closers.append(aconn.close)
                return s

            saver = _run_async(open_pg())
    else:
        raise ValueError(f"unknown store {store!r}")
    _savers[key] = saver
    return saver


def _run_async(coro: Any) -> Any:
    import asyncio

    return asyncio.get_event_loop().run_until_complete(coro)


_graphs: dict[tuple[Any, ...], Any] = {}


def graph(kind: str, n: int, mode: str, store: str) -> Any:
    key = (kind, n, mode, store)
    if key not in _graphs:
        builder = chain_builder(n, mode) if kind == "chain" else resumable_builder()
        _graphs[key] = builder.compile(checkpointer=saver_for(store, mode))
    return _graphs[key]


def config(n: int) -> dict[str, Any]:
    return {"configurable": {"thread_id": uuid.uuid4().hex}, "recursion_limit": n + 10}


def op_chain(reps: int, n: int, mode: str = "async", store: str = "memory") -> Any:
    g = graph("chain", n, mode, store)
    durability = {} if store == "memory" else {"durability": "sync"}
    if mode == "sync":

        def one(_i: int) -> None:
            out = g.invoke({"n": 0}, config(n), **durability)
            assert out["n"] == n

        return {"s": timed(reps, one, warmups(reps))}

    async def aone(_i: int) -> None:
        out = await g.ainvoke({"n": 0}, config(n), **durability)
        assert out["n"] == n

    return _measure_async(reps, aone, warmups(reps))


async def _measure_async(reps: int, fn: Any, warmup: int = 0) -> dict[str, Any]:
    return {"s": await timed_async(reps, fn, warmup)}


class Item(TypedDict):
    n: int


def resumable_builder() -> StateGraph[Any]:
    def ask(state: State) -> State:
        answer = interrupt({"item": state["n"]})
        return {"n": state["n"] + answer["add"]}

    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder


def op_commits(reps: int, n: int = 3, mode: str = "sync", store: str = "sqlite-full") -> dict[str, Any]:
    """Commits per durable n-step `invoke` (durability="sync") on a SqliteSaver of its own, counted
    from the SQL its connection runs (untimed)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    if mode != "sync" or not store.startswith("sqlite"):
        raise ValueError("commits are counted for invoke + SqliteSaver")
    counter = CommitCounter()
    conn = sqlite3.connect(os.path.join(TMP, f"commits-{uuid.uuid4().hex[:6]}.db"), check_same_thread=False)
    sqlite_tune(conn, store.split("-")[1].upper())
    saver = SqliteSaver(conn)
    saver.setup()
    g = chain_builder(n, "sync").compile(checkpointer=saver)
    g.invoke({"n": 0}, config(n), durability="sync")
    counter.attach(conn)
    for _ in range(reps):
        assert g.invoke({"n": 0}, config(n), durability="sync")["n"] == n
    conn.close()
    return {"commits": [counter.commits / reps]}


def op_resume(reps: int, store: str = "sqlite-normal") -> dict[str, Any]:
    g = graph("resumable", 1, "sync", store)
    suspend: list[float] = []
    resume: list[float] = []
    for _ in range(reps):
        cfg = config(1)
        t0 = time.perf_counter()
        first = g.invoke({"n": 1}, cfg, durability="sync")
        t1 = time.perf_counter()
        done = g.invoke(Command(resume={"add": 2}), cfg, durability="sync")
        t2 = time.perf_counter()
        assert "__interrupt__" in first and done["n"] == 3, (first, done)
        suspend.append(t1 - t0)
        resume.append(t2 - t1)
    return {"suspend": suspend, "resume": resume}


FRESH_CHILD = r"""
import json, sqlite3, sys, time
sys.path.insert(0, sys.argv[1])
import langgraph_worker as w
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

conn = sqlite3.connect(sys.argv[2], check_same_thread=False)
w.sqlite_tune(conn, "NORMAL")
g = w.resumable_builder().compile(checkpointer=SqliteSaver(conn))
t0 = time.perf_counter()
done = g.invoke(Command(resume={"add": 2}), {"configurable": {"thread_id": sys.argv[3]}}, durability="sync")
print(json.dumps({"n": done["n"], "s": time.perf_counter() - t0}))
"""


def op_resume_fresh(reps: int) -> dict[str, Any]:
    import json
    import subprocess

    g = graph("resumable", 1, "sync", "sqlite-normal")
    path = os.path.join(TMP, "sqlite-normal-sync.db")
    samples = []
    for _ in range(reps):
        cfg = config(1)
        g.invoke({"n": 1}, cfg, durability="sync")
        here = str(Path(__file__).resolve().parent)
        proc = subprocess.run(
            [sys.executable, "-c", FRESH_CHILD, here, path, cfg["configurable"]["thread_id"]], capture_output=True, text=True, check=True
        )
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        assert data["n"] == 3, data
        samples.append(data["s"])
    return {"s": samples}


class Fan(TypedDict):
    n: Annotated[int, operator.add]


class Each(TypedDict):
    items: list[int]
    out: Annotated[list[int], operator.add]


def fanout_graph(kind: str, w: int) -> Any:
    if kind == "parallel":
        builder: Any = StateGraph(Fan)

        async def one(state: Fan) -> Fan:
            return {"n": 1}

        for i in range(w):
            builder.add_node(f"s{i}", one)
            builder.add_edge(START, f"s{i}")
            builder.add_edge(f"s{i}", END)
        return builder.compile()
    builder = StateGraph(Each)

    async def item(state: Item) -> dict[str, list[int]]:
        return {"out": [state["n"] + 1]}

    builder.add_node("item", item)
    builder.add_conditional_edges(START, lambda s: [Send("item", {"n": n}) for n in s["items"]], ["item"])
    builder.add_edge("item", END)
    return builder.compile()


async def op_fanout(reps: int, kind: str, w: int, memory: bool = True) -> dict[str, Any]:
    g = fanout_graph(kind, w)
    data: Any = {"n": 0} if kind == "parallel" else {"items": list(range(w)), "out": []}

    async def one(_i: int = 0) -> None:
        out = await g.ainvoke(data, config(w))
        assert (out["n"] if kind == "parallel" else len(out["out"])) == w

    out: dict[str, Any] = {"s": await timed_async(reps, one)}
    if memory:
        out["mem"] = [await peak_memory_async(one)]
    return out


async def op_stream(reps: int, n: int = 1000, store: str = "memory") -> dict[str, Any]:
    g = graph("chain", n, "async", store)

    async def one() -> Any:
        return g.astream({"n": 0}, config(n), stream_mode="updates")

    return await stream_measure(reps, one)


def op_bytes(reps: int, n: int) -> dict[str, Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = os.path.join(TMP, f"bytes-{n}-{uuid.uuid4().hex[:6]}.db")
    conn = sqlite3.connect(path, check_same_thread=False)
    sqlite_tune(conn, "NORMAL")
    saver = SqliteSaver(conn)
    g = chain_builder(n, "sync").compile(checkpointer=saver)
    warm = min(n, 10)  # a short run first: tables and caches warm
    chain_builder(warm, "sync").compile(checkpointer=saver).invoke({"n": 0}, config(warm), durability="sync")
    kept0, written0 = stored_bytes(path), written_bytes()
    g.invoke({"n": 0}, config(n), durability="sync")
    written = written_bytes() - written0
    conn.close()
    return {"written": [written / n], "kept": [(stored_bytes(path) - kept0) / n]}


def op_close(reps: int) -> dict[str, Any]:
    import asyncio
    import inspect

    for close in _closers:
        value = close()
        if inspect.isawaitable(value):
            asyncio.get_event_loop().run_until_complete(value)
    _closers.clear()
    _savers.clear()
    _graphs.clear()
    drop_schema(SCHEMA)
    return {}


if __name__ == "__main__":
    serve(
        {
            "chain": op_chain,
            "commits": op_commits,
            "resume": op_resume,
            "resume_fresh": op_resume_fresh,
            "fanout": op_fanout,
            "stream": op_stream,
            "bytes": op_bytes,
            "close": op_close,
        }
    )
