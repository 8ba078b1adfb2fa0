"""What every Python engine worker shares (stdlib only: it runs in each peer's own venv).

A worker is one long-lived process per engine. The harness (bench/run.py) writes one JSON
request per line on its stdin, `{"op": NAME, "params": {...}, "reps": K}`, and reads one JSON
line back: `{"ok": {...measured...}}` or `{"error": "..."}`. Keeping a worker per engine lets the
harness alternate engines round by round inside one run while each engine keeps its warm
state (built graphs, open databases) and its own interpreter, garbage and allocator.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import os
import sqlite3
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

Op = Callable[..., Any]
DSN = os.environ.get("STEPSTREAM_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _ready(reps: int) -> dict[str, Any]:
    return {}


def serve(ops: dict[str, Op]) -> None:
    """Answer requests on stdin until it closes; one event loop for the whole worker.

    What the worker holds between requests (its engine and drivers, and the graphs, apps and
    databases the measures built and keep warm) is frozen, as a long-lived service freezes
    what it loaded (`stepstream serve`; docs/engine.md): a full collection during a sample then
    walks what that sample made, not a 5,000-node graph a measure built before it. Every
    engine's worker does it alike, after a collection and before it answers (never while
    another worker is being timed). Every worker answers `ready` (nothing measured) once its
    imports are done: the harness waits for all of them before the first sample."""
    ops = {"ready": _ready, **ops}
    gc.collect()
    gc.freeze()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    out = sys.stdout
    sys.stdout = sys.stderr  # engines that print must not corrupt the protocol
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            fn = ops[request["op"]]
            value = fn(reps=request.get("reps", 1), **request.get("params", {}))
            if inspect.isawaitable(value):
                value = loop.run_until_complete(value)
            reply = {"ok": value}
        except Exception as exc:  # reported to the harness, which shows it in the results
            traceback.print_exc(file=sys.stderr)
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        gc.collect()
        gc.freeze()
        out.write(json.dumps(reply) + "\n")
        out.flush()
    loop.close()


def warmups(reps: int) -> int:
    """Untimed runs before a chain case's samples: the harness alternates engines, so each
    case starts with the caches and branch predictors another process left (the first
    samples of a 10-step case took 2-8x the rest). Every engine gets the same count."""
    return min(5, reps // 3)


async def timed_async(reps: int, fn: Callable[[int], Awaitable[Any]], warmup: int = 0) -> list[float]:
    """Seconds per call of `await fn(i)`, one sample per call, after `warmup` untimed calls."""
    for i in range(warmup):
        await fn(i)
    samples = []
    for i in range(reps):
        t0 = time.perf_counter()
        await fn(i)
        samples.append(time.perf_counter() - t0)
    return samples


def timed(reps: int, fn: Callable[[int], Any], warmup: int = 0) -> list[float]:
    """`timed_async` for a sync `fn`."""
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t0)
    return samples


def written_bytes() -> int:
    """Bytes this process has passed to write() so far (all files, all threads; Linux /proc)."""
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise RuntimeError("/proc/self/io has no wchar line")


def stored_bytes(path: str) -> int:
    """Bytes of content in every table of a SQLite database: the sum of each column's length.

    Storage-format neutral (no pages, no indexes), so engines can be compared on what they keep.
    """
    conn = sqlite3.connect(path)
    try:
        total = 0
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            if cols:
                expr = " + ".join(f'COALESCE(SUM(LENGTH("{c}")), 0)' for c in cols)
                total += conn.execute(f'SELECT {expr} FROM "{table}"').fetchone()[0]
        return int(total)
    finally:
        conn.close()


def _run_delay(fd: int | None) -> float:
    """Seconds this thread has waited, runnable, for a CPU (Linux schedstat); 0 where unknown."""
    if fd is None:
        return 0.0
    return int(os.pread(fd, 128, 0).split()[1]) / 1e9


class Ticker:
    """Measures the longest time the event loop could not run a 1 ms ticker (the worst stall).

    Two figures per gap between ticks: the wall time past the period (`worst`), and that time
    less what the loop's thread spent waiting, runnable, for a CPU (Linux
    /proc/thread-self/schedstat): `worst_held`, how long the loop itself was held (by engine
    code, or by blocking calls: a sleep or an fsync on the loop counts). On a shared 2-core
    machine the OS keeps a runnable process off the CPU for more than 10 ms at times; that
    shows in the wall figure only."""

    def __init__(self, period: float = 0.001) -> None:
        self.period = period
        self.worst = 0.0
        self.worst_held = 0.0
        self._fd: int | None = None
        self._last = time.perf_counter()
        self._last_delay = 0.0
        self._task: asyncio.Task[None] | None = None

    def _mark(self) -> None:
        now, delay = time.perf_counter(), _run_delay(self._fd)
        gap = now - self._last - self.period
        self.worst = max(self.worst, gap)
        self.worst_held = max(self.worst_held, gap - (delay - self._last_delay))
        self._last, self._last_delay = now, delay

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            self._mark()

    async def __aenter__(self) -> Ticker:
        try:
            self._fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # the loop's thread
        except OSError:
            self._fd = None
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        self._last, self._last_delay = time.perf_counter(), _run_delay(self._fd)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._mark()  # a loop never given back while the run went on stalled for all of it
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def stream_measure(reps: int, one: Callable[[], Any]) -> dict[str, list[float]]:
    """Time to first event, events per second and worst loop stall, one sample per run.

    `one()` returns an async iterator of events for a fresh run.
    """
    ttfe: list[float] = []
    rate: list[float] = []
    stall: list[float] = []
    stall_held: list[float] = []
    whole: list[float] = []
    for _ in range(reps):
        async with Ticker() as ticker:
            t0 = time.perf_counter()
            first = None
            count = 0
            async for _event in await one():
                if first is None:
                    first = time.perf_counter() - t0
                count += 1
            total = time.perf_counter() - t0
        ttfe.append(first or total)
        rate.append(count / total)
        stall.append(ticker.worst)
        stall_held.append(ticker.worst_held)
        whole.append(total)
    return {"ttfe": ttfe, "events_per_s": rate, "stall": stall, "stall_held": stall_held, "total": whole}


async def peak_memory_async(run: Callable[[], Awaitable[Any]]) -> int:
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        await run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


class CommitCounter:
    """Counts the commits sqlite3 connections make, from the SQL they run (a trace callback):
    a write transaction's COMMIT, or a write outside any transaction (autocommitted). Each is
    one WAL sync at `synchronous=FULL`. Python's sqlite3 traces the start of each trigger
    program of a statement again with the statement's own text: a repeat of the text just
    traced is that statement still running, not a new one (checked against strace: one
    fdatasync per commit counted here)."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")

    def __init__(self) -> None:
        self.commits = 0

    def attach(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        state: dict[str, Any] = {"tx": False, "wrote": False, "last": None}

        def trace(sql: str) -> None:
            if sql == state["last"]:
                return  # a trigger program of the statement just traced
            state["last"] = sql
            head = sql.lstrip().upper()
            if head.startswith("--"):
                return
            if head.startswith("BEGIN") or (head.startswith("SAVEPOINT") and not state["tx"]):
                state.update(tx=True, wrote=False)
            elif head.startswith(("COMMIT", "END")):
                self.commits += state["wrote"]
                state.update(tx=False, wrote=False)
            elif head.startswith("ROLLBACK") and not head.startswith("ROLLBACK TO"):
                state.update(tx=False, wrote=False)
            elif head.startswith(self.WRITES) or (head.startswith("WITH") and " INSERT " in f" {head} "):
                if state["tx"]:
                    state["wrote"] = True
                else:
                    self.commits += 1

        conn.set_trace_callback(trace)
        return conn

    def patch_connect(self) -> Callable[[], None]:
        """Counts every connection opened through `sqlite3.connect` until the returned undo is called."""
        original = sqlite3.connect

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            return self.attach(original(*args, **kwargs))

        sqlite3.connect = connect  # type: ignore[assignment]

        def undo() -> None:
            sqlite3.connect = original

        return undo


def sqlite_tune(conn: sqlite3.Connection, synchronous: str) -> None:
    """WAL + the given synchronous level: how stepstream's SQLiteStorage opens its database."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")


def create_schema(schema: str) -> None:
    """A PostgreSQL schema of this worker's own (dropped by drop_schema when the worker closes)."""
    import psycopg

    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")


def drop_schema(schema: str) -> None:
    try:
        import psycopg

        with psycopg.connect(DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    except Exception:  # PostgreSQL down: nothing was created there
        pass
