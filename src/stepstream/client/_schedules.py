"""The client's schedule calls (Mastra's `/api/schedules` routes), returning the same
`Schedule` and `TriggerPage` types as the local `app.schedules`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..schedules import Schedule, TriggerPage
from ._http import Transport, raise_for, segment

_FIELDS = {
    "cron": "cron",
    "timezone": "timezone",
    "input_data": "inputData",
    "initial_state": "initialState",
    "request_context": "requestContext",
    "resource_id": "resourceId",
    "metadata": "metadata",
    "status": "status",
    "catch_up": "catchUp",
}


def _body(**fields: Any) -> dict[str, Any]:
    return {_FIELDS[k]: v for k, v in fields.items() if v is not None}


class ScheduleCalls:
    """`Client`'s schedule methods; errors arrive as `ScheduleError` / `ScheduleNotFoundError`."""

    _t: Transport

    def _one(self, schedule_id: str, tail: str = "") -> str:
        return f"/api/schedules/{segment(schedule_id)}{tail}"

    async def list_schedules(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        """The server's schedules, oldest first (optionally one workflow's, or one status)."""
        data = await self._t.json("GET", "/api/schedules", params={"workflowId": workflow_id, "status": status})
        return [Schedule.from_dict(s) for s in data["schedules"]]

    async def get_schedule(self, schedule_id: str) -> Schedule | None:
        """The schedule, or None when the server has no schedule with that id."""
        response = await self._t.http.get(self._one(schedule_id))
        if response.status_code == 404:
            return None
        return Schedule.from_dict(await self._checked(response))

    @staticmethod
    async def _checked(response: httpx.Response) -> Any:
        raise_for(response)
        return response.json()

    async def create_schedule(
        self,
        *,
        workflow_id: str,
        cron: str,
        id: str | None = None,
        timezone: str | None = None,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        resource_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: str | None = None,
        catch_up: str | None = None,
    ) -> Schedule:
        """Creates a schedule on the server (as `app.schedules.create`)."""
        body = _body(
            timezone=timezone, input_data=input_data, initial_state=initial_state, request_context=request_context,
            resource_id=resource_id, metadata=metadata, status=status, catch_up=catch_up, cron=cron,
        )  # fmt: skip
        body.update({"workflowId": workflow_id, **({"id": id} if id is not None else {})})
        return Schedule.from_dict(await self._t.json("POST", "/api/schedules", body=body))

    async def update_schedule(
        self,
        schedule_id: str,
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
        """Changes the given fields (None leaves a field as it is), as `app.schedules.update`."""
        body = _body(
            cron=cron, timezone=timezone, input_data=input_data, initial_state=initial_state, request_context=request_context,
            resource_id=resource_id, metadata=metadata, status=status, catch_up=catch_up,
        )  # fmt: skip
        return Schedule.from_dict(await self._t.json("PATCH", self._one(schedule_id), body=body))

    async def delete_schedule(self, schedule_id: str) -> bool:
        """Deletes the schedule and its audit trail; False when there was none."""
        response = await self._t.http.delete(self._one(schedule_id))
        if response.status_code == 404:
            return False
        await self._checked(response)
        return True

    async def pause_schedule(self, schedule_id: str) -> Schedule:
        """Stops the schedule firing (`run_schedule` still fires it)."""
        return Schedule.from_dict(await self._t.json("POST", self._one(schedule_id, "/pause")))

    async def resume_schedule(self, schedule_id: str) -> Schedule:
        """Fires a paused schedule again, from its next slot after now."""
        return Schedule.from_dict(await self._t.json("POST", self._one(schedule_id, "/resume")))

    async def run_schedule(self, schedule_id: str) -> str:
        """Fires the schedule now, even paused, on the server: the new run's id."""
        data = await self._t.json("POST", self._one(schedule_id, "/run"))
        return str(data["claimId"])

    async def schedule_triggers(
        self,
        schedule_id: str,
        *,
        page: int | None = None,
        per_page: int | None = None,
        from_fire_at: int | None = None,
        to_fire_at: int | None = None,
    ) -> TriggerPage:
        """The schedule's audit trail, newest first; `page` (0-based) with `per_page` paginates."""
        params = {"page": page if per_page is not None else None, "perPage": per_page}
        params.update(fromActualFireAt=from_fire_at, toActualFireAt=to_fire_at)
        return TriggerPage.from_dict(await self._t.json("GET", self._one(schedule_id, "/triggers"), params=params))
