"""Cost of the tracing hooks when no tracer provider is configured.

Runs the 100-step in-memory chain (bench/chain.py) three ways, interleaved:

  (a) tracing off: the shipped code path; `make_tracer` finds OpenTelemetry's
      default (proxy) provider and returns None, so every hook is skipped;
  (b) no tracing code: `make_tracer` replaced by `lambda **kw: None`, which skips
      even the one provider check per run;
  (c) tracing on, for information: an SDK provider with an in-memory exporter.

Prints microseconds per step (median over runs) and the overhead of (a) over (b)
(median of paired per-iteration differences), which must stay within 5%. Exit status 1 if it does not.

    python bench/tracing_overhead.py [--steps 100] [--runs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from chain import build
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stepstream import tracing
from stepstream.engine import _tracing
from stepstream.engine import run as run_module

LIMIT = 0.05


async def sample(wf: Any, steps: int, runs: int, out: list[float]) -> None:
    for _ in range(runs):
        run = await wf.create_run()
        t0 = time.perf_counter()
        result = await run.start(input_data=0)
        out.append((time.perf_counter() - t0) / steps * 1e6)
        assert result.status == "success", result


def variant(name: str) -> Callable[[], None]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def setup() -> None:
        run_module.make_tracer = _tracing.make_tracer  # type: ignore[attr-defined]
        tracing.set_tracer_provider(None)
        exporter.clear()
        if name == "b":
            run_module.make_tracer = lambda **kw: None  # type: ignore[attr-defined]
        elif name == "c":
            tracing.set_tracer_provider(provider)

    return setup


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--runs", type=int, default=1000, help="runs per variant")
    args = ap.parse_args()
    wf = build(args.steps, False)
    setups = {k: variant(k) for k in "abc"}
    samples: dict[str, list[float]] = {k: [] for k in "abc"}
    for k in "abc":  # warm up
        setups[k]()
        await sample(wf, args.steps, 20, [])
    orders = ("abc", "bca", "cab", "bac", "acb", "cba")
    for i in range(args.runs):  # one run of each variant per iteration, in rotating order, so drift hits all alike
        for k in orders[i % len(orders)]:
            setups[k]()
            await sample(wf, args.steps, 1, samples[k])
    setups["a"]()
    a, b, c = (statistics.median(samples[k]) for k in "abc")
    paired = statistics.median(x - y for x, y in zip(samples["a"], samples["b"], strict=True))
    overhead = paired / b
    guard = timeit.timeit("t is not None", setup="t = None", number=1_000_000) / 1_000_000 * 1e6
    print(f"{args.steps}-step untyped chain, start(), in memory; median of {args.runs} runs per variant")
    print(f"  (a) tracing off (no provider)       {a:7.2f} us/step")
    print(f"  (b) make_tracer -> None, no checks  {b:7.2f} us/step")
    print(f"  (c) tracing on (SDK, in-memory)     {c:7.2f} us/step")
    print(f"  overhead of (a) over (b), median of paired differences: {overhead * 100:+.2f}% (limit {LIMIT * 100:.0f}%)")
    print(f"  one `tracer is not None` guard: {guard * 1000:.0f} ns (~2 per step in both (a) and (b))")
    return 0 if overhead <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
