"""Stored schedules and their audit rows (the `schedules` and `schedule_triggers` tables).

`to_dict()` gives Mastra's JSON: the flat `WorkflowSchedule` view and the
`ScheduleTrigger` row, camelCase keys, times in Unix epoch milliseconds.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypedDict

ScheduleStatus = Literal["active", "paused"]
"""`active`: fires on its cron; `paused`: never fires on its own (`run` still fires it)."""

CatchUp = Literal["skip", "latest"]
"""Missed slots (no scheduler ran while they came due): `skip` fires none of them (Mastra's
behaviour); `latest` fires once, for the latest of them. Either way the next fire is the
first slot after now."""

TriggerOutcome = Literal["published", "failed", "skipped"]
"""`published`: the run was started; `failed`: it could not be (see `error`);
`skipped`: missed slots that `catch_up="skip"` did not fire."""

TriggerKind = Literal["schedule-fire", "manual"]
"""`schedule-fire`: the scheduler fired a due slot; `manual`: `schedules.run(id)`."""


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Schedule:
    """A cron schedule of a workflow, and the inputs each of its runs starts with."""

    id: str
    workflow_id: str
    cron: str
    next_fire_at: int
    timezone: str | None = None
    status: ScheduleStatus = "active"
    input_data: Any = None
    initial_state: Any = None
    request_context: dict[str, Any] | None = None
    resource_id: str | None = None
    metadata: dict[str, Any] | None = None
    catch_up: CatchUp | None = None
    last_fire_at: int | None = None
    last_run_id: str | None = None
    created_at: int = field(default_factory=_now_ms)
    updated_at: int = field(default_factory=_now_ms)

    def target(self) -> dict[str, Any]:
        """Mastra's stored target: the workflow and the run's inputs (absent ones left out)."""
        out: dict[str, Any] = {"type": "workflow", "workflowId": self.workflow_id}
        for key, value in (
            ("inputData", self.input_data),
            ("initialState", self.initial_state),
            ("requestContext", self.request_context),
            ("resourceId", self.resource_id),
        ):
            if value is not None:
                out[key] = value
        return out

    @staticmethod
    def target_fields(target: dict[str, Any]) -> dict[str, Any]:
        """The dataclass fields stored in a target (the inverse of `target()`)."""
        return {
            "workflow_id": target["workflowId"],
            "input_data": target.get("inputData"),
            "initial_state": target.get("initialState"),
            "request_context": target.get("requestContext"),
            "resource_id": target.get("resourceId"),
        }

    def to_dict(self) -> dict[str, Any]:
        """Mastra's `WorkflowSchedule` view (absent fields left out)."""
        out: dict[str, Any] = {"id": self.id, "workflowId": self.workflow_id, "cron": self.cron}
        if self.timezone:
            out["timezone"] = self.timezone
        out.update(status=self.status, nextFireAt=self.next_fire_at)
        if self.last_fire_at is not None:
            out["lastFireAt"] = self.last_fire_at
        if self.last_run_id:
            out["lastRunId"] = self.last_run_id
        out.update({k: v for k, v in self.target().items() if k not in ("type", "workflowId")})
        if self.metadata:
            out["metadata"] = self.metadata
        if self.catch_up is not None:
            out["catchUp"] = self.catch_up
        out.update(createdAt=self.created_at, updatedAt=self.updated_at)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        """The schedule from its `WorkflowSchedule` view (the inverse of `to_dict`)."""
        return cls(
            id=data["id"],
            cron=data["cron"],
            next_fire_at=data["nextFireAt"],
            timezone=data.get("timezone"),
            status=data.get("status", "active"),
            metadata=data.get("metadata"),
            catch_up=data.get("catchUp"),
            last_fire_at=data.get("lastFireAt"),
            last_run_id=data.get("lastRunId"),
            created_at=data["createdAt"],
            updated_at=data["updatedAt"],
            **cls.target_fields(data),
        )


class ScheduleChanges(TypedDict, total=False):
    """Fields `update_schedule` may change."""

    cron: str
    timezone: str | None
    status: ScheduleStatus
    next_fire_at: int
    input_data: Any
    initial_state: Any
    request_context: dict[str, Any] | None
    resource_id: str | None
    metadata: dict[str, Any] | None
    catch_up: CatchUp | None


SCHEDULE_CHANGE_FIELDS = frozenset(ScheduleChanges.__annotations__)


def apply_schedule_changes(schedule: Schedule, changes: ScheduleChanges, now: int) -> None:
    """Applies changes in place and stamps `updated_at` (ValueError for an unknown field)."""
    unknown = set(changes) - SCHEDULE_CHANGE_FIELDS
    if unknown:
        raise ValueError(f"unknown schedule fields {sorted(unknown)}; expected some of {sorted(SCHEDULE_CHANGE_FIELDS)}")
    for key, value in changes.items():
        setattr(schedule, key, value)
    schedule.updated_at = now


@dataclass
class ScheduleTrigger:
    """One row of a schedule's audit trail: a fire, a failure to fire, or skipped slots."""

    schedule_id: str
    run_id: str | None
    scheduled_fire_at: int
    actual_fire_at: int
    outcome: TriggerOutcome
    trigger_kind: TriggerKind = "schedule-fire"
    error: str | None = None
    parent_trigger_id: str | None = None
    metadata: dict[str, Any] | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_dict(self) -> dict[str, Any]:
        """Mastra's `ScheduleTrigger` JSON (absent fields left out)."""
        out: dict[str, Any] = {
            "id": self.id,
            "scheduleId": self.schedule_id,
            "runId": self.run_id,
            "scheduledFireAt": self.scheduled_fire_at,
            "actualFireAt": self.actual_fire_at,
            "outcome": self.outcome,
            "triggerKind": self.trigger_kind,
        }
        for key, value in (("error", self.error), ("parentTriggerId", self.parent_trigger_id), ("metadata", self.metadata)):
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScheduleTrigger:
        """The row from its `ScheduleTrigger` JSON (the inverse of `to_dict`)."""
        return cls(
            id=data["id"],
            schedule_id=data["scheduleId"],
            run_id=data.get("runId"),
            scheduled_fire_at=data["scheduledFireAt"],
            actual_fire_at=data["actualFireAt"],
            outcome=data["outcome"],
            trigger_kind=data.get("triggerKind", "schedule-fire"),
            error=data.get("error"),
            parent_trigger_id=data.get("parentTriggerId"),
            metadata=data.get("metadata"),
        )


TRIGGER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ScheduleTrigger))
