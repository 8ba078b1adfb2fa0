"""Foreach and parallel at scale, side by side in one run.

1. Resuming one suspended foreach item, W items suspended: the median time of one
   resume on SQLite at W=50 and W=400 (target: W=400 within 2x of W=50);
2. a parallel block of N async branches: cost per branch at N=1,000 and N=10,000
   (target: no more per branch at 10,000).

    python bench/foreach_scale.py [--resumes 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage, SQLiteStorage


async def gate(ctx: StepContext) -> int:
    if ctx.resume_data is None:
        await ctx.suspend({"item": ctx.input_data})
    return int(ctx.input_data) * 10


async def resume_one(folder: str, width: int, resumes: int) -> float:
    # every item in flight at once: all W suspend, and each resume runs exactly one item
    wf = create_workflow(id=f"each{width}").foreach(create_step("gate", execute=gate), concurrency=width).commit()
    app = Stepstream(workflows=[wf], storage=SQLiteStorage(str(Path(folder) / f"each{width}.db")))
    async with app:
        run = await app.get_workflow(wf.id).create_run()
        first = await run.start(input_data=list(range(width)))
        assert first.status == "suspended"
        samples = []
        for i in range(min(resumes, width - 1)):
            t0 = time.perf_counter()
            result = await run.resume(resume_data={"ok": True}, step="gate", for_each_index=i)
            samples.append(time.perf_counter() - t0)
            assert result.status == "suspended", result.status
    return statistics.median(samples) * 1000


async def branch(ctx: StepContext) -> int:
    return 1


async def parallel_per_branch(n: int) -> float:
    steps = [create_step(f"b{i}", execute=branch) for i in range(n)]
    wf = create_workflow(id=f"par{n}").parallel(steps).commit()
    Stepstream(workflows=[wf], storage=InMemoryStorage())
    best = float("inf")
    for _ in range(3):
        run = await wf.create_run()
        t0 = time.perf_counter()
        result = await run.start(input_data=0)
        best = min(best, time.perf_counter() - t0)
        assert result.status == "success"
    return best / n * 1e6


async def main(resumes: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        small = await resume_one(folder, 50, resumes)
        large = await resume_one(folder, 400, resumes)
    print(f"1. resume one foreach item (SQLite): W=50 {small:.2f} ms, W=400 {large:.2f} ms median ({large / small:.2f}x; target <= 2x)")
    narrow = await parallel_per_branch(1000)
    wide = await parallel_per_branch(10000)
    print(f"2. parallel, per branch: 1,000 branches {narrow:.1f} us, 10,000 branches {wide:.1f} us ({wide / narrow:.2f}x; target <= 1x)")


def _args() -> Any:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resumes", type=int, default=40)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_args().resumes))
