"""`app.schedules`: create, read, change and fire schedules (Mastra's `mastra.schedules`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._schema import schema_for
from ..errors import ScheduleError, ScheduleNotFoundError
from ..storage.base import Schedule, ScheduleChanges, ScheduleTrigger, TriggerOutcome
from ._declare import as_mapping, check_catch_up, check_inputs, imperative_id
from ._scheduler import NEVER, Host, Scheduler
from .cron import check_cron

_STATUSES = ("active", "paused")


@dataclass
class TriggerPage:
    """One page of a schedule's audit trail, newest first, and the total row count."""

    triggers: list[ScheduleTrigger]
    total: int
    page: int | None = None
    per_page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """`{"triggers": [...], "total": n, "page": p, "perPage": k, "hasMore": bool}`."""
        has_more = self.page is not None and self.per_page is not None and (self.page + 1) * self.per_page < self.total
        return {
            "triggers": [t.to_dict() for t in self.triggers],
            "total": self.total,
            "page": self.page,
            "perPage": self.per_page,
            "hasMore": has_more,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TriggerPage:
        """The page from its JSON (the inverse of `to_dict`)."""
        rows = [ScheduleTrigger.from_dict(t) for t in data["triggers"]]
        return cls(rows, data.get("total", len(rows)), data.get("page"), data.get("perPage"))


class Schedules:
    """CRUD and manual fires for schedules; every schedule targets a registered workflow."""

    def __init__(self, host: Host, scheduler: Scheduler):
        self._host = host
        self._scheduler = scheduler

    def _next(self, cron: str, timezone: str | None) -> int:
        nxt = check_cron(cron, timezone).next_after(self._scheduler.clock.now_ms())
        return NEVER if nxt is None else nxt

    def _check(self, where: str, workflow_id: str, input_data: Any, initial_state: Any) -> Any:
        wf = self._host.get_workflow(workflow_id)
        return check_inputs(where, schema_for(wf.input_schema), wf.state_schema_obj, input_data, initial_state)

    async def create(
        self,
        *,
        workflow_id: str,
        cron: str,
        timezone: str | None = None,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        resource_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: str = "active",
        catch_up: str | None = None,
        id: str | None = None,
    ) -> Schedule:
        """Creates a schedule (id `schedule_<slug of id>` or `schedule_<uuid>`); ScheduleError
        naming the field for a bad cron, time zone, input, status or a taken id."""
        schedule_id = imperative_id(id)
        where = f"Schedule {schedule_id!r}"
        try:
            next_fire_at = self._next(cron, timezone)
        except ScheduleError as exc:
            raise ScheduleError(f"{where}: field {exc.field!r}: {exc}", exc.field) from None
        if status not in _STATUSES:
            raise ScheduleError(f"{where}: field 'status' must be 'active' or 'paused', got {status!r}", "status")
        now = self._scheduler.clock.now_ms()
        schedule = Schedule(
            id=schedule_id,
            workflow_id=workflow_id,
            cron=cron,
            timezone=timezone,
            status=status,  # type: ignore[arg-type]
            next_fire_at=next_fire_at,
            input_data=self._check(where, workflow_id, input_data, initial_state),
            initial_state=initial_state,
            request_context=as_mapping(where, "request_context", request_context),
            resource_id=resource_id,
            metadata=as_mapping(where, "metadata", metadata),
            catch_up=check_catch_up(where, catch_up),
            created_at=now,
            updated_at=now,
        )
        if not await self._host.storage.create_schedule(schedule):
            err = ScheduleError(f"{where} already exists; use update() to change it or choose another id", "id")
            err.code = "SCHEDULE_ID_EXISTS"
            raise err
        self._scheduler.wake()
        return schedule

    async def get(self, id: str) -> Schedule | None:
        """The schedule, or None."""
        return await self._host.storage.load_schedule(id.strip())

    async def _load(self, id: str) -> Schedule:
        found = await self.get(id)
        if found is None:
            raise ScheduleNotFoundError(f"Schedule {id!r} not found", "id")
        return found

    async def list(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        """Schedules, oldest first, optionally of one workflow and with one status."""
        if status is not None and status not in _STATUSES:
            raise ScheduleError(f"Schedules: filter 'status' must be 'active' or 'paused', got {status!r}", "status")
        return await self._host.storage.list_schedules(workflow_id=workflow_id, status=status)

    async def update(
        self,
        id: str,
        *,
        cron: str | None = None,
        timezone: str | None = None,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        resource_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: str | None = None,
        catch_up: str | None = None,
    ) -> Schedule:
        """Changes the given fields (None leaves a field as it is). A new cron or time zone,
        or resuming a paused schedule, recomputes the next fire time from now."""
        existing = await self._load(id)
        where = f"Schedule {existing.id!r}"
        changes: ScheduleChanges = {}
        if cron is not None or timezone is not None:
            changes["cron"] = cron or existing.cron
            changes["timezone"] = timezone if timezone is not None else existing.timezone
            try:
                changes["next_fire_at"] = self._next(changes["cron"], changes["timezone"])
            except ScheduleError as exc:
                raise ScheduleError(f"{where}: field {exc.field!r}: {exc}", exc.field) from None
        if status is not None:
            if status not in _STATUSES:
                raise ScheduleError(f"{where}: field 'status' must be 'active' or 'paused', got {status!r}", "status")
            changes["status"] = status  # type: ignore[typeddict-item]
            if status == "active" and existing.status == "paused" and "next_fire_at" not in changes:
                changes["next_fire_at"] = self._next(existing.cron, existing.timezone)
        if input_data is not None or initial_state is not None:
            new_input = existing.input_data if input_data is None else input_data
            new_state = existing.initial_state if initial_state is None else initial_state
            changes["input_data"] = self._check(where, existing.workflow_id, new_input, new_state)
            changes["initial_state"] = new_state
        for key, value in (("request_context", request_context), ("metadata", metadata)):
            if value is not None:
                changes[key] = as_mapping(where, key, value)  # type: ignore[literal-required]
        if resource_id is not None:
            changes["resource_id"] = resource_id
        if catch_up is not None:
            changes["catch_up"] = check_catch_up(where, catch_up)
        updated = await self._host.storage.update_schedule(existing.id, changes)
        if updated is None:
            raise ScheduleNotFoundError(f"Schedule {id!r} not found", "id")
        self._scheduler.wake()
        return updated

    async def delete(self, id: str) -> bool:
        """Deletes the schedule and its audit trail; False if there was none."""
        return await self._host.storage.delete_schedule(id.strip())

    async def pause(self, id: str) -> Schedule:
        """Stops the schedule firing on its own (idempotent; `run` still fires it)."""
        existing = await self._load(id)
        if existing.status == "paused":
            return existing
        return await self.update(existing.id, status="paused")

    async def resume(self, id: str) -> Schedule:
        """Fires the schedule again from its next slot after now (no backlog; idempotent)."""
        existing = await self._load(id)
        if existing.status == "active":
            return existing
        return await self.update(existing.id, status="active")

    async def run(self, id: str) -> str:
        """Fires the schedule now, even while paused, without moving its next fire time.
        Returns the run id, `sched_<scheduleId>_<nowMs>`; the audit row's kind is `manual`."""
        existing = await self._load(id)
        now = self._scheduler.clock.now_ms()
        run_id = f"sched_{existing.id}_{now}"
        error = await self._scheduler.start_run(existing, run_id)
        outcome: TriggerOutcome = "failed" if error else "published"
        await self._scheduler.audit(ScheduleTrigger(existing.id, run_id, now, now, outcome, "manual", error=error))
        if error:
            raise ScheduleError(f"Schedule {existing.id!r}: run {run_id!r} could not start: {error}", "run")
        return run_id

    async def triggers(
        self,
        id: str,
        *,
        page: int | None = None,
        per_page: int | None = None,
        from_fire_at: int | None = None,
        to_fire_at: int | None = None,
    ) -> TriggerPage:
        """The schedule's audit trail, newest first; `page` (0-based) with `per_page` paginates."""
        existing = await self._load(id)
        rows, total = await self._host.storage.list_triggers(
            existing.id, from_fire_at=from_fire_at, to_fire_at=to_fire_at, page=page, per_page=per_page
        )
        return TriggerPage(rows, total, page, per_page)
