"""SQLiteStorage's schedule methods (a mixin; SQLiteStorage supplies `_run`).

The fire claim is one `UPDATE ... WHERE next_fire_at = ? AND status = 'active'`:
SQLite serializes writers, so across connections and processes exactly one
claimer sees a changed row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from ._schedule_records import Schedule, ScheduleChanges, ScheduleTrigger, apply_schedule_changes
from ._sql_schedules import (
    SCHEDULE_COLUMNS,
    SCHEDULES,
    TRIGGER_COLUMNS,
    TRIGGERS,
    row_schedule,
    row_trigger,
    schedule_filters,
    schedule_row,
    trigger_filters,
    trigger_row,
)
from ._sqlite_tx import read_tx, write_tx
from .base import now_ms

T = TypeVar("T")

_COLS = ", ".join(SCHEDULE_COLUMNS)
_SELECT = f"SELECT {_COLS} FROM {SCHEDULES}"
_INSERT = f"INSERT INTO {SCHEDULES} ({_COLS}) VALUES ({', '.join('?' * len(SCHEDULE_COLUMNS))}) ON CONFLICT DO NOTHING"
_REPLACE = f"UPDATE {SCHEDULES} SET {', '.join(f'{c} = ?' for c in SCHEDULE_COLUMNS[1:])} WHERE id = ?"
_TCOLS = ", ".join(TRIGGER_COLUMNS)


class SQLiteSchedules:
    """Schedule storage on SQLite."""

    supports_schedules = True

    async def _run(self, fn: Callable[[sqlite3.Connection], T], what: str) -> T:
        raise NotImplementedError  # pragma: no cover - provided by SQLiteStorage

    async def _query(self, sql: str, params: Any, what: str) -> list[Any]:
        return await self._run(lambda conn: conn.execute(sql, params).fetchall(), what)

    async def create_schedule(self, schedule: Schedule) -> bool:
        row = schedule_row(schedule)
        return await self._run(lambda conn: conn.execute(_INSERT, row).rowcount == 1, "create_schedule")

    async def load_schedule(self, schedule_id: str) -> Schedule | None:
        rows = await self._query(f"{_SELECT} WHERE id = ?", (schedule_id,), "load_schedule")
        return row_schedule(rows[0]) if rows else None

    async def list_schedules(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        filters, params = schedule_filters(workflow_id, status, "?")
        rows = await self._query(f"{_SELECT}{filters} ORDER BY created_at, id", params, "list_schedules")
        return [row_schedule(r) for r in rows]

    async def list_due_schedules(self, now: int, limit: int) -> list[Schedule]:
        sql = f"{_SELECT} WHERE status = 'active' AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ?"
        return [row_schedule(r) for r in await self._query(sql, (now, max(limit, 0)), "list_due_schedules")]

    async def next_schedule_fire_at(self) -> int | None:
        rows = await self._query(f"SELECT MIN(next_fire_at) FROM {SCHEDULES} WHERE status = 'active'", (), "next_schedule_fire_at")
        return None if rows[0][0] is None else int(rows[0][0])

    async def update_schedule(self, schedule_id: str, changes: ScheduleChanges) -> Schedule | None:
        def tx(conn: sqlite3.Connection) -> Schedule | None:
            row = conn.execute(f"{_SELECT} WHERE id = ?", (schedule_id,)).fetchone()
            if row is None:
                return None
            schedule = row_schedule(row)
            apply_schedule_changes(schedule, changes, now_ms())
            values = schedule_row(schedule)
            conn.execute(_REPLACE, (*values[1:], schedule_id))
            return schedule

        return await self._run(lambda conn: write_tx(conn, tx), "update_schedule")

    async def claim_schedule_fire(
        self, schedule_id: str, expected_next_fire_at: int, next_fire_at: int, *, fired_at: int | None = None, run_id: str | None = None
    ) -> bool:
        sets = "next_fire_at = ?, updated_at = ?"
        params: list[Any] = [next_fire_at, now_ms()]
        if fired_at is not None:
            sets += ", last_fire_at = ?, last_run_id = ?"
            params += [fired_at, run_id]
        sql = f"UPDATE {SCHEDULES} SET {sets} WHERE id = ? AND next_fire_at = ? AND status = 'active'"
        args = (*params, schedule_id, expected_next_fire_at)
        return await self._run(lambda conn: conn.execute(sql, args).rowcount == 1, "claim_schedule_fire")  # one statement: atomic

    async def delete_schedule(self, schedule_id: str) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            conn.execute(f"DELETE FROM {TRIGGERS} WHERE schedule_id = ?", (schedule_id,))
            return conn.execute(f"DELETE FROM {SCHEDULES} WHERE id = ?", (schedule_id,)).rowcount == 1

        return await self._run(lambda conn: write_tx(conn, tx), "delete_schedule")

    async def record_trigger(self, trigger: ScheduleTrigger) -> None:
        row = trigger_row(trigger)
        sql = f"INSERT INTO {TRIGGERS} ({_TCOLS}) VALUES ({', '.join('?' * len(TRIGGER_COLUMNS))})"
        await self._run(lambda conn: conn.execute(sql, row), "record_trigger")

    async def list_triggers(
        self,
        schedule_id: str,
        *,
        from_fire_at: int | None = None,
        to_fire_at: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[ScheduleTrigger], int]:
        filters, params = trigger_filters(schedule_id, from_fire_at, to_fire_at, "?")
        select = f"SELECT {_TCOLS} FROM {TRIGGERS}{filters} ORDER BY actual_fire_at DESC, seq DESC"
        select_params = list(params)
        if page is not None and per_page is not None:
            select += " LIMIT ? OFFSET ?"
            select_params += [max(per_page, 0), max(page, 0) * max(per_page, 0)]

        def tx(conn: sqlite3.Connection) -> tuple[list[Any], int]:
            total = int(conn.execute(f"SELECT COUNT(*) FROM {TRIGGERS}{filters}", params).fetchone()[0])
            return conn.execute(select, select_params).fetchall(), total

        rows, total = await self._run(lambda conn: read_tx(conn, tx), "list_triggers")
        return [row_trigger(r) for r in rows], total
