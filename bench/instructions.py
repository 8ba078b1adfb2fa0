"""Instructions per step (valgrind's callgrind), stepstream beside pydantic-graph 1.x.

    python bench/instructions.py [--before SRC_DIR] [--n 100] [--runs 2,12]

Timings on a shared virtual machine drift: on the machine this was written on, the same
run took from 509 to 887 µs of CPU time minute to minute, and whole bench runs came out
2.7x slower than others. An instruction count does not drift: callgrind counts what the
process executes, the same on every run. So engine changes are compared here, in
instructions, with the other engine, and with `--before` (another checkout's `src`).
It does not replace `bench/run.py` (time is what users pay; an instruction count ignores
cache misses, system calls and waits), it is what to read when the times are noise.

Each figure is the difference between two processes running the same chain `a` and `b`
times (`--runs a,b`; both after the same warm-up), divided by `(b - a) * n`: process
start-up and imports cancel out. Garbage collection is off and the walk never yields
(a slow valgrind process would otherwise yield at every step), so the count is the
engine's own work. The engines:
- `stepstream`: the n-step chain of typed `async def` steps of `bench/workers`, in memory;
- `run` (stepstream): a 1-step chain, per run (the run's own cost: claim, records, final write);
- `pydantic-graph 1.x`: its n-node chain (bench/.venv-pydantic-graph, made by `bench/run.py`);
- `bare loop`: the same pydantic work with no engine (validate the input, call the
  step, validate and dump the output, dump the input): the floor.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_CHILD = r"""
import asyncio, gc, sys
gc.disable()
kind, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, {workers!r})
from pydantic import BaseModel

async def main():
    if kind == "pydantic-graph":
        from pydantic_graph_worker import chain
        graph, first = chain(n)
        one = lambda: graph.run(first(0))
    elif kind == "bare":
        from stepstream._schema import Schema, storable, to_json
        class V(BaseModel):
            n: int
        schema = Schema(V)
        async def step(x):
            return V(n=x.n + 1)
        async def one():
            x = {{"n": 0}}
            for _ in range(n):
                typed = schema.validate(x, "input")
                out = schema.validate(await step(typed), "output")
                x = storable(out, "output")
                to_json(typed)
    else:
        from stepstream.engine._local import default_executor
        from stepstream_worker import chain
        default_executor().yield_seconds = 1e9  # no yields: valgrind is ~50x slower
        wf = chain(n, "async")
        async def one():
            return await (await wf.create_run()).start(input_data={{"n": 0}})
    for _ in range(3 + reps):
        await one()

asyncio.run(main())
"""


def _count(python: str, kind: str, n: int, reps: int, src: str | None) -> int:
    """Instructions callgrind counts for one child process."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if src:
        env["PYTHONPATH"] = src
    code = _CHILD.format(workers=str(HERE / "workers"))
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", code, kind, str(n), str(reps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"callgrind gave no count for {kind}: {out.stderr[-500:]}")
    return int(found.group(1))


def per_step(python: str, kind: str, n: int, runs: tuple[int, int], src: str | None = None) -> float:
    a, b = runs
    return (_count(python, kind, n, b, src) - _count(python, kind, n, a, src)) / ((b - a) * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="another checkout's src directory, counted side by side")
    parser.add_argument("--n", type=int, default=100, help="steps per chain")
    parser.add_argument("--runs", default="2,12", help="the two run counts whose difference is counted")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    a, b = (int(x) for x in args.runs.split(","))
    python = sys.executable
    rows = [("stepstream, per step", per_step(python, "stepstream", args.n, (a, b)))]
    if args.before:
        rows.append((f"stepstream at {args.before}, per step", per_step(python, "stepstream", args.n, (a, b), args.before)))
    rows.append(("stepstream, per run (1-step chain, less one step)", per_step(python, "stepstream", 1, (a * 5, b * 5)) - rows[0][1]))
    rows.append(("bare loop, per step", per_step(python, "bare", args.n, (a, b))))
    graph = HERE / ".venv-pydantic-graph" / "bin" / "python"
    if graph.exists():
        rows.append(("pydantic-graph 1.x, per step", per_step(str(graph), "pydantic-graph", args.n, (a, b))))
    else:
        print("(pydantic-graph left out: run `python bench/run.py` once to build bench/.venv-pydantic-graph)")
    print(f"| {args.n}-step chain, instructions | count |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:,.0f} |")


if __name__ == "__main__":
    main()
