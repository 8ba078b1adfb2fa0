"""Durable 3-step runs at both SQLite settings, side by side in one run, with the disk's fsync cost.

- stepstream `SQLiteStorage(synchronous=...)` and LangGraph's `SqliteSaver`
  (`durability="sync"`, the same PRAGMA set on its connection) at NORMAL and at FULL;
- at FULL every commit waits for the disk: the transactions one stepstream run makes
  (counted), and the disk's own fsync cost (4 KiB write + fsync, same folder).

    python bench/durable_sync.py [--runs 200]

Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

sys.path.insert(0, str(Path(__file__).parent))

from durable import chain

from stepstream import Stepstream
from stepstream.storage import SQLiteStorage


class CountingStorage(SQLiteStorage):
    """Counts the transactions the engine asks for (each call below is one commit)."""

    commits = 0

    async def create_run(self, *args: Any, **kwargs: Any) -> Any:
        CountingStorage.commits += 1
        return await super().create_run(*args, **kwargs)

    async def update_run(self, *args: Any, **kwargs: Any) -> Any:
        CountingStorage.commits += 1
        return await super().update_run(*args, **kwargs)

    async def save_step(self, *args: Any, **kwargs: Any) -> Any:
        CountingStorage.commits += 1
        return await super().save_step(*args, **kwargs)

    async def append_events(self, *args: Any, **kwargs: Any) -> Any:
        CountingStorage.commits += 1
        return await super().append_events(*args, **kwargs)


async def stepstream_runs(path: str, runs: int, synchronous: str) -> tuple[float, float]:
    """(median ms/run, commits per run)."""
    storage = CountingStorage(path, synchronous=synchronous)
    async with Stepstream(workflows=[chain("three", 3)], storage=storage) as app:
        wf = app.get_workflow("three")
        samples = []
        CountingStorage.commits = 0
        for i in range(runs):
            t0 = time.perf_counter()
            run = await wf.create_run(f"r{i}")
            result = await run.start(input_data={"n": 0})
            samples.append(time.perf_counter() - t0)
            assert result.status == "success"
        commits = CountingStorage.commits / runs
    return statistics.median(samples) * 1000, commits


def langgraph_runs(path: str, runs: int, synchronous: str) -> float:
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        n: int

    def inc(state: State) -> State:
        return {"n": state["n"] + 1}

    builder = StateGraph(State)
    for name in ("s0", "s1", "s2"):
        builder.add_node(name, inc)
    builder.add_edge(START, "s0")
    builder.add_edge("s0", "s1")
    builder.add_edge("s1", "s2")
    builder.add_edge("s2", END)
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()
    conn.execute(f"PRAGMA synchronous={synchronous}")
    graph = builder.compile(checkpointer=saver)
    samples = []
    for i in range(runs):
        t0 = time.perf_counter()
        out = graph.invoke({"n": 0}, {"configurable": {"thread_id": f"t{i}"}}, durability="sync")
        samples.append(time.perf_counter() - t0)
        assert out["n"] == 3
    conn.close()
    return statistics.median(samples) * 1000


def fsync_ms(folder: str, rounds: int = 200) -> float:
    path = os.path.join(folder, "fsync.bin")
    samples = []
    with open(path, "wb") as fh:
        for _ in range(rounds):
            t0 = time.perf_counter()
            fh.write(b"x" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(dir=".") as folder:
        disk = fsync_ms(folder)
        print(f"3-step durable run on SQLite, median of {runs} (one process, same disk):")
        full = 0.0
        for setting in ("NORMAL", "FULL"):
            ours, commits = await stepstream_runs(os.path.join(folder, f"ss-{setting}.db"), runs, setting)
            theirs = langgraph_runs(os.path.join(folder, f"lg-{setting}.db"), runs, setting)
            full = ours
            print(
                f"  synchronous={setting:6}  stepstream {ours:7.3f} ms/run ({commits:.1f} commits/run)"
                f"   LangGraph SqliteSaver {theirs:7.3f} ms/run   {theirs / ours:5.1f}x"
            )
        print(f"  the disk's own fsync (4 KiB write + fsync): {disk:.3f} ms; the FULL run costs {full / disk:.1f} of them")


def _args() -> Any:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_args().runs))
