"""PostgresStorage's schedule methods (a mixin; PostgresStorage supplies `_run`).

The fire claim is one `UPDATE ... WHERE next_fire_at = %s AND status = 'active'`:
row locking makes it a compare-and-set across connections and processes, so
exactly one claimer of a slot sees a changed row. `update_schedule` reads the
row `FOR UPDATE` and writes it back in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._schedule_records import Schedule, ScheduleChanges, ScheduleTrigger, apply_schedule_changes
from ._sql_schedules import (
    SCHEDULE_COLUMNS,
    SCHEDULE_JSON,
    SCHEDULES,
    TRIGGER_COLUMNS,
    TRIGGER_JSON,
    TRIGGERS,
    row_schedule,
    row_trigger,
    schedule_filters,
    schedule_row,
    trigger_filters,
    trigger_row,
)
from .base import now_ms

if TYPE_CHECKING:
    import psycopg

    Conn = psycopg.AsyncConnection[Any]

T = TypeVar("T")

_COLS = ", ".join(SCHEDULE_COLUMNS)
_SELECT = f"SELECT {', '.join(f'{c}::text' if c in SCHEDULE_JSON else c for c in SCHEDULE_COLUMNS)} FROM {SCHEDULES}"
_VALUES = ", ".join("%s::json" if c in SCHEDULE_JSON else "%s" for c in SCHEDULE_COLUMNS)
_INSERT = f"INSERT INTO {SCHEDULES} ({_COLS}) VALUES ({_VALUES}) ON CONFLICT DO NOTHING"
_REPLACE = f"UPDATE {SCHEDULES} SET ({', '.join(SCHEDULE_COLUMNS[1:])}) = ({_VALUES.split(', ', 1)[1]}) WHERE id = %s"
_TCOLS = ", ".join(TRIGGER_COLUMNS)
_TSELECT = ", ".join(f"{c}::text" if c in TRIGGER_JSON else c for c in TRIGGER_COLUMNS)
_TINSERT = f"INSERT INTO {TRIGGERS} ({_TCOLS}) VALUES ({', '.join('%s::json' if c in TRIGGER_JSON else '%s' for c in TRIGGER_COLUMNS)})"


class PostgresSchedules:
    """Schedule storage on PostgreSQL."""

    supports_schedules = True

    async def _run(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError  # pragma: no cover - provided by PostgresStorage

    async def _fetch(self, what: str, sql: str, params: Any) -> list[Any]:
        async def fn(conn: Conn) -> list[Any]:
            return await (await conn.execute(sql, params)).fetchall()

        return await self._run(what, fn)

    async def _changed(self, what: str, sql: str, params: Any) -> bool:
        async def fn(conn: Conn) -> bool:
            return (await conn.execute(sql, params)).rowcount == 1

        return await self._run(what, fn)

    async def create_schedule(self, schedule: Schedule) -> bool:
        return await self._changed("create_schedule", _INSERT, schedule_row(schedule))

    async def load_schedule(self, schedule_id: str) -> Schedule | None:
        rows = await self._fetch("load_schedule", f"{_SELECT} WHERE id = %s", (schedule_id,))
        return row_schedule(rows[0]) if rows else None

    async def list_schedules(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        filters, params = schedule_filters(workflow_id, status, "%s")
        rows = await self._fetch("list_schedules", f"{_SELECT}{filters} ORDER BY created_at, id", params)
        return [row_schedule(r) for r in rows]

    async def list_due_schedules(self, now: int, limit: int) -> list[Schedule]:
        sql = f"{_SELECT} WHERE status = 'active' AND next_fire_at <= %s ORDER BY next_fire_at, id LIMIT %s"
        return [row_schedule(r) for r in await self._fetch("list_due_schedules", sql, (now, max(limit, 0)))]

    async def next_schedule_fire_at(self) -> int | None:
        rows = await self._fetch("next_schedule_fire_at", f"SELECT MIN(next_fire_at) FROM {SCHEDULES} WHERE status = 'active'", ())
        return None if rows[0][0] is None else int(rows[0][0])

    async def update_schedule(self, schedule_id: str, changes: ScheduleChanges) -> Schedule | None:
        async def fn(conn: Conn) -> Schedule | None:
            async with conn.transaction():
                row = await (await conn.execute(f"{_SELECT} WHERE id = %s FOR UPDATE", (schedule_id,))).fetchone()
                if row is None:
                    return None
                schedule = row_schedule(row)
                apply_schedule_changes(schedule, changes, now_ms())
                await conn.execute(_REPLACE, (*schedule_row(schedule)[1:], schedule_id))
                return schedule

        return await self._run("update_schedule", fn)

    async def claim_schedule_fire(
        self, schedule_id: str, expected_next_fire_at: int, next_fire_at: int, *, fired_at: int | None = None, run_id: str | None = None
    ) -> bool:
        sets = "next_fire_at = %s, updated_at = %s"
        params: list[Any] = [next_fire_at, now_ms()]
        if fired_at is not None:
            sets += ", last_fire_at = %s, last_run_id = %s"
            params += [fired_at, run_id]
        sql = f"UPDATE {SCHEDULES} SET {sets} WHERE id = %s AND next_fire_at = %s AND status = 'active'"
        return await self._changed("claim_schedule_fire", sql, (*params, schedule_id, expected_next_fire_at))

    async def delete_schedule(self, schedule_id: str) -> bool:
        async def fn(conn: Conn) -> bool:
            async with conn.transaction():
                await conn.execute(f"DELETE FROM {TRIGGERS} WHERE schedule_id = %s", (schedule_id,))
                return (await conn.execute(f"DELETE FROM {SCHEDULES} WHERE id = %s", (schedule_id,))).rowcount == 1

        return await self._run("delete_schedule", fn)

    async def record_trigger(self, trigger: ScheduleTrigger) -> None:
        await self._changed("record_trigger", _TINSERT, trigger_row(trigger))

    async def list_triggers(
        self,
        schedule_id: str,
        *,
        from_fire_at: int | None = None,
        to_fire_at: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[ScheduleTrigger], int]:
        filters, params = trigger_filters(schedule_id, from_fire_at, to_fire_at, "%s")
        limit = ""
        if page is not None and per_page is not None:
            limit = " LIMIT %s OFFSET %s"
            params = [*params, max(per_page, 0), max(page, 0) * max(per_page, 0)]
        # One statement, one snapshot: the total with every row of the page.
        sql = f"SELECT count(*) OVER () AS total, {_TSELECT} FROM {TRIGGERS}{filters} ORDER BY actual_fire_at DESC, seq DESC{limit}"
        rows = await self._fetch("list_triggers", sql, params)
        if not rows and limit:
            count = await self._fetch("list_triggers", f"SELECT count(*) FROM {TRIGGERS}{filters}", params[:-2])
            return [], int(count[0][0])
        return [row_trigger(r[1:]) for r in rows], int(rows[0][0]) if rows else 0
