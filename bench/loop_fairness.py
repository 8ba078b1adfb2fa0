"""Loop fairness: a run never holds the event loop.

Side by side in one run:

1. a 5,000-step run on SQLite (synchronous=NORMAL) next to a 1 ms ticker on the same
   loop: the ticker's worst stall (target: under 10 ms);
2. a 2,000-step `stream()`: when the first event arrives, as a fraction of the run
   (target: within the first fifth);
3. four concurrent runs of a sync step that blocks for 200 ms (`time.sleep`): wall
   time (target: under 500 ms, they overlap) and the ticker's worst stall (target:
   under 20 ms); beside it, the same four steps marked `inline=True` (the opt-out),
   which hold the loop and run one after another.

    python bench/loop_fairness.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage, SQLiteStorage


async def add_one(ctx: StepContext) -> int:
    return int(ctx.input_data) + 1


def chain(wf_id: str, steps: int) -> Any:
    wf = create_workflow(id=wf_id)
    for i in range(steps):
        wf.then(create_step(f"s{i}", execute=add_one))
    return wf.commit()


def blocking(wf_id: str, inline: bool) -> Any:
    def block(ctx: StepContext) -> int:
        time.sleep(0.2)
        return 1

    return create_workflow(id=wf_id).then(create_step("block", execute=block, inline=inline)).commit()


async def with_ticker(work: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """Runs `work` beside a 1 ms ticker; returns (wall seconds, worst ticker stall in seconds)."""
    worst = 0.0
    done = False

    async def tick() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last - 0.001)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    t0 = time.perf_counter()
    await work()
    wall = time.perf_counter() - t0
    done = True
    await ticker
    return wall, worst


async def long_sqlite_run(folder: str) -> None:
    app = Stepstream(workflows=[chain("long", 5000)], storage=SQLiteStorage(str(Path(folder) / "fair.db")))
    async with app:
        wf = app.get_workflow("long")
        run = await wf.create_run()

        async def work() -> None:
            result = await run.start(input_data=0)
            assert result.status == "success" and result.result == 5000, result.status

        wall, stall = await with_ticker(work)
    print(f"1. 5,000-step SQLite run: {wall * 1000:.0f} ms; worst 1 ms ticker stall {stall * 1000:.1f} ms (target < 10 ms)")


async def first_event() -> None:
    app = Stepstream(workflows=[chain("streamed", 2000)], storage=InMemoryStorage())
    run = await app.get_workflow("streamed").create_run()
    t0 = time.perf_counter()
    first: float | None = None
    async for _ in run.stream(input_data=0):
        if first is None:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    assert first is not None
    print(f"2. 2,000-step stream(): first event at {first * 1000:.1f} ms of {total * 1000:.0f} ms ({first / total:.1%}; target < 20%)")


async def blocking_steps(inline: bool) -> None:
    wf = blocking(f"block-{inline}", inline)
    Stepstream(workflows=[wf], storage=InMemoryStorage())
    runs = [await wf.create_run() for _ in range(4)]

    async def work() -> None:
        results = await asyncio.gather(*(r.start() for r in runs))
        assert all(r.status == "success" for r in results)

    wall, stall = await with_ticker(work)
    what = "inline=True (opt-out, on the loop)" if inline else "default (worker threads)"
    print(f"3. four 200 ms blocking sync steps, {what}: {wall * 1000:.0f} ms wall; worst ticker stall {stall * 1000:.1f} ms")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await long_sqlite_run(folder)
    await first_event()
    await blocking_steps(inline=False)
    await blocking_steps(inline=True)


if __name__ == "__main__":
    asyncio.run(main())
