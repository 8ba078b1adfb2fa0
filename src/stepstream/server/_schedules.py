"""Mastra's schedule routes (`/api/schedules...`), over `app.schedules`.

Bodies as Mastra's clients send them (camelCase; snake_case accepted too);
answers are Mastra's JSON: the flat `WorkflowSchedule` view, `{"schedules": [...]}`,
`{"triggers": [...]}` (newest first) and `{scheduleId, claimId, scheduledFireAt}`
for a manual run.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..errors import ScheduleNotFoundError
from ..schedules import Schedule
from ._api import MAX_QUERY_INT, ApiRoute, Call, JSONResponse, Param, bad_body, bad_query, snake_case

S = "/api/schedules"
#: The latest fire time a trigger listing may name: JavaScript's largest safe integer (epoch ms).
MAX_EPOCH_MS = 2**53 - 1
ONE = S + "/{schedule_id}"

_CREATE_FIELDS: dict[str, type] = {
    "id": str,
    "workflowId": str,
    "cron": str,
    "timezone": str,
    "requestContext": dict,
    "resourceId": str,
    "metadata": dict,
    "status": str,
    "catchUp": str,
}
_UPDATE_FIELDS = {k: v for k, v in _CREATE_FIELDS.items() if k not in ("id", "workflowId")}
_ANY_FIELDS = ("inputData", "initialState")


def _args(call: Call, fields: dict[str, type]) -> dict[str, Any]:
    known = set(fields) | set(_ANY_FIELDS)
    unknown = sorted(k for k in call.body if k not in known and k not in {snake_case(f) for f in known})
    if unknown:
        raise bad_body(unknown[0], f"Unknown field; expected some of {sorted(known)}")
    out = {snake_case(name): call.field(name, kind) for name, kind in fields.items()}
    out.update({snake_case(name): call.field(name) for name in _ANY_FIELDS})
    return {k: v for k, v in out.items() if v is not None}


async def _found(call: Call) -> Schedule:
    schedule_id = call.path("schedule_id")
    found = await call.app.schedules.get(schedule_id)
    if found is None:
        raise ScheduleNotFoundError(f"Schedule {schedule_id!r} not found", "id")
    return found


async def list_schedules(call: Call) -> Response:
    status = call.query("status")
    if status is not None and status not in ("active", "paused"):
        raise bad_query("status", f"Expected 'active' or 'paused', got {status!r}")
    rows = await call.app.schedules.list(workflow_id=call.query("workflowId"), status=status)
    return JSONResponse({"schedules": [s.to_dict() for s in rows]})


async def create_schedule(call: Call) -> Response:
    args = _args(call, _CREATE_FIELDS)
    for required in ("workflow_id", "cron"):
        if required not in args:
            raise bad_body("workflowId" if required == "workflow_id" else "cron", "Required")
    schedule = await call.app.schedules.create(**args)
    return JSONResponse(schedule.to_dict())


async def get_schedule(call: Call) -> Response:
    return JSONResponse((await _found(call)).to_dict())


async def update_schedule(call: Call) -> Response:
    schedule = await call.app.schedules.update(call.path("schedule_id"), **_args(call, _UPDATE_FIELDS))
    return JSONResponse(schedule.to_dict())


async def delete_schedule(call: Call) -> Response:
    schedule = await _found(call)
    await call.app.schedules.delete(schedule.id)
    return JSONResponse({"message": f"Schedule {schedule.id} deleted"})


async def pause_schedule(call: Call) -> Response:
    return JSONResponse((await call.app.schedules.pause(call.path("schedule_id"))).to_dict())


async def resume_schedule(call: Call) -> Response:
    return JSONResponse((await call.app.schedules.resume(call.path("schedule_id"))).to_dict())


async def run_schedule(call: Call) -> Response:
    schedule = await _found(call)
    run_id = await call.app.schedules.run(schedule.id)
    fired_at = int(run_id.rsplit("_", 1)[1])
    return JSONResponse({"scheduleId": schedule.id, "claimId": run_id, "scheduledFireAt": fired_at})


async def list_triggers(call: Call) -> Response:
    limit = call.int_query("limit", minimum=1)
    page = call.int_query("page")
    per_page = call.int_query("perPage", minimum=1)
    if limit is not None:
        page, per_page = 0, limit
    result = await call.app.schedules.triggers(
        call.path("schedule_id"),
        page=page if per_page is not None else None,
        per_page=per_page,
        from_fire_at=call.int_query("fromActualFireAt", maximum=MAX_EPOCH_MS),
        to_fire_at=call.int_query("toActualFireAt", maximum=MAX_EPOCH_MS),
    )
    return JSONResponse(result.to_dict())


_STATUS = Param("status", {"type": "string", "enum": ["active", "paused"]}, description="Only schedules with this status")
_TRIGGER_QUERY = (
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT}, description="At most this many rows (Mastra's client)"),
    Param("page", {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}, description="0-based page (with perPage)"),
    Param("perPage", {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT}),
    Param("fromActualFireAt", {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS}, description="Epoch ms, inclusive"),
    Param("toActualFireAt", {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS}, description="Epoch ms, exclusive"),
)


_FIELDS: dict[str, Any] = {
    "cron": {"type": "string", "description": "5, 6 (seconds first) or 7 (year last) fields"},
    "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Paris"},
    "inputData": {},
    "initialState": {},
    "requestContext": {"type": "object"},
    "resourceId": {"type": "string"},
    "metadata": {"type": "object"},
    "status": {"type": "string", "enum": ["active", "paused"]},
    "catchUp": {"type": "string", "enum": ["skip", "latest"]},
}
_CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["workflowId", "cron"],
    "properties": {"id": {"type": "string"}, "workflowId": {"type": "string"}, **_FIELDS},
}
_UPDATE_BODY: dict[str, Any] = {"type": "object", "properties": _FIELDS}


def schedule_routes() -> list[ApiRoute]:
    """The `/api/schedules` routes."""
    return [
        ApiRoute(
            "GET",
            S,
            list_schedules,
            "Schedules, oldest first",
            tag="schedules",
            query=(Param("workflowId", {"type": "string"}), _STATUS),
            errors=(400,),
        ),
        ApiRoute("POST", S, create_schedule, "Create a schedule", tag="schedules", body=_CREATE_BODY, errors=(400, 404, 409)),
        ApiRoute("GET", ONE, get_schedule, "A schedule", tag="schedules", errors=(404,)),
        ApiRoute("PATCH", ONE, update_schedule, "Change a schedule", tag="schedules", body=_UPDATE_BODY, errors=(400, 404)),
        ApiRoute("DELETE", ONE, delete_schedule, "Delete a schedule and its audit trail", tag="schedules", errors=(404,)),
        ApiRoute(
            "GET",
            ONE + "/triggers",
            list_triggers,
            "A schedule's audit trail, newest first",
            tag="schedules",
            query=_TRIGGER_QUERY,
            errors=(400, 404),
        ),
        ApiRoute("POST", ONE + "/pause", pause_schedule, "Stop a schedule firing", tag="schedules", errors=(404,)),
        ApiRoute(
            "POST", ONE + "/resume", resume_schedule, "Fire a paused schedule again from its next slot", tag="schedules", errors=(404,)
        ),
        ApiRoute("POST", ONE + "/run", run_schedule, "Fire a schedule now (even paused)", tag="schedules", errors=(404, 409)),
    ]
