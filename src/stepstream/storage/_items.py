"""A foreach's items in rows of their own (migration 0007 on SQLite, 0006 on PostgreSQL).

A foreach over W items used to store every item's entry inside its record
(`__workflow_meta.foreachOutput`), so resuming one item read, checked and rewrote all W.
On a backend with `supports_items`, the engine stores the record *thin*: its meta holds
`foreachItems` (`{"n": W, "codes": one status letter per item}`) in place of
`foreachOutput`, and each item's entry is one row of `stepstream_items`, written when the
item settles. `load_run` puts the entries back (readers see Mastra's shape); the engine's
resume reads the thin record (`load_run_thin`) and only the rows it needs (`load_items`).
Records stored before the table existed keep their entries inline and are read as they are.

Rows of index -1 (SQLite, migration 0009) hold values kept apart from the rows that change
(`APART`): a thin foreach record's payload, its items, with their index (one item is read
without the others, `_raw_json`), under the record's key; a run's input of over
`INPUT_APART` characters under the key `INPUT_KEY`. They are written only when they change,
so resuming one of W items rewrites neither the items nor a large input.

These are mixins: each storage supplies `_run` and its thin `load_run_thin`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .._suspend_meta import thin_of, with_entries
from ..results import StepResult
from ._sql import RUN_COLUMNS, STEPS, dumps
from ._sqlite_tx import write_tx
from .base import RunRecord

if TYPE_CHECKING:
    import psycopg

    Conn = psycopg.AsyncConnection[Any]

T = TypeVar("T")

ITEMS = "stepstream_items"
#: the index of the rows that hold values kept apart (see the module)
APART = -1
#: the key of a run's input kept apart (step keys are never empty)
INPUT_KEY = ""
#: a run's input longer than this (its JSON text) is kept apart from the run's row
INPUT_APART = 2048
#: SQLite: a value kept apart, upserted; a foreach's items that are the run's input (kept apart,
#: the same text: a foreach that comes first) are stored as '' (read once, with the input)
_UPSERT_APART = (
    f"INSERT INTO {ITEMS} (workflow_id, run_id, key, idx, entry, entry_index) VALUES (?1, ?2, ?3, {APART}, "
    f"CASE WHEN ?3 <> '{INPUT_KEY}' AND ?4 = (SELECT entry FROM {ITEMS} WHERE workflow_id = ?1 AND run_id = ?2 "
    f"AND key = '{INPUT_KEY}' AND idx = {APART}) THEN '' ELSE ?4 END, ?5) "
    "ON CONFLICT (workflow_id, run_id, key, idx) DO UPDATE SET entry = excluded.entry, entry_index = excluded.entry_index"
)
#: What an event batch holds in place of a run's input kept apart that an event carries (a
#: foreach's items stored as ''); read back as the input (SQLite, `_sqlite_events`).
INPUT_REFERENCE = "\x00stepstream:run-input"
INPUT_REFERENCE_JSON = '"\\u0000stepstream:run-input"'
#: SQLite: a run's input kept apart
SELECT_INPUT_APART = f"SELECT entry FROM {ITEMS} WHERE workflow_id = ? AND run_id = ? AND key = '{INPUT_KEY}' AND idx = {APART}"
_INPUT_ROW = f"(SELECT i.entry FROM {ITEMS} i WHERE i.workflow_id = ?1 AND i.run_id = ?2 AND i.key = '{INPUT_KEY}' AND i.idx = {APART})"
#: SQLite: before a run's input kept apart changes, the event batches referring to it take its text
_DETACH_EVENTS = (
    f"UPDATE {STEPS} SET record = replace(record, '{INPUT_REFERENCE_JSON}', {_INPUT_ROW}) WHERE workflow_id = ?1 "
    f"AND run_id = ?2 AND key < '' AND instr(record, '{INPUT_REFERENCE_JSON}') > 0 AND {_INPUT_ROW} IS NOT NULL"
)
#: SQLite: before a run's input kept apart changes, the items stored as '' take its text
_DETACH_INPUT = (
    f"UPDATE {ITEMS} SET entry = (SELECT i.entry FROM {ITEMS} i WHERE i.workflow_id = ?1 AND i.run_id = ?2 "
    f"AND i.key = '{INPUT_KEY}' AND i.idx = {APART}) WHERE workflow_id = ?1 AND run_id = ?2 AND idx = {APART} "
    f"AND key <> '{INPUT_KEY}' AND entry = ''"
)


def write_apart(conn: sqlite3.Connection, rows: Sequence[tuple[str, str, str, str, bytes | None]]) -> None:
    """SQLite, in a write transaction: stores values kept apart, `(workflow_id, run_id, key, text, index)`."""
    for row in sorted(rows, key=lambda r: r[2] != INPUT_KEY):  # the input first: items may be stored as ''
        if row[2] == INPUT_KEY:
            conn.execute(_DETACH_EVENTS, row[:2])
            conn.execute(_DETACH_INPUT, row[:2])
        conn.execute(_UPSERT_APART, row)


#: SQLite: the payloads kept apart of a run's step records (one lookup per record)
SELECT_APART = (
    f"SELECT s.key, i.entry, i.entry_index FROM {STEPS} s JOIN {ITEMS} i ON i.workflow_id = s.workflow_id "
    f"AND i.run_id = s.run_id AND i.key = s.key AND i.idx = {APART} WHERE s.workflow_id = ? AND s.run_id = ? AND s.key >= ''"
)


def input_column(alias: str) -> str:
    """SQLite: the run's input, from its row or, kept apart, from its item row."""
    return (
        f"COALESCE({alias}.input, (SELECT i.entry FROM {ITEMS} i WHERE i.workflow_id = {alias}.workflow_id "
        f"AND i.run_id = {alias}.run_id AND i.key = '{INPUT_KEY}' AND i.idx = {APART}))"
    )


def input_apart(row: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """A run's row (`record_row`) with a long input taken out, and that input (else None)."""
    text = row[_INPUT_AT]
    if text is None or len(text) <= INPUT_APART:
        return row, None
    return (*row[:_INPUT_AT], None, *row[_INPUT_AT + 1 :]), text


_INPUT_AT = RUN_COLUMNS.index("input")


def thin_count(record: StepResult) -> int | None:
    """How many items a thin foreach record has (None for any other record)."""
    thin = thin_of(record.suspend_payload)
    return int(thin["n"]) if thin is not None else None


def assemble_run(record: RunRecord, rows: Iterable[tuple[str, int, str]]) -> RunRecord:
    """`record` (read thin) with the entries of its thin foreach records put back."""
    by_key: dict[str, dict[int, Any]] = {}
    for key, idx, text in rows:
        by_key.setdefault(key, {})[idx] = json.loads(text)
    for key, step in record.steps.items():
        if thin_count(step) is not None:
            record.steps[key] = step.copy(suspend_payload=with_entries(step.suspend_payload, by_key.get(key, {})))
    return record


def has_thin(record: RunRecord | None) -> bool:
    return record is not None and any(thin_count(step) is not None for step in record.steps.values())


def entry_rows(workflow_id: str, run_id: str, key: str, entries: Mapping[int, Any]) -> list[tuple[str, str, str, int, str]]:
    return [(workflow_id, run_id, key, idx, dumps(entry, f"item {idx} of {key!r}") or "null") for idx, entry in entries.items()]


class SQLiteItems:
    """Foreach item rows on SQLite."""

    supports_items = True

    async def _run(self, fn: Callable[[sqlite3.Connection], T], what: str) -> T:
        raise NotImplementedError  # pragma: no cover - provided by SQLiteStorage

    async def _load_stored(self, workflow_id: str, run_id: str, *, raw: bool) -> RunRecord | None:
        raise NotImplementedError  # pragma: no cover - provided by SQLiteStorage

    async def load_run(self, workflow_id: str, run_id: str) -> RunRecord | None:
        record = await self._load_stored(workflow_id, run_id, raw=False)
        if record is None or not has_thin(record):
            return record
        sql = f"SELECT key, idx, entry FROM {ITEMS} WHERE workflow_id = ? AND run_id = ? AND idx >= 0"
        rows = await self._run(lambda conn: conn.execute(sql, (workflow_id, run_id)).fetchall(), "load_run")
        return assemble_run(record, rows)

    async def load_items(self, workflow_id: str, run_id: str, key: str, indexes: Collection[int] | None = None) -> dict[int, Any]:
        sql = f"SELECT idx, entry FROM {ITEMS} WHERE workflow_id = ? AND run_id = ? AND key = ?"
        args: list[Any] = [workflow_id, run_id, key]
        if indexes is not None:
            wanted = [i for i in indexes if i >= 0]
            if not wanted:
                return {}
            sql += f" AND idx IN ({', '.join('?' * len(wanted))})"
            args += wanted
        else:
            sql += " AND idx >= 0"  # not the values kept apart
        rows = await self._run(lambda conn: conn.execute(sql, args).fetchall(), "load_items")
        return {idx: json.loads(text) for idx, text in rows}

    async def load_items_json(self, workflow_id: str, run_id: str, key: str) -> str:
        sql = f"SELECT '{{' || COALESCE(group_concat('\"' || idx || '\":' || entry, ','), '') || '}}' FROM {ITEMS} WHERE workflow_id = ? AND run_id = ? AND key = ? AND idx >= 0"
        row = await self._run(lambda conn: conn.execute(sql, (workflow_id, run_id, key)).fetchone(), "load_items")
        return str(row[0])

    async def save_items(
        self,
        workflow_id: str,
        run_id: str,
        key: str,
        entries: Mapping[int, Any],
        *,
        replace: bool = False,
        expected_owner: str | None = None,
    ) -> bool:
        rows = entry_rows(workflow_id, run_id, key, entries)
        owned = "SELECT 1 FROM stepstream_runs WHERE workflow_id = ? AND run_id = ? AND (? IS NULL OR owner = ?)"
        upsert = (
            f"INSERT INTO {ITEMS} (workflow_id, run_id, key, idx, entry) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (workflow_id, run_id, key, idx) DO UPDATE SET entry = excluded.entry"
        )

        def tx(conn: sqlite3.Connection) -> bool:
            if conn.execute(owned, (workflow_id, run_id, expected_owner, expected_owner)).fetchone() is None:
                return False
            if replace:
                conn.execute(
                    f"DELETE FROM {ITEMS} WHERE workflow_id = ? AND run_id = ? AND key = ? AND idx >= 0", (workflow_id, run_id, key)
                )
            conn.executemany(upsert, rows)
            return True

        return await self._run(lambda conn: write_tx(conn, tx), "save_items")


class PostgresItems:
    """Foreach item rows on PostgreSQL."""

    supports_items = True

    async def _run(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError  # pragma: no cover - provided by PostgresStorage

    async def load_run_thin(self, workflow_id: str, run_id: str) -> RunRecord | None:
        raise NotImplementedError  # pragma: no cover - provided by PostgresStorage

    async def load_run(self, workflow_id: str, run_id: str) -> RunRecord | None:
        record = await self.load_run_thin(workflow_id, run_id)
        if record is None or not has_thin(record):
            return record

        async def fn(conn: Conn) -> list[Any]:
            sql = f"SELECT key, idx, entry FROM {ITEMS} WHERE workflow_id = %s AND run_id = %s"
            return await (await conn.execute(sql, (workflow_id, run_id))).fetchall()

        return assemble_run(record, await self._run("load_run", fn))

    async def load_items(self, workflow_id: str, run_id: str, key: str, indexes: Collection[int] | None = None) -> dict[int, Any]:
        sql = f"SELECT idx, entry FROM {ITEMS} WHERE workflow_id = %s AND run_id = %s AND key = %s"
        args: list[Any] = [workflow_id, run_id, key]
        if indexes is not None:
            sql += " AND idx = ANY(%s::integer[])"
            args.append(list(indexes))

        async def fn(conn: Conn) -> list[Any]:
            return await (await conn.execute(sql, args)).fetchall()

        return {idx: json.loads(text) for idx, text in await self._run("load_items", fn)}

    async def load_items_json(self, workflow_id: str, run_id: str, key: str) -> str:
        sql = (
            "SELECT '{' || COALESCE(string_agg('\"' || idx || '\":' || entry, ','), '') || '}' "
            f"FROM {ITEMS} WHERE workflow_id = %s AND run_id = %s AND key = %s"
        )

        async def fn(conn: Conn) -> Any:
            return await (await conn.execute(sql, (workflow_id, run_id, key))).fetchone()

        return str((await self._run("load_items", fn))[0])

    async def save_items(
        self,
        workflow_id: str,
        run_id: str,
        key: str,
        entries: Mapping[int, Any],
        *,
        replace: bool = False,
        expected_owner: str | None = None,
    ) -> bool:
        rows = entry_rows(workflow_id, run_id, key, entries)
        indexes, texts = [row[3] for row in rows], [row[4] for row in rows]
        args = {"w": workflow_id, "r": run_id, "k": key, "o": expected_owner, "i": indexes, "e": texts, "replace": replace}

        async def fn(conn: Conn) -> bool:
            row = await (await conn.execute(_PG_SAVE_ITEMS, args)).fetchone()
            return bool(row and row[0])

        return await self._run("save_items", fn)


# One statement (one round trip): the run's owner checked, the other stored rows dropped
# (with `replace`; never the rows this write upserts, so no row is touched twice), the
# entries upserted. It returns whether the run was there and the caller's.
_PG_SAVE_ITEMS = (
    "WITH owned AS (SELECT 1 FROM stepstream_runs WHERE workflow_id = %(w)s AND run_id = %(r)s "
    "AND (%(o)s::text IS NULL OR owner = %(o)s) FOR SHARE), "
    f"dropped AS (DELETE FROM {ITEMS} WHERE %(replace)s AND workflow_id = %(w)s AND run_id = %(r)s AND key = %(k)s "
    "AND idx <> ALL(%(i)s::integer[]) AND EXISTS (SELECT 1 FROM owned)), "
    f"upserted AS (INSERT INTO {ITEMS} (workflow_id, run_id, key, idx, entry) "
    "SELECT %(w)s, %(r)s, %(k)s, x.idx, x.entry FROM unnest(%(i)s::integer[], %(e)s::text[]) AS x(idx, entry) "
    "WHERE EXISTS (SELECT 1 FROM owned) "
    "ON CONFLICT (workflow_id, run_id, key, idx) DO UPDATE SET entry = excluded.entry) "
    "SELECT EXISTS (SELECT 1 FROM owned)"
)
