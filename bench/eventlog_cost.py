"""The event log's cost on the durable 3-step SQLite run, log and no log interleaved.

    python bench/eventlog_cost.py [--before SRC_DIR] [--rounds 3] [--blocks 16] [--runs 100]

`bench/run.py --only eventlog` times each case in one stretch per round, so on a busy
machine a drift between the two stretches moves the difference of their medians. Here
one process holds both storages (SQLiteStorage, and a subclass with `keeps_events =
False`, whose runs build no events at all) and alternates between them every `--runs`
runs, `--blocks` times, in alternating order. It reports, per round, the log's cost as:

- `median`: the median of per-run times (what bench/run.py's table shows);
- `mean`: time per run over whole blocks (checkpoints included: throughput);
- `fresh`: the per-run median over the first 30 runs of new databases (16 pairs).

`--before` is another checkout's `src` (e.g. main's, from `git archive main src | tar -x
-C /tmp/before`), measured in alternate processes. `synchronous` is NORMAL (at FULL the
fsync of each commit dominates and the difference is noise).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


async def _measure(blocks: int, runs: int) -> dict[str, float]:
    """In this process: the log's cost, in % (see the module)."""
    import tempfile
    import time

    from pydantic import BaseModel

    from stepstream import StepContext, Stepstream, create_step, create_workflow
    from stepstream.storage import SQLiteStorage

    class V(BaseModel):
        n: int

    class NoLog(SQLiteStorage):
        keeps_events = False

    async def inc(ctx: StepContext[Any, Any]) -> V:
        return V(n=ctx.input_data.n + 1)

    tmp = tempfile.mkdtemp(prefix="stepstream-eventlog-")

    async def chain(kind: type[SQLiteStorage], name: str) -> Any:
        wf = create_workflow(id="chain-3", input_schema=V, output_schema=V)
        for i in range(3):
            wf.then(create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=inc))
        app = Stepstream(storage=kind(os.path.join(tmp, f"{name}.db")))
        await app.setup()
        app.add_workflow(wf.commit())
        return app.get_workflow("chain-3")

    async def timed(wf: Any, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            await (await wf.create_run()).start(input_data={"n": 0})
            out.append(time.perf_counter() - t0)
        return out

    kinds = {"log": SQLiteStorage, "nolog": NoLog}
    wfs = {name: await chain(kind, name) for name, kind in kinds.items()}
    per_run: dict[str, list[float]] = {k: [] for k in kinds}
    means: dict[str, list[float]] = {k: [] for k in kinds}
    for b in range(blocks + 1):
        for name in list(kinds)[:: 1 if b % 2 else -1]:
            times = await timed(wfs[name], runs)
            if b:  # the first block warms up
                per_run[name] += times
                means[name].append(sum(times) / len(times))
    fresh: dict[str, list[float]] = {k: [] for k in kinds}
    for d in range(16):
        pair = {name: await chain(kind, f"{name}-{d}") for name, kind in kinds.items()}
        for name in list(kinds)[:: 1 if d % 2 else -1]:
            fresh[name] += await timed(pair[name], 30)

    def cost(samples: dict[str, list[float]], stat: Any) -> float:
        return round(100 * (stat(samples["log"]) / stat(samples["nolog"]) - 1), 1)

    return {
        "median": cost(per_run, statistics.median),
        "mean": cost(means, statistics.mean),
        "fresh": cost(fresh, statistics.median),
        "log_us": round(statistics.median(per_run["log"]) * 1e6),
        "nolog_us": round(statistics.median(per_run["nolog"]) * 1e6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="another checkout's src directory, measured side by side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import asyncio

        print(json.dumps(asyncio.run(_measure(args.blocks, args.runs))))
        return
    trees = {"this tree": str(ROOT / "src")} | ({"--before": args.before} if args.before else {})
    results: dict[str, list[dict[str, float]]] = {t: [] for t in trees}
    for r in range(args.rounds):
        for tree, src in list(trees.items())[:: 1 if r % 2 == 0 else -1]:
            cmd = [sys.executable, __file__, "--child", "--blocks", str(args.blocks), "--runs", str(args.runs)]
            out = subprocess.run(cmd, env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=True)
            results[tree].append(json.loads(out.stdout))
            print(f"round {r + 1}, {tree}: {results[tree][-1]}", flush=True)
    print("\nthe log's cost (median over rounds): per-run median | mean per run | fresh databases")
    for tree, rows in results.items():
        med = {k: statistics.median(row[k] for row in rows) for k in ("median", "mean", "fresh", "log_us", "nolog_us")}
        print(
            f"{tree:10s} {med['median']:+.1f}% ({med['log_us']:.0f} vs {med['nolog_us']:.0f} µs) | "
            f"{med['mean']:+.1f}% | {med['fresh']:+.1f}%"
        )


if __name__ == "__main__":
    main()
