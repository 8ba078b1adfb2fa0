"""The walk's pacing: the runs on one event loop share its turn.

A walk yields to the loop after `yield_ms` of its own work. Timed each for itself, N
concurrent runs held the loop N times that in a row: every walk woken in one pass of the
loop ran its whole stretch before a timer that fell due meanwhile. The clock here is a
fake one (each reading is 0.5 ms of work), so what runs in one pass of the loop does not
depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.engine import _local
from stepstream.engine._local import LocalExecutor


class N(BaseModel):
    n: int


RUNS, STEPS = 6, 30


def chain(trace: list[str], steps: int = STEPS, name: str = "paced") -> Any:
    def step(i: int) -> Any:
        async def execute(ctx: StepContext[N, Any]) -> N:
            trace.append(f"s{i}")
            return N(n=ctx.input_data.n + 1)

        return create_step(id=f"s{i}", input_schema=N, output_schema=N, execute=execute)

    wf = create_workflow(id=name, input_schema=N, output_schema=N)
    for i in range(steps):
        wf.then(step(i))
    return wf.commit()


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]

    def perf_counter() -> float:
        now[0] += 0.0005
        return now[0]

    monkeypatch.setattr(_local, "time", SimpleNamespace(perf_counter=perf_counter, monotonic=time.monotonic))


async def marking_passes(trace: list[str], runs: Awaitable[Any]) -> Any:
    """Awaits `runs` while a callback that queues itself again marks each pass of the loop
    in `trace` ("|")."""
    loop = asyncio.get_running_loop()
    running = True

    def mark() -> None:
        trace.append("|")
        if running:
            loop.call_soon(mark)

    loop.call_soon(mark)
    try:
        return await runs
    finally:
        running = False


def steps_per_pass(trace: list[str]) -> list[int]:
    return [len(chunk.split()) for chunk in " ".join(trace).split("|")]


async def passes_of_the_loop(app: Stepstream, trace: list[str]) -> list[int]:
    """Runs RUNS chains at once; returns how many steps ran in each pass of the loop."""
    runs = [await app.get_workflow("paced").create_run() for _ in range(RUNS)]
    results = await marking_passes(trace, asyncio.gather(*(run.start(input_data={"n": 0}) for run in runs)))
    assert [r.status for r in results] == ["success"] * RUNS
    assert [r.result for r in results] == [N(n=STEPS)] * RUNS
    assert trace.count("s0") == RUNS and len(trace) - trace.count("|") == RUNS * STEPS
    return steps_per_pass(trace)


@pytest.mark.usefixtures("fake_clock")
async def test_concurrent_runs_share_the_loops_turn() -> None:
    trace: list[str] = []
    async with Stepstream(workflows=[chain(trace)], executor=LocalExecutor(yield_ms=2.0)) as app:
        per_pass = await passes_of_the_loop(app, trace)
    # 2 ms is four readings of the clock: one run's stretch is about four steps. When it ends,
    # every other run yields at its next step instead of running its own stretch (a run that
    # starts, or ends mid-stretch, may leave one more stretch to the pass). Each run timing only
    # itself, a pass held every run's stretch: 6 x 4 steps.
    assert max(per_pass) <= 2 * 4 + RUNS - 1, per_pass
    assert sum(1 for n in per_pass if n) >= RUNS * STEPS // (2 * 4 + RUNS - 1)


@pytest.mark.usefixtures("fake_clock")
async def test_a_lone_run_still_works_its_whole_stretch() -> None:
    trace: list[str] = []
    async with Stepstream(workflows=[chain(trace)], executor=LocalExecutor(yield_ms=2.0)) as app:
        run = await app.get_workflow("paced").create_run()
        result = await marking_passes(trace, run.start(input_data={"n": 0}))
    assert result.result == N(n=STEPS)
    per_pass = steps_per_pass(trace)
    # it yields about every four steps, and runs that many in a pass (not one step per pass)
    assert max(per_pass) >= 3, per_pass
    assert max(per_pass) <= 5, per_pass


@pytest.mark.usefixtures("fake_clock")
async def test_short_runs_awaited_one_after_another_give_the_loop_its_turns() -> None:
    """The stretch is timed from the loop's last pass, not from each run's start: a caller
    awaiting short runs back to back (each well under `yield_ms`) held the loop for all of
    them (3,000 three-step runs held a 1 ms ticker for 347 ms)."""
    trace: list[str] = []
    async with Stepstream(workflows=[chain(trace, 2, "short")], executor=LocalExecutor(yield_ms=2.0)) as app:
        wf = app.get_workflow("short")

        async def one_after_another() -> None:
            for _ in range(20):
                result = await (await wf.create_run()).start(input_data={"n": 0})
                assert result.result == N(n=2)

        await marking_passes(trace, one_after_another())
    per_pass = steps_per_pass(trace)
    assert sum(per_pass) == 40
    assert max(per_pass) <= 5, per_pass  # a stretch is four readings of the clock: about four steps


@pytest.mark.usefixtures("fake_clock")
async def test_a_task_whose_timer_fell_due_runs_before_the_walks_next_stretch() -> None:
    """A ticker (a task awaiting a timer) gets the loop at the walk's next yield. The walk
    yielded for two passes of the loop, and the ticker's wake-up, queued by the timer's
    callback in the first, came behind the walk's own in the second: it waited a whole
    stretch more (a 1 ms ticker beside a 5,000-step run was held two stretches)."""
    trace: list[str] = []

    async def ticker() -> None:
        while True:
            await asyncio.sleep(1e-6)  # due again by the walk's next yield
            trace.append("T")

    async with Stepstream(workflows=[chain(trace)], executor=LocalExecutor(yield_ms=2.0)) as app:
        run = await app.get_workflow("paced").create_run()
        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # the ticker's timer is set before the walk's first stretch
        try:
            result = await run.start(input_data={"n": 0})
        finally:
            ticking.cancel()
    assert result.result == N(n=STEPS)
    between_ticks = [len(chunk.split()) for chunk in " ".join(trace).split("T")]
    assert sum(between_ticks) == STEPS
    # a stretch is four readings of the clock: about four steps, then the ticker's turn
    assert max(between_ticks) <= 5, between_ticks
