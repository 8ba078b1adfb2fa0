"""Mastra's workflow routes (`/api/workflows/...`), over a `Stepstream` app.

Bodies come as Mastra's clients send them (camelCase; snake_case is accepted
too); answers are Mastra's JSON. Run routes look the run up under the workflow
in the path (a run of another workflow is not found) and, when the app binds
callers to a resource id, under that resource too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response

from .. import Run, RunQuery, WorkflowStream
from .._schema import schema_for
from ..errors import RunNotFoundError
from ..results import WorkflowState
from ..workflow.builder import Workflow
from ._api import MAX_QUERY_INT, ApiError, ApiRoute, Call, JSONResponse, Param, bad_body
from ._describe import describe, describe_partial
from ._openapi import CREATE_BODY, RESTART_BODY, RESULT, RESUME_BODY, RUN_STATE, START_BODY, TIME_TRAVEL_BODY
from ._streaming import OFFSETS_HEADER, stream_response

_background: set[asyncio.Future[Any]] = set()


def _workflow(call: Call) -> Workflow:
    return call.app.get_workflow(call.path("workflow_id"))


async def _stored(call: Call, wf: Workflow, run_id: str) -> WorkflowState:
    """The stored run (Mastra's WorkflowState), or 404 when it is not this workflow's or this caller's."""
    fields = [f for f in (call.query("fields") or "").split(",") if f]
    state = await wf.get_run(run_id, with_nested_workflows=call.query("withNestedWorkflows") != "false", fields=fields or None)
    bound = call.resource_id()
    if state is None or (bound is not None and state.resource_id != bound):
        raise RunNotFoundError(f"Workflow run {run_id!r} of workflow {wf.id!r} not found")
    return state


async def _existing_run(call: Call, wf: Workflow, run_id: str) -> Run:
    await _stored(call, wf, run_id)
    return await wf.create_run(run_id)


async def _run_for_start(call: Call, wf: Workflow, run_id: str) -> Run:
    """The run to start: created on the fly when the id is new (as Mastra does)."""
    bound = call.resource_id()
    resource = bound if bound is not None else call.field("resourceId", str)
    run = await wf.create_run(run_id, resource_id=resource)
    if bound is not None and run.resource_id != bound:
        raise RunNotFoundError(f"Workflow run {run_id!r} of workflow {wf.id!r} not found")
    return run


def _run_options(call: Call) -> dict[str, Any]:
    """`perStep` and `outputOptions` of an execution call."""
    return {"per_step": bool(call.field("perStep", bool)), "output_options": call.field("outputOptions", dict)}


def _without_run_options(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k not in ("per_step", "output_options")}


def _start_args(call: Call) -> dict[str, Any]:
    return {
        "input_data": call.field("inputData"),
        "initial_state": call.field("initialState"),
        "request_context": call.field("requestContext", dict),
        "tracing_options": call.field("tracingOptions", dict),
        **_run_options(call),
    }


def _step_field(call: Call) -> str | list[str] | None:
    step = call.field("step", (str, list))
    if isinstance(step, list) and not all(isinstance(s, str) for s in step):
        raise bad_body("step", "Expected a step id or a list of step ids")
    checked: str | list[str] | None = step
    return checked


def _resume_args(call: Call) -> dict[str, Any]:
    return {
        "resume_data": call.field("resumeData"),
        "step": _step_field(call),
        "label": call.field("label", str),
        "for_each_index": call.field("forEachIndex", int),
        "request_context": call.field("requestContext", dict),
        "tracing_options": call.field("tracingOptions", dict),
        **_run_options(call),
    }


def _close_on_suspend(call: Call) -> bool:
    value = call.field("closeOnSuspend", bool)
    return True if value is None else bool(value)


async def _in_background(stream: WorkflowStream) -> None:
    """Waits for the run's first event (so a refused call still raises here), then lets it run."""
    events = stream.__aiter__()
    try:
        await events.__anext__()
    except StopAsyncIteration:
        return
    _keep(asyncio.ensure_future(_drain(events)))


def _keep(future: asyncio.Future[Any]) -> None:
    """Holds a reference to a background task until it ends (the loop keeps only weak ones)."""
    _background.add(future)
    future.add_done_callback(_background.discard)


async def _drain(events: AsyncIterator[Any]) -> None:
    async for _ in events:
        pass


def _streamed(call: Call, events: WorkflowStream, wf: Workflow, *, refusable: bool = True) -> Response:
    """A stream route's answer; with each event's log offset if the client asked for them."""
    return stream_response(events, wf.id, refusable=refusable, offsets=OFFSETS_HEADER in call.request.headers)


# -- handlers ------------------------------------------------------------------------------
async def list_workflows(call: Call) -> Response:
    partial = call.query("partial") == "true"
    seen: dict[str, Any] = {}
    for key, wf in call.app.workflows.items():
        seen[key] = describe_partial(wf) if partial else describe(wf)
    return JSONResponse(seen)


async def run_counts(call: Call) -> Response:
    out: dict[str, dict[str, int]] = {}
    bound = call.resource_id()
    for key, wf in call.app.workflows.items():
        counts = {}
        for status in ("running", "suspended"):
            listed = await wf.list_runs(status=status, per_page=1, resource_id=bound)
            counts[status] = int(listed["total"])
        out[key] = counts
    return JSONResponse(out)


async def workflow_details(call: Call) -> Response:
    return JSONResponse(describe(_workflow(call)))


async def list_runs(call: Call) -> Response:
    wf = _workflow(call)
    bound = call.resource_id()
    params = {
        "perPage": call.int_query("perPage", 1) or call.int_query("limit", 1),
        "page": call.int_query("page"),
        "offset": call.int_query("offset"),
        "status": call.query("status"),
        "fromDate": call.date_query("fromDate"),
        "toDate": call.date_query("toDate"),
        "resourceId": bound if bound is not None else call.query("resourceId"),
    }
    listed = await wf.list_runs(RunQuery.from_api_params(wf.id, params))
    for run in listed["runs"]:
        # Mastra lists each run with its whole snapshot; Studio reads the status from it. The
        # listing carries the status only (GET .../runs/:runId has the whole state).
        run.setdefault("snapshot", {"runId": run["runId"], "status": run["status"]})
    return JSONResponse(listed)


async def get_run(call: Call) -> Response:
    wf = _workflow(call)
    state = await _stored(call, wf, call.path("run_id"))
    return JSONResponse(state.to_dict())


async def delete_run(call: Call) -> Response:
    wf = _workflow(call)
    run_id = call.path("run_id")
    await _stored(call, wf, run_id)
    await wf.delete_run(run_id)
    return JSONResponse({"message": "Workflow run deleted"})


async def create_run(call: Call) -> Response:
    wf = _workflow(call)
    run_id = call.query("runId") or None
    if run_id is not None:
        run = await _run_for_start(call, wf, run_id)  # an existing id is a no-op
    else:
        bound = call.resource_id()
        run = await wf.create_run(resource_id=bound if bound is not None else call.field("resourceId", str))
    return JSONResponse({"runId": run.run_id})


async def stream(call: Call) -> Response:
    wf = _workflow(call)
    run_id = call.required_query("runId")
    args = _start_args(call)
    close_on_suspend = _close_on_suspend(call)
    run = await _run_for_start(call, wf, run_id)
    events = run.stream(**args, close_on_suspend=close_on_suspend)
    return _streamed(call, events, wf)


async def start_async(call: Call) -> Response:
    wf = _workflow(call)
    run_id = call.query("runId")
    args = _start_args(call)
    if not run_id and wf.validate_inputs:
        # A run the server names itself is not kept when its input is refused (Mastra stores a stray
        # `pending` run per call); the same check the engine makes, made before the run exists.
        schema_for(wf.input_schema).validate(args["input_data"], "Invalid input data")
    run = await _run_for_start(call, wf, run_id) if run_id else await wf.create_run(resource_id=call.resource_id())
    result = await run.start(**args)
    return JSONResponse(result.to_dict())


async def start(call: Call) -> Response:
    wf = _workflow(call)
    run_id = call.required_query("runId")
    args = _start_args(call)
    run = await _run_for_start(call, wf, run_id)
    if args["per_step"] or args["output_options"]:  # options start_async does not take
        await _in_background(run.stream(**args))
    else:
        await run.start_async(**_without_run_options(args))
    return JSONResponse({"message": "Workflow run started"})


async def resume_stream(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    return _streamed(call, run.resume_stream(**_resume_args(call), close_on_suspend=_close_on_suspend(call)), wf)


async def resume_async(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    result = await run.resume(**_resume_args(call))
    return JSONResponse(result.to_dict())


async def resume(call: Call) -> Response:
    await _resume_without_waiting(call)
    return JSONResponse({"message": "Workflow run resumed"})


async def resume_no_wait(call: Call) -> Response:
    return JSONResponse({"runId": await _resume_without_waiting(call)})


async def _resume_without_waiting(call: Call) -> str:
    """Claims the resume (a refusal answers its error) and lets the run go on in the background."""
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    args = _resume_args(call)
    if args["per_step"] or args["output_options"]:  # options resume_async does not take
        await _in_background(run.resume_stream(**args))
        return run.run_id
    return await run.resume_async(**_without_run_options(args))


async def observe(call: Call) -> Response:
    wf = _workflow(call)
    run_id = call.required_query("runId")
    offset = call.int_query("offset") or 0
    run = await _existing_run(call, wf, run_id)
    if not wf.storage.keeps_events:
        raise ApiError(501, f"Runs cannot be observed: the server's storage {type(wf.storage).__name__} keeps no event log")
    return _streamed(call, run.observe_stream(offset=offset), wf, refusable=False)


async def cancel(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.path("run_id"))
    await run.cancel()
    return JSONResponse({"message": "Workflow run cancelled"})


def _time_travel_args(call: Call) -> dict[str, Any]:
    step = _step_field(call)
    if step is None:
        raise bad_body("step", "Required")
    return {
        "step": step,
        "input_data": call.field("inputData"),
        "resume_data": call.field("resumeData"),
        "initial_state": call.field("initialState"),
        "context": call.field("context", dict),
        "nested_steps_context": call.field("nestedStepsContext", dict),
        "request_context": call.field("requestContext", dict),
        "tracing_options": call.field("tracingOptions", dict),
        **_run_options(call),
    }


async def time_travel_async(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    result = await run.time_travel(**_time_travel_args(call))
    return JSONResponse(result.to_dict())


async def time_travel_stream(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    return _streamed(call, run.time_travel_stream(**_time_travel_args(call)), wf)


async def time_travel(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    await _in_background(run.time_travel_stream(**_time_travel_args(call)))
    return JSONResponse({"message": "Workflow run time travel started"})


async def restart_async(call: Call) -> Response:
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    result = await run.restart(tracing_options=call.field("tracingOptions", dict), request_context=call.field("requestContext", dict))
    return JSONResponse(result.to_dict())


async def restart(call: Call) -> Response:
    """Claims the restart (a refusal answers its error, as `restart-async` does), then lets the
    run go on in the background; a finished run is left as it is."""
    wf = _workflow(call)
    run = await _existing_run(call, wf, call.required_query("runId"))
    await run.restart_async(tracing_options=call.field("tracingOptions", dict), request_context=call.field("requestContext", dict))
    return JSONResponse({"message": "Workflow run restarted"})


async def restart_all_async(call: Call) -> Response:
    _workflow(call)
    await call.app.restart_active_runs()
    return JSONResponse({"message": "All active workflow runs restarted"})


async def restart_all(call: Call) -> Response:
    _workflow(call)
    _keep(asyncio.ensure_future(call.app.restart_active_runs()))
    return JSONResponse({"message": "All active workflow runs restarted"})


# -- the table -----------------------------------------------------------------------------
W = "/api/workflows/{workflow_id}"
RUN_ID = Param("runId", {"type": "string"}, description="The run's id")
RUN_ID_REQUIRED = Param("runId", {"type": "string", "minLength": 1}, required=True, description="The run's id")
RUN_ERRORS = (400, 404, 409)
_MESSAGE = {"type": "object", "properties": {"message": {"type": "string"}}}


def workflow_routes() -> list[ApiRoute]:
    """Every workflow route of Mastra's server."""
    return [*_reading_routes(), *_start_routes(), *_resume_routes(), *_follow_and_rerun_routes(), *_restart_routes()]


def _reading_routes() -> list[ApiRoute]:
    """The workflows, their runs and one run's stored state."""
    runs_query = (
        Param("page", {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}),
        Param("perPage", {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT}),
        Param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT}),
        Param("fromDate", {"type": "string", "format": "date-time"}),
        Param("toDate", {"type": "string", "format": "date-time"}),
        Param("resourceId", {"type": "string"}),
        Param("status", {"type": "string"}),
    )
    return [
        ApiRoute(
            "GET",
            "/api/workflows",
            list_workflows,
            "List the workflows",
            query=(Param("partial", {"type": "string", "enum": ["true", "false"]}),),
        ),
        ApiRoute("GET", "/api/workflows/run-counts", run_counts, "Running and suspended runs per workflow"),
        ApiRoute("GET", W, workflow_details, "A workflow's steps, graph and schemas", errors=(404,)),
        ApiRoute("GET", W + "/runs", list_runs, "A workflow's runs, newest first", query=runs_query, errors=(400, 404)),
        ApiRoute(
            "GET",
            W + "/runs/{run_id}",
            get_run,
            "One run's stored state",
            query=(Param("fields", {"type": "string"}), Param("withNestedWorkflows", {"type": "string", "enum": ["true", "false"]})),
            answer=RUN_STATE,
            errors=(404,),
        ),
        ApiRoute("DELETE", W + "/runs/{run_id}", delete_run, "Delete a run", answer=_MESSAGE, errors=(404,)),
    ]


def _start_routes() -> list[ApiRoute]:
    """Creating and starting runs."""
    return [
        ApiRoute(
            "POST",
            W + "/create-run",
            create_run,
            "Create a run (an existing runId is a no-op)",
            query=(RUN_ID,),
            body=CREATE_BODY,
            errors=(400, 404),
        ),
        ApiRoute(
            "POST",
            W + "/stream",
            stream,
            "Start a run, streaming its events",
            query=(RUN_ID_REQUIRED,),
            body=START_BODY,
            stream=True,
            errors=(400, 404),
        ),
        ApiRoute(
            "POST",
            W + "/start-async",
            start_async,
            "Start a run and wait for its result",
            query=(RUN_ID,),
            body=START_BODY,
            answer=RESULT,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/start",
            start,
            "Start a run without waiting",
            query=(RUN_ID_REQUIRED,),
            body=START_BODY,
            answer=_MESSAGE,
            errors=RUN_ERRORS,
        ),
    ]


def _resume_routes() -> list[ApiRoute]:
    """Resuming suspended runs."""
    return [
        ApiRoute(
            "POST",
            W + "/resume-stream",
            resume_stream,
            "Resume a suspended run, streaming its events",
            query=(RUN_ID_REQUIRED,),
            body=RESUME_BODY,
            stream=True,
            errors=(400, 404),
        ),
        ApiRoute(
            "POST",
            W + "/resume-async",
            resume_async,
            "Resume a suspended run and wait for its result",
            query=(RUN_ID_REQUIRED,),
            body=RESUME_BODY,
            answer=RESULT,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/resume",
            resume,
            "Resume a suspended run without waiting",
            query=(RUN_ID_REQUIRED,),
            body=RESUME_BODY,
            answer=_MESSAGE,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/resume-no-wait",
            resume_no_wait,
            "Resume without waiting; answers the runId",
            query=(RUN_ID_REQUIRED,),
            body=RESUME_BODY,
            errors=RUN_ERRORS,
        ),
    ]


def _follow_and_rerun_routes() -> list[ApiRoute]:
    """Following and canceling a run, and time travel."""
    return [
        ApiRoute(
            "POST",
            W + "/observe",
            observe,
            "A run's events from an offset (0-based), then live ones, until it settles",
            query=(
                RUN_ID_REQUIRED,
                Param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}, description="The first event to send"),
            ),
            stream=True,
            errors=(400, 404, 501),
        ),
        ApiRoute("POST", W + "/runs/{run_id}/cancel", cancel, "Cancel a run", answer=_MESSAGE, errors=(404,)),
        ApiRoute(
            "POST",
            W + "/time-travel",
            time_travel,
            "Re-run from a step without waiting",
            query=(RUN_ID_REQUIRED,),
            body=TIME_TRAVEL_BODY,
            answer=_MESSAGE,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/time-travel-async",
            time_travel_async,
            "Re-run from a step and wait",
            query=(RUN_ID_REQUIRED,),
            body=TIME_TRAVEL_BODY,
            answer=RESULT,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/time-travel-stream",
            time_travel_stream,
            "Re-run from a step, streaming",
            query=(RUN_ID_REQUIRED,),
            body=TIME_TRAVEL_BODY,
            stream=True,
            errors=RUN_ERRORS,
        ),
    ]


def _restart_routes() -> list[ApiRoute]:
    """Continuing runs a crash interrupted."""
    return [
        ApiRoute(
            "POST",
            W + "/restart",
            restart,
            "Continue a run left running by a crash, without waiting",
            query=(RUN_ID_REQUIRED,),
            body=RESTART_BODY,
            answer=_MESSAGE,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/restart-async",
            restart_async,
            "Continue a run left running by a crash, and wait",
            query=(RUN_ID_REQUIRED,),
            body=RESTART_BODY,
            answer=RESULT,
            errors=RUN_ERRORS,
        ),
        ApiRoute(
            "POST",
            W + "/restart-all-active-workflow-runs",
            restart_all,
            "Restart this executor's interrupted runs",
            answer=_MESSAGE,
            errors=(404,),
        ),
        ApiRoute(
            "POST",
            W + "/restart-all-active-workflow-runs-async",
            restart_all_async,
            "Restart this executor's interrupted runs, and wait",
            answer=_MESSAGE,
            errors=(404,),
        ),
    ]
