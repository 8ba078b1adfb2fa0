"""Driver benchmark for the SQL storage backends: the engine's write pattern, per driver.

The pattern is what the engine does for a run: one `create_run` insert, one small
step upsert per step (every 5th also changing run-level state in the same
transaction), a final compare-and-set `update_run`, then one `load_run`.
`concurrency` runs execute at once on one event loop.

Variants:
  sqlite3-direct   stdlib sqlite3 called on the event-loop thread (blocks the loop)
  sqlite3-thread   stdlib sqlite3 on one dedicated worker thread, one hop per call
  aiosqlite        aiosqlite (its own thread, one hop per statement)
  psycopg-pool     psycopg 3 async + psycopg_pool, autocommit, one statement per call
  asyncpg-pool     asyncpg pool, one statement per call ("no-reset": without the reset
                   query asyncpg's pool sends on every release)
  *Storage         the shipped backends, end to end (serialization included)

Columns: throughput, per-step write latency, load_run latency, the longest time
the event loop could not run another task, and this process's CPU time per
step (create + writes + load, all threads): the driver's own overhead, the
figure least disturbed by other load on the machine.

Run:  .venv/bin/python bench/storage_drivers.py [--runs 40] [--steps 25] [--repeat 3] [--only NAME]
PostgreSQL rows need a server: DSN from STEPSTREAM_TEST_POSTGRES_DSN
(default postgresql://postgres@127.0.0.1:5432/postgres); they are skipped if it is down.

Last recorded (median of 5 rounds, 40 runs x 25 steps; 2-core VM, fsync ~0.15 ms,
PostgreSQL 15 on the same host; discussed in docs/storage.md, "Why these drivers"):

| variant                | conc |  steps/s | step p50 ms | step p95 ms | load_run ms | max loop stall ms | client CPU us/step |
|------------------------|------|----------|-------------|-------------|-------------|-------------------|--------------------|
| sqlite3-direct FULL    |    1 |     3941 |       0.190 |       0.315 |       0.156 |              1.94 |                148 |
| sqlite3-thread FULL    |    1 |     2669 |       0.306 |       0.427 |       0.243 |              0.83 |                262 |
| aiosqlite FULL         |    1 |     1827 |       0.470 |       0.686 |       0.672 |              1.85 |                406 |
| sqlite3-direct NORMAL  |    1 |    16216 |       0.030 |       0.050 |       0.098 |              4.43 |                 50 |
| sqlite3-thread NORMAL  |    1 |     5363 |       0.135 |       0.178 |       0.217 |              1.03 |                170 |
| aiosqlite NORMAL       |    1 |     3342 |       0.240 |       0.365 |       0.618 |              1.11 |                254 |
| SQLiteStorage          |    1 |     2593 |       0.302 |       0.475 |       0.280 |              3.25 |                280 |
| psycopg-pool           |    1 |     2166 |       0.367 |       0.478 |       0.836 |              1.73 |                223 |
| asyncpg-pool           |    1 |     1823 |       0.459 |       0.575 |       0.755 |              1.09 |                242 |
| asyncpg-pool no-reset  |    1 |     2498 |       0.327 |       0.411 |       0.667 |              1.10 |                174 |
| PostgresStorage        |    1 |     2251 |       0.364 |       0.455 |       0.440 |              1.20 |                215 |
| sqlite3-direct FULL    |    8 |     4376 |       0.174 |       0.302 |       0.114 |              9.53 |                136 |
| sqlite3-thread FULL    |    8 |     3052 |       2.205 |       3.315 |       1.772 |              0.93 |                259 |
| aiosqlite FULL         |    8 |     1765 |       3.957 |       5.075 |       3.759 |              1.88 |                401 |
| sqlite3-direct NORMAL  |    8 |    15785 |       0.030 |       0.054 |       0.099 |              6.57 |                 49 |
| sqlite3-thread NORMAL  |    8 |     5596 |       0.900 |       1.449 |       1.244 |              1.08 |                164 |
| aiosqlite NORMAL       |    8 |     2627 |       2.361 |       3.616 |       3.310 |              1.64 |                341 |
| SQLiteStorage          |    8 |     2700 |       2.497 |       3.812 |       2.078 |              2.11 |                295 |
| psycopg-pool           |    8 |     3848 |       1.307 |       3.468 |       2.948 |              4.07 |                144 |
| asyncpg-pool           |    8 |     3161 |       1.824 |       3.796 |       2.815 |              2.13 |                159 |
| asyncpg-pool no-reset  |    8 |     2885 |       1.698 |       4.964 |       2.974 |              4.43 |                132 |
| PostgresStorage        |    8 |     2706 |       1.816 |       5.216 |       1.526 |              3.33 |                182 |
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from stepstream.results import StepResult
from stepstream.storage.base import RunRecord, Storage
from stepstream.storage.migrations import load_migrations

DSN = os.environ.get("STEPSTREAM_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
STEP = json.dumps(
    {"status": "success", "payload": {"n": 1, "text": "hello"}, "output": {"n": 2, "items": [1, 2, 3]}, "startedAt": 1, "endedAt": 2},
    separators=(",", ":"),
)
STATE = json.dumps({"counter": 7, "notes": "x" * 100}, separators=(",", ":"))

SQ_INSERT_RUN = (
    "INSERT INTO stepstream_runs (workflow_id, run_id, status, state, created_at, updated_at) VALUES (?, ?, 'running', '{}', ?, ?)"
)
SQ_STEP = (
    "INSERT INTO stepstream_steps (workflow_id, run_id, key, seq, record) "
    "SELECT :w, :r, :k, COALESCE((SELECT MAX(seq) FROM stepstream_steps WHERE workflow_id = :w AND run_id = :r), 0) + 1, :rec "
    "WHERE EXISTS (SELECT 1 FROM stepstream_runs WHERE workflow_id = :w AND run_id = :r) "
    "ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = excluded.record"
)
SQ_STATE = "UPDATE stepstream_runs SET state = ?, updated_at = ? WHERE workflow_id = ? AND run_id = ?"
SQ_CAS = "UPDATE stepstream_runs SET status = 'success', updated_at = ? WHERE workflow_id = ? AND run_id = ? AND status IN ('running')"
SQ_LOAD_RUN = "SELECT * FROM stepstream_runs WHERE workflow_id = ? AND run_id = ?"
SQ_LOAD_STEPS = "SELECT key, record FROM stepstream_steps WHERE workflow_id = ? AND run_id = ? ORDER BY seq"

PG_INSERT_RUN = (
    "INSERT INTO stepstream_runs (workflow_id, run_id, status, state, created_at, updated_at) VALUES ($1, $2, 'running', '{}', $3, $4)"
)
PG_STEP = (
    "INSERT INTO stepstream_steps (workflow_id, run_id, key, record) SELECT $1, $2, $3, $4::json "
    "WHERE EXISTS (SELECT 1 FROM stepstream_runs WHERE workflow_id = $1 AND run_id = $2) "
    "ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = EXCLUDED.record"
)
PG_STEP_STATE = (
    "WITH run AS (UPDATE stepstream_runs SET state = $5::json, updated_at = $6 WHERE workflow_id = $1 AND run_id = $2 RETURNING 1) "
    "INSERT INTO stepstream_steps (workflow_id, run_id, key, record) SELECT $1, $2, $3, $4::json FROM run "
    "ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = EXCLUDED.record"
)
PG_CAS = (
    "UPDATE stepstream_runs SET status = 'success', updated_at = $1 WHERE workflow_id = $2 AND run_id = $3 AND status = ANY($4::text[])"
)
PG_LOAD_RUN = "SELECT * FROM stepstream_runs WHERE workflow_id = $1 AND run_id = $2"
PG_LOAD_STEPS = "SELECT key, record::text FROM stepstream_steps WHERE workflow_id = $1 AND run_id = $2 ORDER BY seq"


def _pg(sql: str) -> str:
    """asyncpg `$n` placeholders to psycopg `%(pn)s` named ones (the SQL above reuses $1/$2)."""
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", f"%(p{n})s")
    return sql


def _pgargs(*args: Any) -> dict[str, Any]:
    return {f"p{i}": a for i, a in enumerate(args, 1)}


class Driver:
    """The five operations of the pattern, for one driver."""

    name = ""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def create(self, wf: str, run: str) -> None: ...
    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None: ...
    async def finish(self, wf: str, run: str) -> bool: ...
    async def load(self, wf: str, run: str) -> int: ...


def _sqlite_connect(path: str, sync: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def _sqlite_schema(path: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for _version, _name, sql in load_migrations("sqlite"):
        conn.executescript(sql)
    conn.close()


class _SqliteOps:
    """Whole-transaction functions shared by the two stdlib variants."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self, wf: str, run: str) -> None:
        now = int(time.time() * 1000)
        self.conn.execute(SQ_INSERT_RUN, (wf, run, now, now))

    def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(SQ_STEP, {"w": wf, "r": run, "k": key, "rec": STEP})
            if with_state:
                c.execute(SQ_STATE, (STATE, int(time.time() * 1000), wf, run))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def finish(self, wf: str, run: str) -> bool:
        return self.conn.execute(SQ_CAS, (int(time.time() * 1000), wf, run)).rowcount == 1

    def load(self, wf: str, run: str) -> int:
        c = self.conn
        c.execute("BEGIN")
        try:
            c.execute(SQ_LOAD_RUN, (wf, run)).fetchone()
            rows = c.execute(SQ_LOAD_STEPS, (wf, run)).fetchall()
        finally:
            c.execute("COMMIT")
        return len([json.loads(r[1]) for r in rows])


class SqliteDirect(Driver):
    def __init__(self, path: str, sync: str) -> None:
        self.name, self.path, self.sync = f"sqlite3-direct {sync}", path, sync

    async def open(self) -> None:
        self.ops = _SqliteOps(_sqlite_connect(self.path, self.sync))

    async def close(self) -> None:
        self.ops.conn.close()

    async def create(self, wf: str, run: str) -> None:
        self.ops.create(wf, run)

    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        self.ops.step(wf, run, key, with_state)

    async def finish(self, wf: str, run: str) -> bool:
        return self.ops.finish(wf, run)

    async def load(self, wf: str, run: str) -> int:
        return self.ops.load(wf, run)


class SqliteThread(Driver):
    def __init__(self, path: str, sync: str) -> None:
        self.name, self.path, self.sync = f"sqlite3-thread {sync}", path, sync

    async def open(self) -> None:
        self.pool = ThreadPoolExecutor(1)
        self.ops = _SqliteOps(await self._run(_sqlite_connect, self.path, self.sync))

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def close(self) -> None:
        await self._run(self.ops.conn.close)
        self.pool.shutdown()

    async def create(self, wf: str, run: str) -> None:
        await self._run(self.ops.create, wf, run)

    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        await self._run(self.ops.step, wf, run, key, with_state)

    async def finish(self, wf: str, run: str) -> bool:
        return bool(await self._run(self.ops.finish, wf, run))

    async def load(self, wf: str, run: str) -> int:
        return int(await self._run(self.ops.load, wf, run))


class AioSqlite(Driver):
    def __init__(self, path: str, sync: str) -> None:
        self.name, self.path, self.sync = f"aiosqlite {sync}", path, sync

    async def open(self) -> None:
        import aiosqlite

        self.conn = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=WAL", f"synchronous={self.sync}", "foreign_keys=ON", "busy_timeout=5000"):
            await self.conn.execute(f"PRAGMA {pragma}")
        self.lock = asyncio.Lock()  # one connection: transactions of concurrent runs must not interleave

    async def close(self) -> None:
        await self.conn.close()

    async def create(self, wf: str, run: str) -> None:
        now = int(time.time() * 1000)
        async with self.lock:
            await self.conn.execute(SQ_INSERT_RUN, (wf, run, now, now))

    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        async with self.lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                await self.conn.execute(SQ_STEP, {"w": wf, "r": run, "k": key, "rec": STEP})
                if with_state:
                    await self.conn.execute(SQ_STATE, (STATE, int(time.time() * 1000), wf, run))
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise

    async def finish(self, wf: str, run: str) -> bool:
        async with self.lock:
            cur = await self.conn.execute(SQ_CAS, (int(time.time() * 1000), wf, run))
            return cur.rowcount == 1

    async def load(self, wf: str, run: str) -> int:
        async with self.lock:
            await self.conn.execute("BEGIN")
            try:
                await (await self.conn.execute(SQ_LOAD_RUN, (wf, run))).fetchone()
                rows = await (await self.conn.execute(SQ_LOAD_STEPS, (wf, run))).fetchall()
            finally:
                await self.conn.execute("COMMIT")
        return len([json.loads(r[1]) for r in rows])


class PsycopgPool(Driver):
    name = "psycopg-pool"

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn, self.size = dsn, size

    async def open(self) -> None:
        from psycopg_pool import AsyncConnectionPool

        self.pool = AsyncConnectionPool(self.dsn, min_size=self.size, max_size=self.size, open=False, kwargs={"autocommit": True})
        await self.pool.open(wait=True)

    async def close(self) -> None:
        await self.pool.close()

    async def create(self, wf: str, run: str) -> None:
        now = int(time.time() * 1000)
        async with self.pool.connection() as conn:
            await conn.execute(_pg(PG_INSERT_RUN), _pgargs(wf, run, now, now))

    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        async with self.pool.connection() as conn:
            if with_state:
                await conn.execute(_pg(PG_STEP_STATE), _pgargs(wf, run, key, STEP, STATE, int(time.time() * 1000)))
            else:
                await conn.execute(_pg(PG_STEP), _pgargs(wf, run, key, STEP))

    async def finish(self, wf: str, run: str) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute(_pg(PG_CAS), _pgargs(int(time.time() * 1000), wf, run, ["running"]))
            return cur.rowcount == 1

    async def load(self, wf: str, run: str) -> int:
        async with self.pool.connection() as conn, conn.transaction():
            await (await conn.execute(_pg(PG_LOAD_RUN), _pgargs(wf, run))).fetchone()
            rows = await (await conn.execute(_pg(PG_LOAD_STEPS), _pgargs(wf, run))).fetchall()
        return len([json.loads(r[1]) for r in rows])


class AsyncpgPool(Driver):
    """asyncpg's pool; `no_reset` skips the reset query it sends on every release."""

    def __init__(self, dsn: str, size: int, *, no_reset: bool = False) -> None:
        self.dsn, self.size, self.no_reset = dsn, size, no_reset
        self.name = "asyncpg-pool no-reset" if no_reset else "asyncpg-pool"

    async def open(self) -> None:
        import asyncpg

        async def _no_reset(conn: Any) -> None:
            return None

        extra: dict[str, Any] = {"reset": _no_reset} if self.no_reset else {}
        self.pool = await asyncpg.create_pool(self.dsn, min_size=self.size, max_size=self.size, **extra)

    async def close(self) -> None:
        await self.pool.close()

    async def create(self, wf: str, run: str) -> None:
        now = int(time.time() * 1000)
        await self.pool.execute(PG_INSERT_RUN, wf, run, now, now)

    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        if with_state:
            await self.pool.execute(PG_STEP_STATE, wf, run, key, STEP, STATE, int(time.time() * 1000))
        else:
            await self.pool.execute(PG_STEP, wf, run, key, STEP)

    async def finish(self, wf: str, run: str) -> bool:
        status = await self.pool.execute(PG_CAS, int(time.time() * 1000), wf, run, ["running"])
        return bool(status == "UPDATE 1")

    async def load(self, wf: str, run: str) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.fetchrow(PG_LOAD_RUN, wf, run)
            rows = await conn.fetch(PG_LOAD_STEPS, wf, run)
        return len([json.loads(r[1]) for r in rows])


class StorageDriver(Driver):
    """A shipped backend behind the same five calls."""

    def __init__(self, name: str, make: Callable[[], Storage]) -> None:
        self.name, self.make = name, make

    async def open(self) -> None:
        self.storage = self.make()
        await self.storage.setup()
        self.record = StepResult.from_dict(json.loads(STEP))
        self.state = json.loads(STATE)

    async def close(self) -> None:
        await self.storage.close()

    async def create(self, wf: str, run: str) -> None:
        await self.storage.create_run(RunRecord(wf, run, status="running"))

    async def step(self, wf: str, run: str, key: str, with_state: bool) -> None:
        await self.storage.save_step(wf, run, key, self.record, {"state": self.state} if with_state else None)

    async def finish(self, wf: str, run: str) -> bool:
        return await self.storage.update_run(wf, run, {"status": "success"}, expected_status=("running",))

    async def load(self, wf: str, run: str) -> int:
        loaded = await self.storage.load_run(wf, run)
        return 0 if loaded is None else len(loaded.steps)


async def _timed(fn: Callable[[], Awaitable[Any]], into: list[float]) -> Any:
    t = time.perf_counter()
    out = await fn()
    into.append(time.perf_counter() - t)
    return out


async def bench(driver: Driver, runs: int, steps: int, concurrency: int) -> dict[str, float]:
    """Runs the pattern; returns throughput and latencies."""
    await driver.open()
    step_lat: list[float] = []
    load_lat: list[float] = []
    wf = "bench"
    sem = asyncio.Semaphore(concurrency)

    async def one_run() -> None:
        async with sem:
            run = uuid.uuid4().hex
            await driver.create(wf, run)
            for i in range(steps):
                await _timed(lambda i=i: driver.step(wf, run, f"step-{i}", i % 5 == 4), step_lat)
                await asyncio.sleep(0)  # the engine yields between steps; lets the stall watcher see per-call blocking
            assert await driver.finish(wf, run)
            assert await _timed(lambda: driver.load(wf, run), load_lat) == steps

    stalls: list[float] = []
    done = asyncio.Event()

    async def watch_loop() -> None:
        """Longest time the event loop could not run another task (a 1 ms ticker's lateness)."""
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            stalls.append(time.perf_counter() - t - 0.001)

    watcher = asyncio.create_task(watch_loop())
    try:
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one_run() for _ in range(runs)))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        done.set()
        await watcher
        await driver.close()
    return {
        "steps_per_s": runs * steps / wall,
        "step_p50_ms": statistics.median(step_lat) * 1000,
        "step_p95_ms": statistics.quantiles(step_lat, n=20)[-1] * 1000,
        "load_ms": statistics.mean(load_lat) * 1000,
        "stall_ms": max(stalls, default=0.0) * 1000,
        "cpu_us": cpu / (runs * steps) * 1e6,
    }


async def _pg_schema() -> str | None:
    """A fresh, empty schema, or None if the server is down."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        conn = await psycopg.AsyncConnection.connect(DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    async with conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
    return schema


async def _pg_tables(schema: str) -> None:
    """The tables, without the version table (the raw-driver variants only)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(_with_schema(DSN, schema), autocommit=True) as conn:
        for _version, _name, sql in load_migrations("postgres"):
            await conn.execute(sql.encode())


async def _pg_drop(schema: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(DSN, autocommit=True) as conn:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _with_schema(dsn: str, schema: str) -> str:
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}options=-csearch_path%3D{schema}"


async def _run_variant(
    name: str, make: Callable[[], Awaitable[Driver]], drop: Callable[[], Awaitable[None]] | None, args: Any, conc: int
) -> dict[str, float]:
    driver = await make()
    try:
        return await bench(driver, args.runs, args.steps, conc)
    finally:
        if drop is not None:
            await drop()


Variant = tuple[str, Callable[[], Awaitable[Driver]], Callable[[], Awaitable[None]] | None]


def _variants(tmp: str, conc: int, sync_levels: list[str], pg_up: bool) -> list[Variant]:
    """(name, factory of a ready driver on a fresh database, cleanup) for every variant."""
    from stepstream.storage.postgres import PostgresStorage
    from stepstream.storage.sqlite import SQLiteStorage

    variants: list[Variant] = []

    def sqlite_variant(name: str, build: Callable[[str], Driver], migrate: bool) -> None:
        async def make() -> Driver:
            path = str(Path(tmp) / f"{uuid.uuid4().hex}.db")
            if migrate:
                _sqlite_schema(path)
            return build(path)

        variants.append((name, make, None))

    def pg_variant(name: str, build: Callable[[str, str], Driver], migrate: bool) -> None:
        schemas: list[str] = []

        async def make() -> Driver:
            schema = await _pg_schema()
            assert schema is not None
            schemas.append(schema)
            if migrate:
                await _pg_tables(schema)
            return build(_with_schema(DSN, schema), schema)

        async def drop() -> None:
            await _pg_drop(schemas.pop())

        variants.append((name, make, drop))

    for sync in sync_levels:
        sqlite_variant(f"sqlite3-direct {sync}", lambda p, s=sync: SqliteDirect(p, s), True)
        sqlite_variant(f"sqlite3-thread {sync}", lambda p, s=sync: SqliteThread(p, s), True)
        sqlite_variant(f"aiosqlite {sync}", lambda p, s=sync: AioSqlite(p, s), True)
    sqlite_variant("SQLiteStorage", lambda p: StorageDriver("SQLiteStorage", lambda: SQLiteStorage(p)), False)
    if pg_up:
        pg_variant("psycopg-pool", lambda dsn, _s: PsycopgPool(dsn, conc), True)
        pg_variant("asyncpg-pool", lambda dsn, _s: AsyncpgPool(dsn, conc), True)
        pg_variant("asyncpg-pool no-reset", lambda dsn, _s: AsyncpgPool(dsn, conc, no_reset=True), True)
        pg_variant(
            "PostgresStorage",
            lambda _dsn, schema: StorageDriver("PostgresStorage", lambda: PostgresStorage(DSN, schema=schema, max_size=conc)),
            False,
        )
    return variants


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (variants interleaved); the table shows medians")
    parser.add_argument("--sync", default="FULL,NORMAL", help="SQLite synchronous levels to compare")
    parser.add_argument("--concurrency", default="1,8", help="concurrent runs, comma-separated")
    parser.add_argument("--only", default="", help="substring filter on variant names")
    args = parser.parse_args()

    schema = await _pg_schema()
    if schema is not None:
        await _pg_drop(schema)
    else:
        print(f"PostgreSQL at {DSN} is down: skipping its rows")

    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _round in range(args.repeat):
            for conc in (int(c) for c in args.concurrency.split(",")):
                for name, make, drop in _variants(tmp, conc, args.sync.split(","), schema is not None):
                    if args.only not in name:
                        continue
                    driver = await make()
                    try:
                        results.setdefault((name, conc), []).append(await bench(driver, args.runs, args.steps, conc))
                    finally:
                        if drop is not None:
                            await drop()

    print(
        f"\n{args.runs} runs x {args.steps} steps (every 5th step also writes run state), "
        f"median of {args.repeat} rounds; sqlite {sqlite3.sqlite_version}\n"
    )
    head = f"| {'variant':<22} | conc | {'steps/s':>8} | {'step p50 ms':>11} | {'step p95 ms':>11} | {'load_run ms':>11} |"
    print(f"{head} {'max loop stall ms':>17} | {'client CPU us/step':>18} |")
    print(f"|{'-' * 24}|------|{'-' * 10}|{'-' * 13}|{'-' * 13}|{'-' * 13}|{'-' * 19}|{'-' * 20}|")
    for (name, conc), runs in sorted(results.items(), key=lambda item: item[0][1]):
        r = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"| {name:<22} | {conc:>4} | {r['steps_per_s']:>8.0f} | {r['step_p50_ms']:>11.3f} "
            f"| {r['step_p95_ms']:>11.3f} | {r['load_ms']:>11.3f} | {r['stall_ms']:>17.2f} | {r['cpu_us']:>18.0f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
