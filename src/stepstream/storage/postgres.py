"""PostgreSQL storage: psycopg 3 (async) with a psycopg_pool connection pool.

psycopg beat asyncpg on the engine's write pattern (see docs/storage.md, "Why these
drivers", and bench/storage_drivers.py), is fully typed, and was already the
`postgres` extra. Connections are in autocommit mode and each call is one
statement where it can be (a step write with run-level changes is one
`WITH ... UPDATE ... INSERT` statement), so a call costs one round trip.

`update_run(expected_status=...)` is one `UPDATE ... WHERE status = ANY(...)`:
row locking makes it a real compare-and-set across connections and processes.
Migrations run under a transaction-level advisory lock, so processes starting
together apply them once. A schema at a newer version than this code knows
raises StorageError and nothing is changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, TypeVar

from ..errors import StorageError
from ..results import StepResult
from ..run_query import RunQuery
from ._items import ITEMS, PostgresItems
from ._postgres_schedules import PostgresSchedules
from ._sql import (
    EVENTS,
    JSON_FIELDS,
    RUN_COLUMNS,
    RUNS,
    STEPS,
    batch_events,
    encode_changes,
    event_batch,
    record_row,
    row_record,
    step_json,
)
from ._sql_payloads import PostgresPayloads
from ._wake import Waiters
from .base import ALL_RUNS, EventPage, LoggedEvent, RunChanges, RunRecord, Storage, now_ms
from .migrations import VERSION_TABLE, load_migrations

try:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg_pool import AsyncConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("PostgresStorage needs the 'postgres' extra: pip install 'stepstream[postgres]'") from exc

T = TypeVar("T")
Conn = psycopg.AsyncConnection[Any]

_LOCK_ID = 0x5374657073747265  # "Stepstre": advisory lock held while migrating
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_COLS = ", ".join(RUN_COLUMNS)
_SELECT_COLS = ", ".join(f"r.{c}::text" if c in JSON_FIELDS else f"r.{c}" for c in RUN_COLUMNS)
_INSERT_RUN = (
    f"INSERT INTO {RUNS} ({_COLS}) VALUES ("
    + ", ".join("%s::json" if c in JSON_FIELDS else "%s" for c in RUN_COLUMNS)
    + ") ON CONFLICT DO NOTHING"
)
_INSERT_STEP = f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) VALUES (%s, %s, %s, %s::json)"
_ON_CONFLICT = "ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = EXCLUDED.record"
_STEP_FROM = f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) SELECT %s, %s, %s, %s::json FROM {{src}} {_ON_CONFLICT}"
_UPSERT_STEP = (
    f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) SELECT %(w)s, %(r)s, %(k)s, %(rec)s::json "
    f"WHERE EXISTS (SELECT 1 FROM {RUNS} WHERE workflow_id = %(w)s AND run_id = %(r)s) {_ON_CONFLICT}"
)
# One statement, one snapshot: the run row and its steps (in seq order) as one JSON array.
_LOAD_RUN = (
    f"SELECT {_SELECT_COLS}, (SELECT COALESCE(json_agg(json_build_array(s.key, s.record) ORDER BY s.seq), '[]'::json)::text "
    f"FROM {STEPS} s WHERE s.workflow_id = r.workflow_id AND s.run_id = r.run_id) "
    f"FROM {RUNS} r WHERE r.workflow_id = %s AND r.run_id = %s"
)

# The events of a write, one row, inserted FROM the CTE that proves the write happened (`{src}`).
_LOG_EVENTS = f"logged AS (INSERT INTO {EVENTS} (workflow_id, run_id, seq, next_seq, events) SELECT %s, %s, %s, %s, %s::json FROM {{src}})"
_LOG_END = f"(SELECT e.next_seq FROM {EVENTS} e WHERE e.workflow_id = %(w)s AND e.run_id = %(r)s ORDER BY e.seq DESC LIMIT 1)"
# One statement, one snapshot: the status, the log's end, and the batches holding offsets from %(o)s on.
_READ_EVENTS = (
    f"SELECT r.status, COALESCE({_LOG_END}, 0), (SELECT COALESCE(json_agg(json_build_array(b.seq, b.events) ORDER BY b.seq), '[]'::json)::text "
    f"FROM (SELECT e.seq, e.events FROM {EVENTS} e WHERE e.workflow_id = %(w)s AND e.run_id = %(r)s AND e.next_seq > %(o)s "
    f"AND e.seq >= COALESCE((SELECT MAX(f.seq) FROM {EVENTS} f WHERE f.workflow_id = %(w)s AND f.run_id = %(r)s AND f.seq <= %(o)s), 0) "
    f"ORDER BY e.seq LIMIT %(n)s) b) FROM {RUNS} r WHERE r.workflow_id = %(w)s AND r.run_id = %(r)s"
)
_HAS_EVENTS = f"SELECT COALESCE({_LOG_END}, 0) > %(o)s"
#: The channel the events table's trigger notifies (payload: [schema, workflow_id, run_id]).
CHANNEL = "stepstream_events"
#: A reader re-checks the log this often even without a notification (a dropped listener).
POLL_SECONDS = 1.0


def _log_args(workflow_id: str, run_id: str, events: Sequence[LoggedEvent]) -> list[Any]:
    return [workflow_id, run_id, *event_batch(run_id, events)]


def _describe(dsn: str, schema: str | None) -> str:
    """The server, database and schema of a DSN, without the password, for messages."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "PostgreSQL"
    where = f"postgresql://{info.get('user', '')}@{info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
    return f"{where} schema {schema}" if schema else where


class PostgresStorage(PostgresItems, PostgresSchedules, PostgresPayloads, Storage):
    """Runs in PostgreSQL, one row per run and one per step.

    A foreach of fewer than `items_from` items keeps its entries in its record: the two
    round trips its item rows cost (read, write) outweigh rewriting them (measured on
    one machine, the two break even at about 150 items).

    `schema` puts the tables in that schema (created if missing) instead of the
    connection's default; it must be a lowercase identifier. `min_size` and
    `max_size` size the pool; `connect_timeout` bounds `setup()`.
    """

    supports_concurrent_updates = True
    folds_claim = True
    items_from = 128

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 10.0,
    ) -> None:
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ValueError(f"schema must be a lowercase SQL identifier, got {schema!r}")
        self.dsn = dsn
        self.schema = schema
        self.min_size, self.max_size = min_size, max_size
        self.connect_timeout = connect_timeout
        self._where = _describe(dsn, schema)
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._setup_lock = asyncio.Lock()
        self._closed = False
        #: JSON characters sent by the last `save_step` (tests check it does not grow with the run).
        self._last_write_size = 0
        self._waiters = Waiters()
        self._listener: asyncio.Task[None] | None = None
        self._listening: asyncio.Future[bool] | None = None

    def __repr__(self) -> str:
        return f"PostgresStorage({self._where!r})"

    # -- lifecycle ---------------------------------------------------------------

    def _conninfo(self) -> str:
        if self.schema is None:
            return self.dsn
        params = conninfo_to_dict(self.dsn)
        params["options"] = f"{params.get('options') or ''} -c search_path={self.schema}".strip()
        return make_conninfo("", **params)

    async def setup(self) -> None:
        """Opens the pool and applies pending migrations. Idempotent; other calls do it on first use."""
        if self._pool is not None:
            return
        async with self._setup_lock:
            if self._closed:
                raise StorageError(f"PostgreSQL storage ({self._where}) is closed")
            if self._pool is not None:
                return
            try:
                pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
                    self._conninfo(),
                    min_size=self.min_size,
                    max_size=self.max_size,
                    open=False,
                    kwargs={"autocommit": True},
                    name="stepstream",
                )
            except psycopg.Error as exc:
                raise StorageError(f"invalid PostgreSQL DSN ({self._where}): {exc}") from exc
            try:
                await self._first_connection()
                await pool.open(wait=True, timeout=self.connect_timeout)
            except BaseException as exc:
                await pool.close()
                if isinstance(exc, psycopg.Error):
                    raise StorageError(f"PostgreSQL setup failed ({self._where}): {exc}") from exc
                raise
            self._pool = pool

    async def _first_connection(self) -> None:
        """Connects once outside the pool and migrates: the pool retries a failing connection
        until its timeout and then reports only "pool initialization incomplete", while a
        direct connection fails at once with the server's reason (unknown role, missing
        database, connection refused), which StorageError then carries."""
        try:
            conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(self._conninfo(), autocommit=True, connect_timeout=max(2, math.ceil(self.connect_timeout))),
                self.connect_timeout,
            )
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())
            raise StorageError(f"cannot connect to PostgreSQL ({self._where}): {reason}") from exc
        except TimeoutError as exc:
            raise StorageError(f"cannot connect to PostgreSQL ({self._where}): no answer within {self.connect_timeout:g}s") from exc
        async with conn:
            await self._migrate(conn)

    async def close(self) -> None:
        """Closes the pool and the listening connection. Later calls raise StorageError."""
        async with self._setup_lock:
            self._closed = True
            pool, self._pool = self._pool, None
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            await asyncio.wait([listener])
        self._waiters.wake_all()
        if pool is not None:
            await pool.close()

    async def _migrate(self, conn: Conn) -> None:
        """Applies pending migrations in one transaction, serialized across processes by an advisory lock."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            if self.schema is not None:
                found = await (await conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,))).fetchone()
                if found is None:
                    await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
            migrations = load_migrations("postgres")
            version = await self._version(conn)
            if version > len(migrations):
                raise StorageError(
                    f"{self._where} has stepstream schema version {version}, newer than this stepstream knows "
                    f"({len(migrations)}); upgrade stepstream to use it (nothing was changed)"
                )
            if version == len(migrations):
                return
            await conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer PRIMARY KEY, applied_at bigint NOT NULL)")
            for number, _name, text in migrations[version:]:
                await conn.execute(text.encode())  # no parameters: may hold several statements
                await conn.execute(f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (%s, %s)", (number, now_ms()))

    async def _version(self, conn: Conn) -> int:
        """Our schema version in the current schema (0 if none); StorageError if our tables lack it."""
        cur = await conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ANY(%s)",
            ([VERSION_TABLE, RUNS, STEPS],),
        )
        names = {row[0] for row in await cur.fetchall()}
        if VERSION_TABLE not in names:
            if names:
                raise StorageError(
                    f"{self._where} has tables named like stepstream's ({', '.join(sorted(names))}) but no "
                    f"{VERSION_TABLE}; stepstream left them untouched: use another schema"
                )
            return 0
        row = await (await conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}")).fetchone()
        return int(row[0]) if row else 0

    async def _run(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Runs `fn` on a pooled connection; driver errors become StorageError."""
        if self._pool is None:
            await self.setup()
        pool = self._pool
        if pool is None:
            raise StorageError(f"PostgreSQL storage ({self._where}) is closed")
        try:
            async with pool.connection() as conn:
                return await fn(conn)
        except psycopg.Error as exc:
            raise StorageError(f"PostgreSQL {what} failed ({self._where}): {exc}") from exc

    # -- the protocol ------------------------------------------------------------

    async def create_run(self, record: RunRecord) -> bool:
        row = record_row(record)
        wf, run = record.workflow_id, record.run_id
        steps = [(wf, run, key, step_json(key, step)) for key, step in record.steps.items()]

        async def fn(conn: Conn) -> bool:
            async with conn.transaction():
                if (await conn.execute(_INSERT_RUN, row)).rowcount != 1:
                    return False
                if steps:
                    async with conn.cursor() as cur:
                        await cur.executemany(_INSERT_STEP, steps)  # in order: identity seq = first-write order
                return True

        return await self._run("create_run", fn)

    async def load_run_thin(self, workflow_id: str, run_id: str) -> RunRecord | None:
        async def fn(conn: Conn) -> Any:
            return await (await conn.execute(_LOAD_RUN, (workflow_id, run_id))).fetchone()

        row = await self._run("load_run", fn)
        if row is None:
            return None
        steps = {key: StepResult.from_dict(data) for key, data in json.loads(row[-1])}
        return row_record(row[:-1], steps)

    @staticmethod
    def _update_sql(
        workflow_id: str, run_id: str, changes: RunChanges, statuses: list[str] | None, owner: str | None = None
    ) -> tuple[str, list[Any]]:
        pairs = encode_changes(changes)
        sets = [f"{column} = %s::json" if column in JSON_FIELDS else f"{column} = %s" for column, _ in pairs]
        query = f"UPDATE {RUNS} SET {', '.join([*sets, 'updated_at = %s'])} WHERE workflow_id = %s AND run_id = %s"
        params: list[Any] = [*(value for _, value in pairs), now_ms(), workflow_id, run_id]
        if statuses is not None:
            query += " AND status = ANY(%s::text[])"
            params.append(statuses)
        if owner is not None:
            query += " AND owner = %s"
            params.append(owner)
        return query, params

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
        query, params = self._update_sql(workflow_id, run_id, changes, statuses, expected_owner)
        if events:
            # One statement: the events go in only if the update matched.
            query = f"WITH run AS ({query} RETURNING 1), {_LOG_EVENTS.format(src='run')} SELECT count(*) FROM run"
            params += _log_args(workflow_id, run_id, events)

        async def fn(conn: Conn) -> bool:
            cur = await conn.execute(query, params)
            if events:
                row = await cur.fetchone()
                return row is not None and row[0] == 1
            return cur.rowcount == 1

        return self._appended(await self._run("update_run", fn), workflow_id, run_id, events)

    def _appended(self, written: bool, workflow_id: str, run_id: str, events: Sequence[LoggedEvent]) -> bool:
        """Wakes this process's readers at once (other processes hear the trigger's NOTIFY)."""
        if written and events:
            self._waiters.wake(workflow_id, run_id)
        return written

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
        text = step_json(key, record)
        if create is not None:
            return await self._create_with_step(create, (workflow_id, run_id, key, text), changes, expected_owner, events)
        counted = False
        if changes or expected_owner is not None or events:
            # One statement: the run update, the step upsert and the events commit together or
            # not at all, and a missing run or another owner (the UPDATE returns no row) writes nothing.
            update, params = self._update_sql(workflow_id, run_id, changes or {}, None, expected_owner)
            upsert = _STEP_FROM.format(src="run")
            query = f"WITH run AS ({update} RETURNING 1) {upsert}"
            args: Any = [*params, workflow_id, run_id, key, text]
            if events:
                query = f"WITH run AS ({update} RETURNING 1), step AS ({upsert} RETURNING 1), "
                query += f"{_LOG_EVENTS.format(src='step')} SELECT count(*) FROM step"
                args += _log_args(workflow_id, run_id, events)
                counted = True
            self._last_write_size = len(text) + (sum(len(p) for p in params if isinstance(p, str)) if changes else 0)
        else:
            query, args = _UPSERT_STEP, {"w": workflow_id, "r": run_id, "k": key, "rec": text}
            self._last_write_size = len(text)

        async def fn(conn: Conn) -> bool:
            try:
                cur = await conn.execute(query, args)
                if counted:
                    row = await cur.fetchone()
                    return row is not None and row[0] == 1
                return cur.rowcount == 1
            except psycopg.errors.ForeignKeyViolation:
                return False  # the run was deleted between the EXISTS check and the insert: nothing to attach to

        return self._appended(await self._run("save_step", fn), workflow_id, run_id, events)

    async def _create_with_step(
        self,
        create: RunRecord,
        ids: tuple[str, str, str, str],
        changes: RunChanges | None,
        owner: str | None,
        events: Sequence[LoggedEvent],
    ) -> bool:
        """`save_step(create=)`: one statement inserts the run (with `changes` applied), its
        first step and the events; a run already there (ON CONFLICT) makes it write nothing."""
        wf, run, key, text = ids
        workflow_id, run_id = create.workflow_id, create.run_id
        if create.steps or (workflow_id, run_id) != (wf, run):
            raise StorageError("save_step(create=) takes the run's own record, without step records")
        if owner is not None and create.owner != owner:
            return False
        fresh = dataclasses.replace(create, steps={})
        if changes:
            fresh.apply(changes)
        query = f"WITH run AS ({_INSERT_RUN} RETURNING 1), step AS ({_STEP_FROM.format(src='run')} RETURNING 1)"
        args: list[Any] = [*record_row(fresh), workflow_id, run_id, key, text]
        if events:
            query += f", {_LOG_EVENTS.format(src='step')}"
            args += _log_args(workflow_id, run_id, events)
        self._last_write_size = len(text)

        async def fn(conn: Conn) -> bool:
            row = await (await conn.execute(f"{query} SELECT count(*) FROM step", args)).fetchone()
            return row is not None and row[0] == 1

        return self._appended(await self._run("save_step", fn), workflow_id, run_id, events)

    async def delete_steps(self, workflow_id: str, run_id: str, keys: Collection[str]) -> None:
        key_list = list(keys)
        if not key_list:
            return

        async def fn(conn: Conn) -> None:
            async with conn.transaction():
                await conn.execute(
                    f"DELETE FROM {STEPS} WHERE workflow_id = %s AND run_id = %s AND key = ANY(%s::text[])",
                    (workflow_id, run_id, key_list),
                )
                await conn.execute(
                    f"DELETE FROM {ITEMS} WHERE workflow_id = %s AND run_id = %s AND key = ANY(%s::text[])",
                    (workflow_id, run_id, key_list),
                )

        await self._run("delete_steps", fn)

    async def list_runs(self, query: RunQuery = ALL_RUNS) -> tuple[list[RunRecord], int]:
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("workflow_id = %s", query.workflow_id),
            ("status = ANY(%s::text[])", query.statuses),
            ("resource_id = %s", query.resource_id),
            ("created_at >= %s", query.from_ms),
            ("created_at <= %s", query.to_ms),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        filters = f" WHERE {' AND '.join(where)}" if where else ""
        limit = ""
        if query.window is not None:
            limit = " LIMIT %s OFFSET %s"
            params += list(query.window)
        # One statement, one snapshot: the total, and the page (NULL columns when the page is empty).
        sql = (
            f"WITH matched AS (SELECT * FROM {RUNS}{filters}) "
            f"SELECT t.total, {_SELECT_COLS} FROM (SELECT count(*) AS total FROM matched) t "
            f"LEFT JOIN LATERAL (SELECT * FROM matched ORDER BY created_at DESC, workflow_id, run_id{limit}) r ON true "
            "ORDER BY r.created_at DESC, r.workflow_id, r.run_id"
        )

        async def fn(conn: Conn) -> list[Any]:
            return await (await conn.execute(sql, params)).fetchall()

        rows = await self._run("list_runs", fn)
        total = int(rows[0][0]) if rows else 0
        return [row_record(row[1:]) for row in rows if row[1] is not None], total

    async def delete_run(self, workflow_id: str, run_id: str) -> bool:
        async def fn(conn: Conn) -> bool:
            cur = await conn.execute(f"DELETE FROM {RUNS} WHERE workflow_id = %s AND run_id = %s", (workflow_id, run_id))
            return cur.rowcount == 1  # steps go by ON DELETE CASCADE

        return await self._run("delete_run", fn)

    # -- the event log -------------------------------------------------------------

    async def append_events(
        self, workflow_id: str, run_id: str, events: Sequence[LoggedEvent], *, expected_owner: str | None = None
    ) -> bool:
        # FOR SHARE holds off a concurrent claim (an UPDATE of owner) until these events commit.
        owner = "" if expected_owner is None else " AND owner = %s"
        query = (
            f"WITH run AS (SELECT 1 FROM {RUNS} WHERE workflow_id = %s AND run_id = %s{owner} FOR SHARE), "
            f"{_LOG_EVENTS.format(src='run')} SELECT count(*) FROM run"
        )
        args: list[Any] = [workflow_id, run_id, *([] if expected_owner is None else [expected_owner])]
        args += _log_args(workflow_id, run_id, events)

        async def fn(conn: Conn) -> bool:
            row = await (await conn.execute(query, args)).fetchone()
            return row is not None and row[0] == 1

        return self._appended(await self._run("append_events", fn), workflow_id, run_id, events)

    async def read_events(self, workflow_id: str, run_id: str, offset: int = 0, limit: int | None = None) -> EventPage | None:
        start = max(offset, 0)
        args = {"w": workflow_id, "r": run_id, "o": start, "n": None if limit is None else max(limit, 0)}

        async def fn(conn: Conn) -> Any:
            return await (await conn.execute(_READ_EVENTS, args)).fetchone()

        row = await self._run("read_events", fn)
        if row is None:
            return None
        events = [event for seq, batch in json.loads(row[2]) for event in batch_events(seq, batch, start)]
        return EventPage(row[0], events if limit is None else events[: max(limit, 0)], int(row[1]))

    async def wait_events(self, workflow_id: str, run_id: str, offset: int) -> None:
        await self._listen()
        args = {"w": workflow_id, "r": run_id, "o": offset}

        async def has_events() -> bool:
            async def fn(conn: Conn) -> bool:
                row = await (await conn.execute(_HAS_EVENTS, args)).fetchone()
                return bool(row and row[0])

            return await self._run("wait_events", fn)

        await self._waiters.wait((workflow_id, run_id), has_events, POLL_SECONDS)

    async def _listen(self) -> None:
        """Starts (or restarts) the connection that LISTENs for appends, and waits until it
        listens; if it cannot, readers still see appends by polling."""
        task = self._listener
        if task is None or task.done():
            if self._closed:
                raise StorageError(f"PostgreSQL storage ({self._where}) is closed")
            self._listening = asyncio.get_running_loop().create_future()
            task = self._listener = asyncio.create_task(self._listen_loop(self._listening))
        ready = self._listening
        if ready is not None and not ready.done():
            # Done when listening, or when the task gave up (then readers fall back to polling).
            await asyncio.wait([ready], timeout=self.connect_timeout)

    async def _listen_loop(self, ready: asyncio.Future[bool]) -> None:
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo(), autocommit=True, connect_timeout=max(int(self.connect_timeout), 1)
            )
        except psycopg.Error:
            ready.set_result(False)
            return
        try:
            row = await (await conn.execute("SELECT current_schema()")).fetchone()
            schema = row[0] if row else None
            await conn.execute(f"LISTEN {CHANNEL}")
            ready.set_result(True)
            async for note in conn.notifies():
                try:
                    where, workflow_id, run_id = json.loads(note.payload)
                except ValueError:
                    continue
                if where == schema:
                    self._waiters.wake(workflow_id, run_id)
        except psycopg.Error:
            self._waiters.wake_all()  # readers re-check now, then poll until a new listener is up
        finally:
            if not ready.done():
                ready.set_result(False)
            await conn.close()
