"""What a sync step's thread hop costs: a 100-step in-memory chain of trivial pydantic-typed steps.

    python bench/sync_hop.py [--before SRC_DIR] [--rounds 7] [--runs 50] [--fairness]

Each measurement is a fresh process (one source tree) timing `--runs` runs of each
mode's chain, 9 batches per mode after a warm-up, the modes' batches interleaved; per
step, the median batch's wall time and process CPU time (all threads), and `hop`, the
median of a sync batch less the async batch beside it. Processes alternate between trees
round after round; the table gives the median (and the least) over rounds. `--before` is another
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


def measure(runs: int) -> dict[str, dict[str, float]]:
    """µs per step, wall and CPU, per mode: the median of 9 batches of `runs` runs each,
    the modes' batches interleaved (a, s, i, a, s, i, ...) so that the machine's drift hits all
    alike; `hop` is the median of the sync batch less the async batch next to it."""
    chains = {mode: _chain(mode) for mode in MODES}
    loop = asyncio.new_event_loop()

    async def batch(wf: Any) -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(runs):
            result = await (await wf.create_run()).start(input_data={"n": 0})
            assert result.status == "success" and result.result.n == STEPS, result.error
        return time.perf_counter() - w0, time.process_time() - c0

    for wf in chains.values():
        loop.run_until_complete(batch(wf))  # warm up
    samples: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for _ in range(9):
        for mode, wf in chains.items():
            samples[mode].append(loop.run_until_complete(batch(wf)))
    loop.close()
    per = runs * STEPS / 1e6
    found = {
        mode: {"wall": statistics.median(s[0] for s in got) / per, "cpu": statistics.median(s[1] for s in got) / per}
        for mode, got in samples.items()
    }
    pairs = list(zip(samples["sync"], samples["async"], strict=True))
    found["hop"] = {
        "wall": statistics.median(s[0] - a[0] for s, a in pairs) / per,
        "cpu": statistics.median(s[1] - a[1] for s, a in pairs) / per,
    }
    return found


def spawn(src: Path, runs: int) -> dict[str, dict[str, float]]:
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, __file__, "--measure", "--runs", str(runs)], env=env, capture_output=True, text=True, check=True)
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
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--fairness", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.runs)))
        return
    if args.fairness:
        asyncio.run(fairness())
        return
    trees = {"after": HERE.parent / "src"}
    if args.before:
        trees = {"before": args.before, **trees}
    found: dict[str, list[dict[str, dict[str, float]]]] = {t: [] for t in trees}
    for r in range(args.rounds):
        for tree in list(trees)[r % len(trees) :] + list(trees)[: r % len(trees)]:  # alternate which goes first
            found[tree].append(spawn(trees[tree], args.runs))
    print(f"µs/step, median (min) of {args.rounds} rounds; each round: median of 9 batches of {args.runs} runs of a {STEPS}-step chain")
    print(f"{'mode':<12}" + "".join(f"{t + ' wall':>18}{t + ' cpu':>18}" for t in trees))
    for mode in (*MODES, "hop"):
        cells = ""
        for tree in trees:
            for what in ("wall", "cpu"):
                got = [f[mode][what] for f in found[tree]]
                cells += f"{statistics.median(got):>11.1f} ({min(got):4.1f})"
        print(f"{mode:<12}" + cells)


if __name__ == "__main__":
    main()
