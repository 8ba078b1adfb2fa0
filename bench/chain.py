"""Hot path: a 100-step chain of trivial steps, in memory. Prints microseconds per step.

    python bench/chain.py [--steps 100] [--runs 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from pydantic import BaseModel

from stepstream import create_step, create_workflow


class V(BaseModel):
    n: int


def build(steps: int, typed: bool):  # type: ignore[no-untyped-def]
    wf = create_workflow(id=f"chain{steps}{typed}", input_schema=V if typed else None, output_schema=V if typed else None)
    for i in range(steps):
        if typed:
            wf.then(create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=lambda ctx: V(n=ctx.input_data.n + 1)))
        else:
            wf.then(create_step(id=f"s{i}", execute=lambda ctx: ctx.input_data + 1))
    return wf.commit()


async def measure(steps: int, runs: int, typed: bool, streamed: bool) -> float:
    wf = build(steps, typed)
    data = {"n": 0} if typed else 0
    samples = []
    for _ in range(runs):
        run = await wf.create_run()
        t0 = time.perf_counter()
        if streamed:
            stream = run.stream(input_data=data)
            async for _event in stream:
                pass
            result = await stream.result
        else:
            result = await run.start(input_data=data)
        samples.append(time.perf_counter() - t0)
        assert result.status == "success", result
    samples.sort()
    return statistics.median(samples) / steps * 1e6


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    print(f"{args.steps}-step chain, median of {args.runs} runs, in memory")
    for typed in (False, True):
        for streamed in (False, True):
            us = await measure(args.steps, args.runs, typed, streamed)
            label = f"{'pydantic model steps' if typed else 'untyped int steps':22} {'stream()' if streamed else 'start()':9}"
            print(f"  {label} {us:6.2f} us/step")


if __name__ == "__main__":
    asyncio.run(main())
