"""SQLite storage: the embedded default backend.

Driver: stdlib `sqlite3` on one dedicated worker thread per storage, one thread
hop per call with the whole transaction inside it. It beat aiosqlite (one hop
per statement) in every measured configuration, and unlike calling sqlite3 on
the event loop it never stalls other runs while a commit waits for fsync (see
docs/storage.md, "Why these drivers", and bench/storage_drivers.py).

Durability: WAL. With the default `synchronous="NORMAL"` a commit is not
fsynced: a step that `save_step` returned for survives any crash of the process
(SIGKILL included), and an OS crash or power loss can lose only the last
commits, never corrupt the file. Then transactions take microseconds, so they
run inline on the event loop (a locked database falls back to the worker
thread, which waits and retries off the loop), and WAL checkpoints run on the
worker thread. `synchronous="FULL"` fsyncs every commit (survives power loss)
and runs every transaction on the worker thread, since an fsync would stall the loop.

Concurrency: writes take the write lock up front (`BEGIN IMMEDIATE`). A lock held
by another connection or process is waited for (`busy_timeout`), then retried
with jittered exponential backoff until `lock_timeout`; a transaction either
commits whole or is rolled back and retried, so no step is lost or half written.

Safety: a file that is not a SQLite database, a database with tables that are
not ours, or our schema at a newer version raise StorageError naming the path,
before anything is written to the file.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .._raw_json import RawJSON
from ..errors import StorageError
from ..results import StepResult
from ..run_query import RunQuery
from ._items import INPUT_APART, INPUT_KEY, ITEMS, SELECT_APART, SQLiteItems, input_apart, input_column, write_apart
from ._sql import (
    RUN_COLUMNS,
    RUNS,
    STEPS,
    encode_changes,
    record_row,
    row_record,
    step_from_json,
    step_json,
    thin_parts,
)
from ._sql_payloads import SQLitePayloads
from ._sqlite_checkpoint import EVERY as CHECKPOINT_EVERY
from ._sqlite_checkpoint import Checkpoints
from ._sqlite_events import WRITE_STEP, SQLiteEvents, append_in_tx, check_first_batch, event_row, insert_batch, update_at_log_end
from ._sqlite_schedules import SQLiteSchedules
from ._sqlite_tx import read_tx as _read
from ._sqlite_tx import write_tx as _write
from ._wake import Waiters
from .base import ALL_RUNS, LoggedEvent, RunChanges, RunRecord, Storage, now_ms
from .migrations import VERSION_TABLE, load_migrations

T = TypeVar("T")

_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_NOTADB = 5, 6, 26
_WAL_LIMIT = 4 * 1024 * 1024  # journal_size_limit: a restarted WAL is truncated to this size
_COLS = ", ".join(RUN_COLUMNS)


_INSERT_RUN = f"INSERT INTO {RUNS} ({_COLS}) VALUES ({', '.join('?' * len(RUN_COLUMNS))}) ON CONFLICT DO NOTHING"
_INSERT_STEP = f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) VALUES (?, ?, ?, ?)"
# seq (the rowid, migration 0006) is given on first insert, after every other step's; an upsert keeps it.
_UPSERT_STEP = (
    f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) SELECT :w, :r, :k, :rec "
    f"WHERE EXISTS (SELECT 1 FROM {RUNS} WHERE workflow_id = :w AND run_id = :r AND (:o IS NULL OR owner = :o)) "
    "ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = excluded.record"
)
# A run's columns as read: its input from its row or, kept apart (migration 0009), from its item row.
_READ_COLS = ", ".join(input_column("r") if c == "input" else c for c in RUN_COLUMNS)
_SELECT_RUN = f"SELECT {_READ_COLS} FROM {RUNS} r WHERE workflow_id = ? AND run_id = ?"
_INPUT_AT = RUN_COLUMNS.index("input")
# Step records only (TEXT keys): the table also holds the run's event batches (INTEGER keys, see _sqlite_events).
_SELECT_STEPS = f"SELECT key, record FROM {STEPS} WHERE workflow_id = ? AND run_id = ? AND key >= '' ORDER BY seq"


class _Refused(Exception):
    """Rolls a write transaction back: a condition checked inside it did not hold."""


def _locked(exc: BaseException) -> bool:
    """True for 'database is locked' / 'database table is locked' (SQLITE_BUSY, SQLITE_LOCKED)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _statements(sql: str) -> list[str]:
    """Splits a migration file into statements (sqlite3.execute runs one at a time)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if any(ln.strip() and not ln.strip().startswith("--") for ln in buf.splitlines()):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buf.strip()[:80]!r}")
    return out


class SQLiteStorage(SQLiteEvents, SQLiteItems, SQLiteSchedules, SQLitePayloads, Storage):
    """Runs in a SQLite file (or ":memory:"), one row per run and one per step.

    `busy_timeout` is how long SQLite itself waits for a lock per attempt;
    `lock_timeout` bounds the whole retry loop before StorageError is raised.
    """

    supports_concurrent_updates = True
    folds_claim = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "NORMAL",
        busy_timeout: float = 5.0,
        lock_timeout: float = 60.0,
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise ValueError(f"SQLiteStorage synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = os.fspath(path)
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self.lock_timeout = lock_timeout
        self._conn: sqlite3.Connection | None = None
        #: NORMAL mode: a second connection used inline on the event loop (never waits for a lock).
        self._inline: sqlite3.Connection | None = None
        self._checkpoints = Checkpoints()
        self._executor: ThreadPoolExecutor | None = None
        self._setup_lock = asyncio.Lock()
        self._closed = False
        #: create the file's folder when first opened (the app's default ./.stepstream/stepstream.db)
        self._make_parent = False
        #: the step text and run-change parameters of the last `save_step` (see `_last_write_size`)
        self._last_write: tuple[str, Sequence[Any]] = ("", ())
        self._waiters = Waiters()

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"

    @property
    def _last_write_size(self) -> int:
        """JSON characters sent by the last `save_step` (tests check it does not grow with the
        run); counted when read, not on every write."""
        text, params = self._last_write
        return len(text) + sum(len(p) for p in params if isinstance(p, str))

    # -- lifecycle ---------------------------------------------------------------

    async def setup(self) -> None:
        """Opens the database and applies pending migrations. Idempotent; other calls do it on first use."""
        if self._conn is not None:
            return
        async with self._setup_lock:
            if self._closed:
                raise StorageError(f"SQLite storage {self.path} is closed")
            if self._conn is not None:
                return
            executor = ThreadPoolExecutor(1, thread_name_prefix="stepstream-sqlite")
            loop = asyncio.get_running_loop()
            try:
                conn = await self._retrying(lambda: loop.run_in_executor(executor, self._open), "open")
            except BaseException:
                executor.shutdown(wait=False)
                raise
            if self.synchronous == "NORMAL":
                self._inline = conn if self.path == ":memory:" else self._open_inline()
            self._conn, self._executor = conn, executor

    async def close(self) -> None:
        """Closes the connections and the thread. Later calls raise StorageError."""
        async with self._setup_lock:
            self._closed = True
            conn, executor, inline = self._conn, self._executor, self._inline
            self._conn = self._executor = self._inline = None
        await self._checkpoints.settled()
        if inline is not None and inline is not conn:
            inline.close()
        if executor is not None:
            try:
                if conn is not None:
                    await asyncio.get_running_loop().run_in_executor(executor, conn.close)
            finally:
                executor.shutdown(wait=True)

    def _open(self) -> sqlite3.Connection:
        """In the worker thread: connect, check the file is ours, set pragmas, migrate."""
        if self._make_parent and os.path.dirname(self.path):
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            version = self._inspect(conn)  # read-only: refuses foreign files before anything is written
            conn.execute("PRAGMA journal_mode=WAL")  # ":memory:" stays in "memory" mode
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            if version < len(load_migrations("sqlite")):
                _write(conn, self._migrate)
            return conn
        except BaseException:
            conn.close()
            raise

    def _open_inline(self) -> sqlite3.Connection:
        """The event-loop connection: never waits for a lock, never checkpoints itself."""
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=0")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
        return conn

    def _inspect(self, conn: sqlite3.Connection) -> int:
        """Our schema version in the file (0 if empty); StorageError if the file is not ours or too new."""
        try:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) == _SQLITE_NOTADB:
                raise StorageError(f"{self.path} is not a SQLite database ({exc}); stepstream left it untouched") from exc
            raise
        tables = sorted(n for n in names if not n.startswith("sqlite_"))
        if not tables:
            return 0
        if VERSION_TABLE not in names and names & {RUNS, STEPS}:
            raise StorageError(
                f"{self.path} has tables named like stepstream's but no {VERSION_TABLE}; stepstream left it untouched: use another file"
            )
        if VERSION_TABLE not in names:
            raise StorageError(
                f"{self.path} is a SQLite database with tables that are not stepstream's ({', '.join(tables[:5])}); "
                "stepstream left it untouched: use another file"
            )
        version = int(conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()[0])
        latest = len(load_migrations("sqlite"))
        if version > latest:
            raise StorageError(
                f"{self.path} has stepstream schema version {version}, newer than this stepstream knows ({latest}); "
                "upgrade stepstream to use it (nothing was changed)"
            )
        return version

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Inside a write transaction: applies the migrations the file lacks (re-checked under the lock)."""
        version = self._inspect(conn)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        for number, _name, sql in load_migrations("sqlite")[version:]:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (?, ?)", (number, now_ms()))

    # -- plumbing ----------------------------------------------------------------

    async def _retrying(self, attempt: Callable[[], Any], what: str) -> Any:
        """Awaits `attempt()`, retrying while the database is locked; sqlite3 errors become StorageError."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        while True:
            try:
                return await attempt()
            except sqlite3.Error as exc:
                if not _locked(exc):
                    raise StorageError(f"SQLite {what} failed on {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StorageError(
                        f"SQLite {what} failed on {self.path}: {exc} (still locked after {self.lock_timeout:g}s of retries)"
                    ) from exc
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)

    async def _run(self, fn: Callable[[sqlite3.Connection], T], what: str) -> T:
        """Runs `fn(conn)`: inline when commits are cheap and the lock is free (after the
        running checkpoint, if any), else on the worker thread, retrying on a locked database."""
        if self._conn is None:
            await self.setup()
        inline = self._inline
        if inline is not None:
            checkpoints = self._checkpoints
            if checkpoints.first is not None or checkpoints.second is not None:
                await checkpoints.wait(self._conn, self._executor)  # (`_sqlite_checkpoint`)
            try:
                out = fn(inline)
            except sqlite3.Error as exc:
                if not _locked(exc) or inline is self._conn:
                    raise StorageError(f"SQLite {what} failed on {self.path}: {exc}") from exc
            else:
                checkpoints.commits += 1
                # (":memory:" has no log to copy, and its one connection is this one: a pass on
                # the worker thread would run beside the inline commits on the same connection)
                if checkpoints.commits % CHECKPOINT_EVERY == 0 and inline is not self._conn:
                    checkpoints.start(self._conn, self._executor)
                return out
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            raise StorageError(f"SQLite storage {self.path} is closed")
        loop = asyncio.get_running_loop()
        result: T = await self._retrying(lambda: loop.run_in_executor(executor, fn, conn), what)
        return result

    # -- the protocol ------------------------------------------------------------

    async def create_run(self, record: RunRecord) -> bool:
        row, long_input = input_apart(record_row(record))
        wf, run = record.workflow_id, record.run_id
        aparts = [] if long_input is None else [(wf, run, INPUT_KEY, long_input, None)]
        steps = [
            (wf, run, key, self._step_text(wf, run, key, step, aparts)) for key, step in record.steps.items()
        ]  # in order: seq = first-write order

        def tx(conn: sqlite3.Connection) -> bool:
            if conn.execute(_INSERT_RUN, row).rowcount != 1:
                return False
            conn.executemany(_INSERT_STEP, steps)
            write_apart(conn, aparts)
            return True

        if not steps and not aparts:  # one statement: atomic on its own, no explicit transaction needed
            return await self._run(lambda conn: conn.execute(_INSERT_RUN, row).rowcount == 1, "create_run")
        return await self._run(lambda conn: _write(conn, tx), "create_run")

    async def load_run_thin(self, workflow_id: str, run_id: str) -> RunRecord | None:
        return await self._load_stored(workflow_id, run_id, raw=True)

    async def _load_stored(self, workflow_id: str, run_id: str, *, raw: bool) -> RunRecord | None:
        """The run as stored (thin foreach records without their entries), the values kept
        apart put back: with `raw`, as `RawJSON` (see `Storage.load_run_thin`), else parsed."""
        ids = (workflow_id, run_id)

        def tx(conn: sqlite3.Connection) -> tuple[Any, list[Any], list[Any]]:
            row = conn.execute(_SELECT_RUN, ids).fetchone()
            if row is None:
                return None, [], []
            return row, conn.execute(_SELECT_STEPS, ids).fetchall(), conn.execute(SELECT_APART, ids).fetchall()

        row, steps, aparts = await self._run(lambda conn: _read(conn, tx), "load_run")
        if row is None:
            return None
        records = {key: step_from_json(text) for key, text in steps}
        for key, text, index in aparts:
            alias = None if text else self._input_alias(workflow_id, run_id)  # '': the items are the run's input (see `_items`)
            text = text or row[_INPUT_AT]
            records[key].payload = RawJSON(text, index, (self, workflow_id, run_id, key), alias) if raw else json.loads(text)
        return row_record(row, records, raw)

    def _step_text(self, workflow_id: str, run_id: str, key: str, record: StepResult, aparts: list[Any]) -> str:
        """A step record's JSON; a thin foreach record's payload, unless stored already, joins `aparts`."""
        parts = thin_parts(key, record, (self, workflow_id, run_id, key)) if isinstance(record.payload, list | RawJSON) else None
        if parts is None:
            return step_json(key, record)
        text, payload = parts
        if payload is not None:
            aparts.append((workflow_id, run_id, key, payload.text, payload.index))
        return text

    async def update_run(
        self,
        workflow_id: str,
        run_id: str,
        changes: RunChanges,
        *,
        expected_status: Collection[str] | None = None,
        expected_owner: str | None = None,
        events: Sequence[LoggedEvent] = (),
    ) -> bool:
        statuses = None if expected_status is None else list(expected_status)
        if statuses == []:
            return False
        aparts: list[Any] = []
        sql, params = self._update_sql(workflow_id, run_id, changes, statuses, expected_owner, aparts)
        if not events and not aparts:
            return await self._run(lambda conn: conn.execute(sql, params).rowcount == 1, "update_run")  # one statement: atomic
        batch = (workflow_id, run_id, *event_row(run_id, events, self._input_alias(workflow_id, run_id))) if events else None

        def tx(conn: sqlite3.Connection) -> bool:
            if batch is None:
                if conn.execute(sql, params).rowcount != 1:
                    return False
            elif update_at_log_end(conn, (sql, params), batch):
                insert_batch(conn, batch)
            else:
                return False
            write_apart(conn, aparts)
            return True

        written = await self._run(lambda conn: _write(conn, tx), "update_run")
        return self._appended(written, workflow_id, run_id) if batch else written

    @staticmethod
    def _update_sql(
        workflow_id: str, run_id: str, changes: RunChanges, statuses: list[str] | None, owner: str | None, aparts: list[Any]
    ) -> tuple[str, list[Any]]:
        """The UPDATE of `changes`; a long input is kept apart (it joins `aparts`)."""
        pairs = encode_changes(changes)
        for i, (column, value) in enumerate(pairs):
            if column == "input" and value is not None and len(value) > INPUT_APART:
                pairs[i] = ("input", None)
                aparts.append((workflow_id, run_id, INPUT_KEY, value, None))
        sets = ", ".join([*(f"{column} = ?" for column, _ in pairs), "updated_at = ?"])
        sql = f"UPDATE {RUNS} SET {sets} WHERE workflow_id = ? AND run_id = ?"
        params: list[Any] = [*(value for _, value in pairs), now_ms(), workflow_id, run_id]
        if statuses is not None:
            sql += f" AND status IN ({', '.join('?' * len(statuses))})"
            params += statuses
        if owner is not None:
            sql += " AND owner = ?"
            params.append(owner)
        return sql, params

    async def save_step(
        self,
        workflow_id: str,
        run_id: str,
        key: str,
        record: StepResult,
        changes: RunChanges | None = None,
        *,
        expected_owner: str | None = None,
        events: Sequence[LoggedEvent] = (),
        create: RunRecord | None = None,
    ) -> bool:
        aparts: list[Any] = []
        text = self._step_text(workflow_id, run_id, key, record, aparts)
        step = {"w": workflow_id, "r": run_id, "k": key, "rec": text, "o": expected_owner}
        update = self._update_sql(workflow_id, run_id, changes, None, expected_owner, aparts) if changes else None
        self._last_write = (text, update[1] if update else ())
        if create is not None:
            return await self._create_with_step(create, step, update, events, aparts)
        if update is None and not events and not aparts:
            # One statement (atomic on its own): the upsert checks that the run exists and,
            # with `expected_owner`, that it is still owned by the caller.
            return await self._run(lambda conn: conn.execute(_UPSERT_STEP, step).rowcount == 1, "save_step")
        batch = (workflow_id, run_id, *event_row(run_id, events, self._input_alias(workflow_id, run_id))) if events else None
        if update is None and batch is not None and not aparts:
            # Also one statement: the view's trigger checks the run, upserts the step and
            # appends the events (see migration 0008). It changed rows only if it wrote.
            row = (workflow_id, run_id, key, text, expected_owner, *batch[2:])

            def write(conn: sqlite3.Connection) -> bool:
                before = conn.total_changes
                conn.execute(WRITE_STEP, row)
                return conn.total_changes > before

            return self._appended(await self._run(write, "save_step"), workflow_id, run_id)

        def tx(conn: sqlite3.Connection) -> bool:
            if update is not None and batch is not None:
                if not update_at_log_end(conn, update, batch):
                    return False  # no such run, or another owner: write nothing
                insert_batch(conn, batch, (key, text))  # the update checked the run and the log's end
            else:
                if update is not None and conn.execute(*update).rowcount != 1:
                    return False
                if conn.execute(_UPSERT_STEP, step).rowcount != 1:
                    return False
                if batch is not None:
                    append_in_tx(conn, batch)
            write_apart(conn, aparts)
            return True

        written = await self._run(lambda conn: _write(conn, tx), "save_step")
        return self._appended(written, workflow_id, run_id) if batch else written

    async def _create_with_step(
        self,
        create: RunRecord,
        step: dict[str, Any],
        update: tuple[str, list[Any]] | None,
        events: Sequence[LoggedEvent],
        aparts: list[Any],
    ) -> bool:
        """`save_step(create=)`: the run's insert (the claim of a fresh run), its first step,
        run changes and events in one transaction; a run already there refuses it all."""
        workflow_id, run_id = step["w"], step["r"]
        if create.steps or (create.workflow_id, create.run_id) != (workflow_id, run_id):
            raise StorageError("save_step(create=) takes the run's own record, without step records")
        row, long_input = input_apart(record_row(create))
        if long_input is not None:
            aparts.append((workflow_id, run_id, INPUT_KEY, long_input, None))
        batch = (workflow_id, run_id, *event_row(run_id, events, self._input_alias(workflow_id, run_id))) if events else None

        if batch is not None:
            check_first_batch(batch)
            if step["o"] is not None and create.owner != step["o"]:
                return False  # the run would be another owner's: nothing is written

        def tx(conn: sqlite3.Connection) -> bool:
            if conn.execute(_INSERT_RUN, row).rowcount != 1:
                return False
            if batch is not None:
                insert_batch(conn, batch, (step["k"], step["rec"]))  # a new run: its log is empty
            elif conn.execute(_UPSERT_STEP, step).rowcount != 1:
                raise _Refused  # another owner in `create` than `expected_owner`: roll the insert back
            if update is not None and conn.execute(*update).rowcount != 1:
                raise _Refused
            write_apart(conn, aparts)
            return True

        try:
            written = await self._run(lambda conn: _write(conn, tx), "save_step")
        except _Refused:
            return False
        return self._appended(written, workflow_id, run_id) if batch else written

    async def delete_steps(self, workflow_id: str, run_id: str, keys: Collection[str]) -> None:
        params = [(workflow_id, run_id, key) for key in keys]
        if not params:
            return
        sql = f"DELETE FROM {STEPS} WHERE workflow_id = ? AND run_id = ? AND key = ?"
        items = f"DELETE FROM {ITEMS} WHERE workflow_id = ? AND run_id = ? AND key = ?"
        await self._run(lambda conn: _write(conn, lambda c: (c.executemany(sql, params), c.executemany(items, params))), "delete_steps")

    async def list_runs(self, query: RunQuery = ALL_RUNS) -> tuple[list[RunRecord], int]:
        where: list[str] = []
        params: list[Any] = []
        statuses = query.statuses
        if statuses == []:
            return [], 0
        if statuses is not None:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += statuses
        for clause, value in (
            ("workflow_id = ?", query.workflow_id),
            ("resource_id = ?", query.resource_id),
            ("created_at >= ?", query.from_ms),
            ("created_at <= ?", query.to_ms),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        filters = f" WHERE {' AND '.join(where)}" if where else ""
        select = f"SELECT {_READ_COLS} FROM {RUNS} r{filters} ORDER BY created_at DESC, workflow_id, run_id"
        select_params = list(params)
        if query.window is not None:
            select += " LIMIT ? OFFSET ?"
            select_params += list(query.window)

        def tx(conn: sqlite3.Connection) -> tuple[list[Any], int]:
            total = int(conn.execute(f"SELECT COUNT(*) FROM {RUNS}{filters}", params).fetchone()[0])
            return conn.execute(select, select_params).fetchall(), total

        rows, total = await self._run(lambda conn: _read(conn, tx), "list_runs")
        return [row_record(row) for row in rows], total

    async def delete_run(self, workflow_id: str, run_id: str) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            conn.execute(f"DELETE FROM {STEPS} WHERE workflow_id = ? AND run_id = ?", (workflow_id, run_id))
            conn.execute(f"DELETE FROM {ITEMS} WHERE workflow_id = ? AND run_id = ?", (workflow_id, run_id))
            return conn.execute(f"DELETE FROM {RUNS} WHERE workflow_id = ? AND run_id = ?", (workflow_id, run_id)).rowcount == 1

        return await self._run(lambda conn: _write(conn, tx), "delete_run")
