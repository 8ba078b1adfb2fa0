"""What the SQL backends share for schedules: table names, column order, row codecs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._schedule_records import Schedule, ScheduleTrigger
from ._sql import dumps, loads

SCHEDULES = "stepstream_schedules"
TRIGGERS = "stepstream_schedule_triggers"

#: Columns of the schedules table, in the order `schedule_row` and `row_schedule` use.
SCHEDULE_COLUMNS: tuple[str, ...] = (
    "id",
    "workflow_id",
    "target",
    "cron",
    "timezone",
    "status",
    "next_fire_at",
    "last_fire_at",
    "last_run_id",
    "catch_up",
    "metadata",
    "created_at",
    "updated_at",
)
SCHEDULE_JSON = frozenset({"target", "metadata"})
#: Columns of the triggers table (without `seq`), in `trigger_row` order.
TRIGGER_COLUMNS: tuple[str, ...] = (
    "id",
    "schedule_id",
    "run_id",
    "scheduled_fire_at",
    "actual_fire_at",
    "outcome",
    "trigger_kind",
    "error",
    "parent_trigger_id",
    "metadata",
)
TRIGGER_JSON = frozenset({"metadata"})


def schedule_row(s: Schedule) -> tuple[Any, ...]:
    """A schedule's values in SCHEDULE_COLUMNS order (JSON columns as text)."""
    return (
        s.id,
        s.workflow_id,
        dumps(s.target(), f"schedule {s.id!r} inputs"),
        s.cron,
        s.timezone,
        s.status,
        s.next_fire_at,
        s.last_fire_at,
        s.last_run_id,
        s.catch_up,
        dumps(s.metadata, f"schedule {s.id!r} metadata"),
        s.created_at,
        s.updated_at,
    )


def row_schedule(row: Sequence[Any]) -> Schedule:
    """A Schedule from a row in SCHEDULE_COLUMNS order (JSON columns as text)."""
    values = dict(zip(SCHEDULE_COLUMNS, row, strict=True))
    target = loads(values.pop("target"))
    values["metadata"] = loads(values["metadata"])
    values.update(Schedule.target_fields(target))
    return Schedule(**values)


def trigger_row(t: ScheduleTrigger) -> tuple[Any, ...]:
    """A trigger's values in TRIGGER_COLUMNS order."""
    return tuple(dumps(getattr(t, c), f"trigger {c}") if c in TRIGGER_JSON else getattr(t, c) for c in TRIGGER_COLUMNS)


def row_trigger(row: Sequence[Any]) -> ScheduleTrigger:
    """A ScheduleTrigger from a row in TRIGGER_COLUMNS order."""
    values = dict(zip(TRIGGER_COLUMNS, row, strict=True))
    values["metadata"] = loads(values["metadata"])
    return ScheduleTrigger(**values)


def schedule_filters(workflow_id: str | None, status: str | None, mark: str) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters of `list_schedules` (`mark` is the driver's placeholder)."""
    pairs = [(f"{column} = {mark}", value) for column, value in (("workflow_id", workflow_id), ("status", status)) if value is not None]
    return (f" WHERE {' AND '.join(c for c, _ in pairs)}" if pairs else ""), [v for _, v in pairs]


def trigger_filters(schedule_id: str, from_fire_at: int | None, to_fire_at: int | None, mark: str) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters of `list_triggers` (`mark` is the driver's placeholder)."""
    where: list[str] = [f"schedule_id = {mark}"]
    params: list[Any] = [schedule_id]
    if from_fire_at is not None:
        where.append(f"actual_fire_at >= {mark}")
        params.append(from_fire_at)
    if to_fire_at is not None:
        where.append(f"actual_fire_at < {mark}")
        params.append(to_fire_at)
    return " WHERE " + " AND ".join(where), params
