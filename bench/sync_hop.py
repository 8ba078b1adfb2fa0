"""What a sync step's thread hop costs: a 100-step in-memory chain of trivial pydantic-typed steps.

    python bench/sync_hop.py [--before SRC_DIR] [--rounds 7] [--runs 50] [--fairness]

Each measurement is a fresh process (one source tree, one mode) timing `--runs` runs of
the chain, 9 batches after a warm-up; per step, the median batch's wall time and process
CPU time (all threads). Processes alternate between trees and modes round after round, so
drift hits all alike; the table gives the median over rounds. `--before` is another
checkout's `src` (e.g. main's: `git archive main src | tar -x -C /tmp/before`).

Modes (as `op_chain` in bench/workers/stepstream_worker.py):
- `async`: `async def` steps, on the loop;
- `sync`: `def` steps, on a worker thread (the default);
- `sync-inline`: `def` steps with `inline=True`, on the loop.

`--fairness` checks the loop's promise instead, in this process: four concurrent runs of a
step that sleeps 200 ms on its thread overlap (wall), and a 1 ms ticker beside them, and
beside sync chains, is never held long (worst stall, held = less time spent runnable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODES = ("async", "sync", "sync-inline")
STEPS = 100


def _chain(mode: str, steps: int = STEPS) -> Any:
    from pydantic import BaseModel

    from stepstream import StepContext, create_step, create_workflow

    class V(BaseModel):
        n: int

    async def inc_async(ctx: StepContext) -> V:
        return V(n=ctx.input_data.n + 1)

    def inc_sync(ctx: StepContext) -> V:
        return V(n=ctx.input_data.n + 1)

    wf = create_workflow(id=f"chain-{mode}", input_schema=V, output_schema=V)
    for i in range(steps):
        fn = inc_async if mode == "async" else inc_sync
        wf = wf.then(create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=fn, inline=mode == "sync-inline"))
    return wf.commit()


def measure(mode: str, runs: int) -> dict[str, float]:
    """µs per step, wall and CPU, of the median of 9 batches of `runs` runs."""
    wf = _chain(mode)
    loop = asyncio.new_event_loop()

    async def batch() -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(runs):
            result = await (await wf.create_run()).start(input_data={"n": 0})
            assert result.status == "success" and result.result.n == STEPS, result.error
        return time.perf_counter() - w0, time.process_time() - c0

    loop.run_until_complete(batch())  # warm up
    samples = [loop.run_until_complete(batch()) for _ in range(9)]
    loop.close()
    per = runs * STEPS / 1e6
    return {"wall": statistics.median(s[0] for s in samples) / per, "cpu": statistics.median(s[1] for s in samples) / per}


def spawn(src: Path, mode: str, runs: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [sys.executable, __file__, "--measure", mode, "--runs", str(runs)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


async def fairness() -> None:
    sys.path.insert(0, str(HERE / "workers"))
    from common import Ticker

    from stepstream import create_step, create_workflow

    def sleep(ctx: Any) -> int:
        time.sleep(0.2)
        return 1

    block = create_workflow(id="block").then(create_step(id="block", execute=sleep)).commit()
    await asyncio.gather(*[(await block.create_run()).start() for _ in range(4)])  # threads started
    for _ in range(3):
        runs = [await block.create_run() for _ in range(4)]
        async with Ticker() as ticker:
            t0 = time.perf_counter()
            results = await asyncio.gather(*(r.start() for r in runs))
            wall = time.perf_counter() - t0
        assert all(r.status == "success" for r in results)
        print(
            f"4 x 200 ms sync steps: wall {wall * 1e3:6.1f} ms, worst stall {ticker.worst * 1e3:5.2f} ms (held {ticker.worst_held * 1e3:5.2f} ms)"
        )
    for mode, n in (("async", 1), ("async", 4), ("sync", 1), ("sync", 4)):
        wf = _chain(mode, 1000)
        await (await wf.create_run()).start(input_data={"n": 0})
        async with Ticker() as ticker:
            t0 = time.perf_counter()
            results = await asyncio.gather(*[(await wf.create_run()).start(input_data={"n": 0}) for _ in range(n)])
            wall = time.perf_counter() - t0
        assert all(r.status == "success" for r in results)
        print(
            f"{n} x 1000-step {mode} chain: wall {wall * 1e3:6.1f} ms, worst stall {ticker.worst * 1e3:5.2f} ms (held {ticker.worst_held * 1e3:5.2f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout's src/ to measure side by side")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--fairness", action="store_true")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return
    if args.fairness:
        asyncio.run(fairness())
        return
    modes = args.modes.split(",")
    trees = {"after": HERE.parent / "src"}
    if args.before:
        trees = {"before": args.before, **trees}
    found: dict[tuple[str, str], list[dict[str, float]]] = {(t, m): [] for t in trees for m in modes}
    for r in range(args.rounds):
        order = [(t, m) for m in modes for t in trees]
        order = order[r % len(order) :] + order[: r % len(order)]  # rotate, so no pair always goes first
        for tree, mode in order:
            found[tree, mode].append(spawn(trees[tree], mode, args.runs))
    print(f"µs/step, median of {args.rounds} rounds (each: median of 9 batches of {args.runs} runs of a {STEPS}-step chain)")
    print(f"{'mode':<14}" + "".join(f"{t + ' wall':>14}{t + ' cpu':>14}" for t in trees))
    for mode in modes:
        cells = "".join(
            f"{statistics.median(f['wall'] for f in found[t, mode]):>14.1f}{statistics.median(f['cpu'] for f in found[t, mode]):>14.1f}"
            for t in trees
        )
        print(f"{mode:<14}" + cells)


if __name__ == "__main__":
    main()
