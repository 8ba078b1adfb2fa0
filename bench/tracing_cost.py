"""Per-step cost of a 100-step in-memory chain of `async def` steps, tracing off and on.

    python bench/tracing_cost.py [--before SRC_DIR] [--rounds 7] [--runs 200]

Each measurement is a fresh process (one source tree, one mode) timing `--runs`
runs with `timeit` (process CPU time), best of 5 repeats, in µs per step. Processes alternate between
the trees and modes, round after round, so drift hits all alike; the table gives
the median over rounds. `--before` is another checkout's `src` (e.g. main's, from
`git archive main src | tar -x -C /tmp/before`) measured side by side.

Modes:
- `off`: no tracer provider, and nothing in the process imports OpenTelemetry;
- `off-otel-imported`: no provider, but OpenTelemetry is imported (an app using it elsewhere);
- `on`: the OpenTelemetry SDK with an in-memory exporter, given to `stepstream.tracing`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("off", "off-otel-imported", "on")
STEPS = 100


def measure(mode: str, runs: int) -> float:
    """µs per step: best of 5 repeats of `runs` runs, in this process."""
    import asyncio
    import time
    import timeit

    if mode != "off":
        from opentelemetry import trace  # noqa: F401
    from stepstream import create_step, create_workflow, tracing

    if mode == "on":
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracing.set_tracer_provider(provider)

    async def inc(ctx: object) -> int:
        return ctx.input_data + 1  # type: ignore[attr-defined, no-any-return]

    wf = create_workflow(id="chain")
    for i in range(STEPS):
        wf = wf.then(create_step(id=f"s{i}", execute=inc))
    wf = wf.commit()
    loop = asyncio.new_event_loop()

    async def one() -> None:
        result = await (await wf.create_run()).start(input_data=0)
        assert result.result == STEPS, result.error

    def batch() -> None:
        for _ in range(runs):
            loop.run_until_complete(one())
        if mode == "on":
            exporter.clear()

    batch()  # warm up
    # CPU time of this process, not wall time: the machine may be shared with other work
    best = min(timeit.repeat(batch, number=1, repeat=5, timer=time.process_time))
    loop.close()
    return best / runs / STEPS * 1e6


def spawn(src: Path, mode: str, runs: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = str(src)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    out = subprocess.run(
        [sys.executable, __file__, "--measure", mode, "--runs", str(runs)], env=env, capture_output=True, text=True, check=True
    )
    return float(json.loads(out.stdout)["us_per_step"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout's src/ to measure side by side")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps({"us_per_step": measure(args.measure, args.runs)}))
        return
    trees = {"after": HERE.parent / "src"}
    if args.before:
        trees = {"before": args.before, **trees}
    found: dict[tuple[str, str], list[float]] = {(t, m): [] for t in trees for m in MODES}
    for r in range(args.rounds):
        order = [(t, m) for m in MODES for t in trees]
        order = order[r % len(order) :] + order[: r % len(order)]  # rotate, so no pair always goes first
        for tree, mode in order:
            found[tree, mode].append(spawn(trees[tree], mode, args.runs))
    print(f"µs/step, median of {args.rounds} rounds (each: best of 5 x {args.runs} runs of a {STEPS}-step chain)")
    print(f"{'mode':<20}" + "".join(f"{t:>10}" for t in trees))
    for mode in MODES:
        print(f"{mode:<20}" + "".join(f"{statistics.median(found[t, mode]):>10.2f}" for t in trees))


if __name__ == "__main__":
    main()
