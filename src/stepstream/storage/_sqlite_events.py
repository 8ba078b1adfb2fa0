"""SQLiteStorage's event log (a mixin; SQLiteStorage supplies `_run` and its waiters).

Since schema v8 a write's events are one row of `stepstream_steps`, beside the step
records: `key` is the batch's end offset (an INTEGER, so it sorts before every TEXT
step key), `record` the batch as one JSON array. Reading from an offset is one range
of the (workflow_id, run_id, key) index: the batches whose end is past the offset.

Each event of the engine's shape, `{"type", "runId", "from", "payload"}` of this run,
is stored compactly as `[type, payload]` (`[type, payload, from]` when `from` is not
"WORKFLOW"), a step's start and result entries shorter still, without their payload's
fixed keys (`base.STEP_STARTED`), and rebuilt key for key, in the same order, when read;
any other event is stored whole. A 3-step run's batches then take about half the bytes
of the events' wire JSON, and cost less to build and encode.

A commit's statements cost it more than the batch's bytes. `save_step` with no run
changes writes the step and the batch with one statement (the view's trigger checks the
run and the log's end). With run changes, the run's UPDATE also checks the log's end
(`update_at_log_end`), and the step record and the batch are two rows of one INSERT
(`insert_batch`); with the run's insert (`create=`), the log is empty. Such a commit runs
as many statements as it would without events.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pydantic_core

from .._raw_json import splice_json
from ..errors import StorageError
from ._items import INPUT_KEY, INPUT_REFERENCE, INPUT_REFERENCE_JSON, SELECT_INPUT_APART
from ._sql import RUNS, STEPS, dumps
from ._sqlite_tx import read_tx
from ._wake import Waiters
from .base import STEP_SETTLED, STEP_STARTED, EventPage, LoggedEvent, expand

T = TypeVar("T")

#: Appends a batch if the run exists (and, with an owner, is that owner's); see migration 0008.
APPEND_EVENTS = "INSERT INTO stepstream_event_writes (workflow_id, run_id, owner, seq, next_seq, events) VALUES (?, ?, ?, ?, ?, ?)"
#: A step record and its events in one statement (migration 0008's view): its trigger
#: checks the run (and owner) and the log's end.
WRITE_STEP = (
    "INSERT INTO stepstream_step_writes (workflow_id, run_id, key, record, owner, seq, next_seq, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: Inside a write transaction that checked the run and the log's end: a step record and its
#: events' batch as two rows of one statement `(workflow_id, run_id, key, record, next_seq,
#: events)` (a second statement cost a commit about six times what a second row does).
_STEP_AND_BATCH = (
    f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) VALUES (?1, ?2, ?3, ?4), (?1, ?2, ?5, ?6) "
    "ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = excluded.record"
)
#: The same for a batch alone `(workflow_id, run_id, next_seq, events)`.
_BATCH = f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) VALUES (?, ?, ?, ?)"
#: Appended to a run's UPDATE (parameters: seq, workflow_id, run_id): the row changes only if
#: the batch starts at the log's end. It reads another table than it writes, so it costs an
#: index lookup (an INSERT that reads its own table copies its rows to a temporary table first).
_AT_LOG_END = f" AND ? = COALESCE((SELECT key FROM {STEPS} WHERE workflow_id = ? AND run_id = ? AND key < '' ORDER BY key DESC LIMIT 1), 0)"
#: Inside a write transaction that checked the run: appends a batch `(workflow_id, run_id,
#: seq, next_seq, events)` only if it starts at the end of the run's log (see `append_in_tx`).
_APPEND_AT_END = (
    f"INSERT INTO {STEPS} (workflow_id, run_id, key, record) SELECT ?1, ?2, ?4, ?5 WHERE ?4 > ?3 AND ?3 = "
    f"COALESCE((SELECT key FROM {STEPS} WHERE workflow_id = ?1 AND run_id = ?2 AND key < '' ORDER BY key DESC LIMIT 1), 0)"
)
#: Event batches have INTEGER keys, which SQLite sorts before every TEXT key (step records).
BATCHES = "key < ''"
_RUN_STATUS = f"SELECT status FROM {RUNS} WHERE workflow_id = ? AND run_id = ?"
_LOG_END = f"SELECT key FROM {STEPS} WHERE workflow_id = ? AND run_id = ? AND {BATCHES} ORDER BY key DESC LIMIT 1"
# The batches holding offsets from `offset` on: those ending after it.
_SELECT_EVENTS = f"SELECT key, record FROM {STEPS} WHERE workflow_id = :w AND run_id = :r AND key > :o AND {BATCHES} ORDER BY key LIMIT :n"
#: How often a reader waiting for events checks for appends made by other processes.
POLL_SECONDS = 0.05


def event_row(run_id: str, events: Sequence[LoggedEvent], alias: Any = None) -> tuple[int, int, str]:
    """`(seq, next_seq, json)` of the row that stores a write's events: the first offset,
    the offset after the last, and the events (compacted, see the module) as one JSON array.

    pydantic-core's encoder (Rust, several times faster than `json.dumps` on these nested
    dicts) takes them; anything it cannot encode goes through `dumps`. A `RawJSON` whose
    alias is `alias` (the run's input kept apart) is written as `INPUT_REFERENCE`."""
    first = events[0].offset
    items: list[Any] = []
    append = items.append
    expected = first
    started: Any = None
    for event in events:
        if event.offset != expected:
            raise StorageError(f"events of run {run_id!r} must have consecutive offsets; got {[e.offset for e in events]}")
        expected += 1
        item = event.compact(run_id)
        if type(item) is list:
            head = item[0]
            if head == STEP_SETTLED and started is not None and item[2] == started[2] and item[1] == started[1]:
                item = [STEP_SETTLED, item[3], item[4]]  # the step that the entry before started (see `row_events`)
            started = item if head == STEP_STARTED else None
        else:
            started = None
        append(item)
    try:
        text = pydantic_core.to_json(items, inf_nan_mode="null").decode()
    except (pydantic_core.PydanticSerializationError, TypeError, ValueError, UnicodeError):
        text = _spliced_row(run_id, first, items, alias)
    return first, expected, text


def _spliced_row(run_id: str, first: int, items: list[Any], alias: Any) -> str:
    """A batch holding a RawJSON (a foreach's items, written as its text) or values that only `dumps` encodes."""
    try:
        return splice_json(items, alias, INPUT_REFERENCE)
    except (pydantic_core.PydanticSerializationError, TypeError, ValueError, UnicodeError):
        return dumps(items, f"events {first}.. of run {run_id!r}") or "[]"


def _off_the_end(batch: tuple[str, str, int, int, str], end: Any = None) -> StorageError:
    where = "" if end is None else f" ({end})"
    return StorageError(f"event batch {batch[2]}..{batch[3] - 1} of run {batch[1]!r} does not start at the end of the run's log{where}")


def update_at_log_end(conn: sqlite3.Connection, update: tuple[str, list[Any]], batch: tuple[str, str, int, int, str]) -> bool:
    """Inside a write transaction: the run's `update` (SQL, parameters), made only if `batch`
    (workflow_id, run_id, seq, next_seq, events) starts at the end of the run's log. False
    when the update's own conditions refuse it (no such run, another owner, another status);
    StorageError when only the log's end does (the update is rolled back with the transaction)."""
    sql, params = update
    if batch[3] > batch[2] and conn.execute(sql + _AT_LOG_END, [*params, batch[2], batch[0], batch[1]]).rowcount == 1:
        return True
    if conn.execute(sql, params).rowcount != 1:
        return False
    raise _off_the_end(batch)


def insert_batch(conn: sqlite3.Connection, batch: tuple[str, str, int, int, str], step: tuple[str, str] | None = None) -> None:
    """Inside a write transaction that checked the run and the log's end: appends `batch`,
    with the step record `step` (key, record), if given, as another row of the same statement."""
    if step is None:
        conn.execute(_BATCH, (batch[0], batch[1], batch[3], batch[4]))
    else:
        conn.execute(_STEP_AND_BATCH, (batch[0], batch[1], *step, batch[3], batch[4]))


def check_first_batch(batch: tuple[str, str, int, int, str]) -> None:
    """The batch of a run inserted in the same transaction must start the (empty) log."""
    if batch[2] != 0 or batch[3] <= 0:
        raise _off_the_end(batch, 0)


def append_in_tx(conn: sqlite3.Connection, batch: tuple[str, str, int, int, str]) -> None:
    """Appends `batch` (workflow_id, run_id, seq, next_seq, events) inside a write transaction
    that already checked the run (and its owner): a plain insert, without the view's trigger.
    A batch that does not start at the log's end raises StorageError (the transaction is rolled back)."""
    if conn.execute(_APPEND_AT_END, batch).rowcount != 1:
        raise _off_the_end(batch)


def row_events(run_id: str, end: int, text: str, offset: int, run_input: str | None = None) -> list[LoggedEvent]:
    """The events of a stored batch (ending before offset `end`) from `offset` on; an input
    reference in it reads as `run_input` (the run's input kept apart)."""
    if run_input is not None:
        text = text.replace(INPUT_REFERENCE_JSON, run_input)
    items = json.loads(text)
    first = end - len(items)
    out: list[LoggedEvent] = []
    started: Any = None
    for i, item in enumerate(items, start=first):
        if type(item) is list:
            head = item[0]
            if head == STEP_SETTLED and len(item) == 3:
                item = [STEP_SETTLED, started[1], started[2], item[1], item[2]]  # the step the entry before started
            started = item if head == STEP_STARTED and type(head) is int else None
        if i >= offset:
            out.append(LoggedEvent(i, expand(run_id, item)))
    return out


class SQLiteEvents:
    """The event log's reads and stand-alone appends on SQLite."""

    _waiters: Waiters

    async def _run(self, fn: Callable[[sqlite3.Connection], T], what: str) -> T:
        raise NotImplementedError  # pragma: no cover - provided by SQLiteStorage

    def _input_alias(self, workflow_id: str, run_id: str) -> tuple[Any, ...]:
        """What a RawJSON that is this run's input kept apart has as its `alias`."""
        return (self, workflow_id, run_id, INPUT_KEY)

    def _appended(self, written: bool, workflow_id: str, run_id: str) -> bool:
        """Wakes this process's readers of the run once events were committed."""
        if written and self._waiters.waiting:
            self._waiters.wake(workflow_id, run_id)
        return written

    async def append_events(
        self, workflow_id: str, run_id: str, events: Sequence[LoggedEvent], *, expected_owner: str | None = None
    ) -> bool:
        if not events:
            return await self.read_events(workflow_id, run_id, limit=0) is not None
        row = (workflow_id, run_id, expected_owner, *event_row(run_id, events, self._input_alias(workflow_id, run_id)))

        def write(conn: sqlite3.Connection) -> bool:
            # One statement: the view's trigger appends only if the run exists (and is the caller's).
            before = conn.total_changes
            conn.execute(APPEND_EVENTS, row)
            return conn.total_changes > before

        return self._appended(await self._run(write, "append_events"), workflow_id, run_id)

    async def read_events(self, workflow_id: str, run_id: str, offset: int = 0, limit: int | None = None) -> EventPage | None:
        key = (workflow_id, run_id)
        start = max(offset, 0)
        args = {"w": workflow_id, "r": run_id, "o": start, "n": -1 if limit is None else max(limit, 0)}

        def tx(conn: sqlite3.Connection) -> tuple[Any, int, list[Any], str | None]:
            row = conn.execute(_RUN_STATUS, key).fetchone()
            if row is None:
                return None, 0, [], None
            end = conn.execute(_LOG_END, key).fetchone()
            rows = conn.execute(_SELECT_EVENTS, args).fetchall() if args["n"] else []
            referred = any(INPUT_REFERENCE_JSON in text for _, text in rows)
            run_input = conn.execute(SELECT_INPUT_APART, key).fetchone() if referred else None
            return row[0], end[0] if end else 0, rows, run_input[0] if run_input else None

        status, following, rows, run_input = await self._run(lambda conn: read_tx(conn, tx), "read_events")
        if status is None:
            return None
        events = [event for end, text in rows for event in row_events(run_id, end, text, start, run_input)]
        return EventPage(status, events if limit is None else events[: max(limit, 0)], following)

    async def wait_events(self, workflow_id: str, run_id: str, offset: int) -> None:
        key = (workflow_id, run_id)

        def has_events(conn: sqlite3.Connection) -> bool:
            end = conn.execute(_LOG_END, key).fetchone()
            return end is not None and end[0] > offset

        async def check() -> bool:
            return await self._run(has_events, "wait_events")

        # This process's appends wake the reader at once; other processes' are seen by polling.
        await self._waiters.wait(key, check, POLL_SECONDS)
