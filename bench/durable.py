"""Durable runs, side by side in one run:

1. a 3-step run persisted to SQLite: stepstream (SQLiteStorage, synchronous=FULL)
   vs LangGraph's SqliteSaver with durability="sync" (same machine, same disk);
2. bytes written per step for 10-step and 1,000-step runs (they must stay flat);
3. resuming a stored run in a fresh process: the time from a built app to the
   finished resume;
4. the event log's cost: the same 3-step run with the log (the default) and with a
   storage that keeps no log (`keeps_events = False`), interleaved in rounds, for
   SQLite's default `synchronous="NORMAL"` and for `"FULL"`. The goal is at most
   +20%: a step's events ride on the step's own commit.

    python bench/durable.py [--runs 200] [--only-event-log]

Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, TypedDict

from pydantic import BaseModel

from stepstream import Stepstream, create_step, create_workflow
from stepstream.storage import SQLiteStorage


class V(BaseModel):
    n: int


def chain(wf_id: str, steps: int) -> Any:
    wf = create_workflow(id=wf_id, input_schema=V, output_schema=V)
    for i in range(steps):
        wf.then(create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=lambda ctx: V(n=ctx.input_data.n + 1), inline=True))
    return wf.commit()


async def stepstream_3_steps(path: str, runs: int) -> float:
    return statistics.median(await three_step_samples(SQLiteStorage(path), runs)) * 1000


async def three_step_samples(storage: SQLiteStorage, runs: int, prefix: str = "r") -> list[float]:
    """Seconds per create_run + start of the 3-step chain, one sample per run."""
    app = Stepstream(workflows=[chain("three", 3)], storage=storage)
    async with app:
        wf = app.get_workflow("three")
        samples = []
        for i in range(runs):
            t0 = time.perf_counter()
            run = await wf.create_run(f"{prefix}{i}")
            result = await run.start(input_data={"n": 0})
            samples.append(time.perf_counter() - t0)
            assert result.status == "success"
    return samples


class NoLog(SQLiteStorage):
    """SQLite keeping no event log: the engine builds no events without an in-process reader."""

    keeps_events = False


async def event_log_cost(tmp: str, runs: int, synchronous: str, rounds: int = 5) -> tuple[float, float]:
    """Median ms/run with and without the event log, measured in alternating rounds."""
    with_log: list[float] = []
    without: list[float] = []
    per_round = max(runs // rounds, 1)
    for r in range(rounds):
        with_log += await three_step_samples(SQLiteStorage(os.path.join(tmp, f"log-{synchronous}.db"), synchronous=synchronous), per_round, f"r{r}-")
        without += await three_step_samples(NoLog(os.path.join(tmp, f"nolog-{synchronous}.db"), synchronous=synchronous), per_round, f"r{r}-")
    return statistics.median(with_log) * 1000, statistics.median(without) * 1000


def langgraph_3_steps(path: str, runs: int) -> float:
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        n: int

    def inc(state: State) -> State:
        return {"n": state["n"] + 1}

    builder = StateGraph(State)
    builder.add_node("s0", inc)
    builder.add_node("s1", inc)
    builder.add_node("s2", inc)
    builder.add_edge(START, "s0")
    builder.add_edge("s0", "s1")
    builder.add_edge("s1", "s2")
    builder.add_edge("s2", END)
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn)
    graph = builder.compile(checkpointer=saver)
    samples = []
    for i in range(runs):
        t0 = time.perf_counter()
        out = graph.invoke({"n": 0}, {"configurable": {"thread_id": f"t{i}"}}, durability="sync")
        samples.append(time.perf_counter() - t0)
        assert out["n"] == 3
    conn.close()
    return statistics.median(samples) * 1000


class Counting(SQLiteStorage):
    """Adds up the bytes each save_step sends to SQLite."""

    sizes: list[int]

    async def save_step(self, *args: Any, **kwargs: Any) -> None:
        await super().save_step(*args, **kwargs)
        self.sizes.append(self._last_write_size)


async def bytes_per_step(path: str, steps: int) -> tuple[float, int]:
    storage = Counting(path)
    storage.sizes = []
    async with Stepstream(workflows=[chain(f"len{steps}", steps)], storage=storage) as app:
        run = await app.get_workflow(f"len{steps}").create_run()
        result = await run.start(input_data={"n": 0})
        assert result.status == "success"
    sizes = storage.sizes
    return statistics.mean(sizes), max(sizes[-10:])


RESUME_CHILD = r"""
import asyncio, json, sys, time
from pydantic import BaseModel
from stepstream import Stepstream, StepContext, create_workflow, step
from stepstream.storage import SQLiteStorage

class V(BaseModel):
    n: int

@step(input_schema=V, output_schema=V, resume_schema=V)
async def ask(ctx: StepContext) -> V:
    if ctx.resume_data is None:
        await ctx.suspend({"q": 1})
    return V(n=ctx.input_data.n + ctx.resume_data.n)

wf = create_workflow(id="resumable", input_schema=V, output_schema=V).then(ask).commit()

async def main(path, action, run_id):
    app = Stepstream(workflows=[wf], storage=SQLiteStorage(path))
    await app.setup()
    t0 = time.perf_counter()
    run = await app.get_workflow("resumable").create_run(run_id)
    if action == "suspend":
        result = await run.start(input_data={"n": 1})
    else:
        result = await run.resume(resume_data={"n": 2})
    elapsed = time.perf_counter() - t0
    await app.close()
    print(json.dumps({"status": result.status, "ms": elapsed * 1000}))

asyncio.run(main(*sys.argv[1:]))
"""


def resume_in_fresh_process(path: str, runs: int) -> float:
    samples = []
    for i in range(runs):
        for action in ("suspend", "resume"):
            out = subprocess.run([sys.executable, "-c", RESUME_CHILD, path, action, f"p{i}"], capture_output=True, text=True, check=True)
            data = json.loads(out.stdout)
        assert data["status"] == "success", data
        samples.append(data["ms"])
    return statistics.median(samples)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--only-event-log", action="store_true", help="only part 4 (needs no bench extra)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only_event_log:
            await print_event_log_cost(tmp, args.runs)
            return
        ours = await stepstream_3_steps(os.path.join(tmp, "ours.db"), args.runs)
        theirs = langgraph_3_steps(os.path.join(tmp, "langgraph.db"), args.runs)
        print(f"3-step run persisted to SQLite (median of {args.runs}):")
        print(f"  stepstream SQLiteStorage          {ours:7.3f} ms/run")
        print(f"  LangGraph SqliteSaver (sync)      {theirs:7.3f} ms/run")
        print(f"  stepstream is {theirs / ours:5.1f}x faster")
        print("bytes written per step (JSON sent per save_step):")
        for steps in (10, 100, 1000):
            mean, last = await bytes_per_step(os.path.join(tmp, f"len{steps}.db"), steps)
            print(f"  {steps:5}-step run: mean {mean:6.1f} B/step, last steps {last} B")
        ms = resume_in_fresh_process(os.path.join(tmp, "resume.db"), max(5, args.runs // 20))
        print(f"resume a stored run in a fresh process (after the app is built): {ms:.3f} ms (median)")
        await print_event_log_cost(tmp, args.runs)


async def print_event_log_cost(tmp: str, runs: int) -> None:
    print(f"the event log's cost on the 3-step run (median of {runs} each, interleaved rounds):")
    for synchronous in ("NORMAL", "FULL"):
        logged, unlogged = await event_log_cost(tmp, runs, synchronous)
        print(
            f"  synchronous={synchronous:6}  with the log {logged:7.3f} ms/run   without {unlogged:7.3f} ms/run"
            f"   {100 * (logged / unlogged - 1):+5.1f}%"
        )


if __name__ == "__main__":
    asyncio.run(main())
