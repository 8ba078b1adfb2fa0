"""Long-lived engine worker processes and the round-robin that alternates them.

Each engine is a process (bench/workers/*.py in its own venv, or node for Mastra) that
answers JSON-line requests (bench/workers/common.py). `Sampler.run` sends every case of a
measure once per round, in an order that rotates every round, so drift on a shared machine
(another process waking up, a CPU frequency change) lands on every engine alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.envs import BENCH, HARNESS, MASTRA_DIR, PEERS, mastra_ready

WORKERS = BENCH / "workers"


class WorkerError(RuntimeError):
    """An engine could not run a request (its message comes from the worker)."""


class Worker:
    """One engine's process; `call` sends a request and waits for its one-line reply."""

    def __init__(self, name: str, argv: list[str], cwd: Path | None = None) -> None:
        self.name = name
        self.argv = argv
        env = dict(os.environ, PYTHONUNBUFFERED="1", DBOS__CLOUD="false")
        self.log = open(BENCH / f".worker-{name}.log", "w")
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)

    def call(self, op: str, reps: int = 1, **params: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"op": op, "params": params, "reps": reps}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"{self.name} worker exited (see bench/.worker-{self.name}.log)") from None
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"{self.name} worker exited (see bench/.worker-{self.name}.log)")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(f"{self.name}: {reply['error']}")
        return dict(reply["ok"])

    def close(self) -> None:
        try:
            self.call("close")
        except WorkerError:
            pass
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def start_worker(engine: str, smoke: bool) -> Worker:
    """The worker for an engine name: stepstream, langgraph, pydantic-graph, llama-index-workflows,
    dbos-sqlite, dbos-postgres, mastra, temporal."""
    if engine == "stepstream":
        python = sys.executable if smoke or not HARNESS.python.exists() else str(HARNESS.python)
        return Worker(engine, [python, str(WORKERS / "stepstream_worker.py")])
    if engine == "mastra":
        if not mastra_ready():
            raise WorkerError("mastra: bench/mastra-server has no node_modules (run without --no-setup)")
        return Worker(engine, ["node", "--expose-gc", "worker.mjs"], cwd=MASTRA_DIR)
    base, _, arg = engine.partition("-") if engine.startswith("dbos") else (engine, "", "")
    env = PEERS[base]
    if not env.ready():
        raise WorkerError(f"{engine}: {env.path.name} is not built (run without --no-setup)")
    script = {
        "langgraph": "langgraph_worker.py",
        "pydantic-graph": "pydantic_graph_worker.py",
        "llama-index-workflows": "llama_index_worker.py",
        "dbos": "dbos_worker.py",
        "temporal": "temporal_worker.py",
    }[base]
    return Worker(engine, [str(env.python), str(WORKERS / script), *([arg] if arg else [])])


#: measures judged by the loop's worst stall: each case starts once the machine is idle, so
#: what the engine before it left running (a collection, a flush, a server winding down) does
#: not land in its samples
QUIET_FIRST = frozenset({"stream", "fairness"})


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot (Linux /proc/stat), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields) - fields[3], sum(fields)  # iowait counts as busy: the disk is not quiet then


def wait_until_quiet(busy_below: float = 0.15, window: float = 0.1, limit: float = 5.0) -> None:
    """Returns once a `window` passes with the CPUs under `busy_below` busy (or after `limit`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = _cpu_times()
        time.sleep(window)
        after = _cpu_times()
        if before is None or after is None:
            return
        busy, total = after[0] - before[0], after[1] - before[1]
        if total > 0 and busy / total < busy_below:
            return


@dataclass
class Case:
    """One row of a measure: an engine's variant, the op and params that sample it."""

    measure: str
    engine: str  # worker name
    variant: str  # the row's name in the report ("stepstream async", "LangGraph invoke + SqliteSaver FULL")
    op: str
    params: dict[str, Any]
    x: int | None = None  # N steps or W items, where the measure has a size axis
    reps: int = 1
    ref: str | None = None  # the stepstream row a peer row is compared with (like for like)
    first: dict[str, Any] = field(default_factory=dict)  # params for the first round only (a costly untimed sample)
    rounds: int | None = None  # at most this many rounds (a deterministic count: bytes, commits)
    samples: dict[str, list[float]] = field(default_factory=dict)
    error: str | None = None

    @property
    def label(self) -> str:
        return self.variant if self.x is None else f"{self.variant} @ {self.x}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "variant": self.variant,
            "x": self.x,
            "params": self.params,
            "ref": self.ref,
            "samples": self.samples,
            "error": self.error,
        }


class Sampler:
    """Holds the workers and runs cases in alternating rounds."""

    def __init__(self, engines: Iterable[str], smoke: bool) -> None:
        self.workers: dict[str, Worker] = {}
        #: a smoke run times nothing it judges: it never waits for a quiet machine (on a busy
        #: one each wait lasts its whole limit, and the smoke run took minutes instead of seconds)
        self.smoke = smoke
        self.unavailable: dict[str, str] = {}
        for engine in engines:
            try:
                self.workers[engine] = start_worker(engine, smoke)
            except (WorkerError, KeyError, OSError) as exc:
                self.unavailable[engine] = str(exc)
        # The workers import their engines side by side: no case is timed until every one
        # has (a 2-core machine importing LangGraph, llama-index, DBOS and Mastra took CPU from
        # the first cases of the first measure: samples of 5-10 ms in 1-ms runs).
        for engine, worker in list(self.workers.items()):
            try:
                worker.call("ready")
            except WorkerError as exc:
                self.unavailable[engine] = str(exc)
                self.workers.pop(engine).close()
        self.quiet()

    def run(self, cases: list[Case], rounds: int) -> None:
        live = [c for c in cases if c.engine in self.workers]
        self.quiet()  # what the measure before left running (a server winding down) is not timed here
        for c in cases:
            if c.engine not in self.workers:
                c.error = self.unavailable.get(c.engine, "engine not started")
        for r in range(rounds):
            order = live[r % len(live) :] + live[: r % len(live)] if live else []
            if r % 2:
                order.reverse()
            for case in order:
                if case.error or (case.rounds is not None and r >= case.rounds):
                    continue
                if case.measure in QUIET_FIRST:
                    self.quiet()
                t0 = time.perf_counter()
                try:
                    params = {**case.params, **(case.first if r == 0 else {})}
                    out = self.workers[case.engine].call(case.op, case.reps, **params)
                except WorkerError as exc:
                    case.error = str(exc)
                    print(f"  ! {case.label}: {exc}", flush=True)
                    continue
                for k, v in out.items():
                    case.samples.setdefault(k, []).extend(v)
                if time.perf_counter() - t0 > 60:
                    print(f"  (slow: {case.label} took {time.perf_counter() - t0:.0f} s for one round)", flush=True)

    def quiet(self) -> None:
        """`wait_until_quiet`, except in a smoke run."""
        if not self.smoke:
            wait_until_quiet()

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
