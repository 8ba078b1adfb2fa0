"""`Client`, `RemoteWorkflow` and `RemoteRun`: the local API, served by a stepstream (or Mastra) server.

Every call is one request to Mastra's routes; results and events come back as the same
`WorkflowResult` and `WorkflowEvent` types, and errors as the same exception classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from ..errors import RunNotFoundError
from ..results import StepResult, WorkflowResult
from ..run_query import RunQuery
from ._http import Transport, segment
from ._schedules import ScheduleCalls
from ._stream import RemoteStream

StepRef = str | Sequence[str]


def _step(step: StepRef | None) -> str | list[str] | None:
    return step if step is None or isinstance(step, str) else list(step)


def result_from_state(data: Mapping[str, Any], workflow_id: str) -> WorkflowResult:
    """A `WorkflowResult` from a stored run's state (`GET .../runs/:runId`)."""
    steps = {k: StepResult.from_dict(v) for k, v in (data.get("steps") or {}).items()}
    suspended = [k.split(".") for k, v in steps.items() if v.status == "suspended"]
    top = {k: v for k, v in steps.items() if "." not in k}
    return WorkflowResult(
        data["status"],
        run_id=data["runId"],
        workflow_id=workflow_id,
        steps=top,
        input=data.get("payload"),
        result=data.get("result") if data["status"] == "success" else None,
        error=data.get("error"),
        suspended=suspended,
        suspend_payload={p[0]: steps[".".join(p)].suspend_payload for p in suspended},
        state=data.get("initialState"),
        step_execution_path=list(top),
        resume_labels=data.get("resumeLabels"),
    )


class RemoteRun:
    """One run on the server, with the local `Run` verbs."""

    def __init__(self, transport: Transport, workflow_id: str, run_id: str):
        self._t = transport
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.status = "pending"
        self._base = f"/api/workflows/{segment(workflow_id)}"

    def __repr__(self) -> str:
        return f"<RemoteRun {self.run_id!r} of {self.workflow_id!r}>"

    async def _result(self, route: str, body: dict[str, Any]) -> WorkflowResult:
        data = await self._t.json("POST", f"{self._base}/{route}", params={"runId": self.run_id}, body=body)
        result = WorkflowResult.from_dict(data, self.workflow_id)
        self.status = result.status
        return result

    async def fetch_result(self) -> WorkflowResult:
        """The run's result as stored on the server now."""
        response = await self._t.http.get(f"{self._base}/runs/{segment(self.run_id)}")
        if response.status_code == 404:
            raise RunNotFoundError(f"Workflow run {self.run_id!r} of workflow {self.workflow_id!r} not found")
        response.raise_for_status()
        result = result_from_state(response.json(), self.workflow_id)
        self.status = result.status
        return result

    def _stream(self, route: str, body: dict[str, Any] | None, *, observe: int | None = None) -> RemoteStream:
        async def open_stream(offset: int) -> httpx.Response:
            params: dict[str, Any] = {"runId": self.run_id}
            if observe is not None:
                params["offset"] = offset
            request = self._t.http.build_request("POST", f"{self._base}/{route}", params=params, json=body)
            return await self._t.http.send(request, stream=True)

        return RemoteStream(self.run_id, open_stream, self.fetch_result, offset=observe)

    # -- start ----------------------------------------------------------------------------
    async def start(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Runs the workflow on the server and returns its result."""
        return await self._result("start-async", _start_body(input_data, initial_state, request_context, tracing_options, per_step))

    def stream(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
        per_step: bool = False,
    ) -> RemoteStream:
        """Starts the run; its events as they happen."""
        body = _start_body(input_data, initial_state, request_context, tracing_options, per_step)
        body["closeOnSuspend"] = close_on_suspend
        return self._stream("stream", body)

    async def start_async(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
    ) -> str:
        """Starts the run on the server and returns its id at once."""
        await self._t.json(
            "POST",
            f"{self._base}/start",
            params={"runId": self.run_id},
            body=_start_body(input_data, initial_state, request_context, tracing_options),
        )
        self.status = "running"
        return self.run_id

    # -- resume ---------------------------------------------------------------------------
    async def resume(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Resumes the suspended run and returns its result."""
        return await self._result(
            "resume-async", _resume_body(resume_data, step, label, for_each_index, request_context, tracing_options, per_step)
        )

    def resume_stream(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> RemoteStream:
        """Resumes the suspended run; its events as they happen."""
        return self._stream(
            "resume-stream", _resume_body(resume_data, step, label, for_each_index, request_context, tracing_options, per_step)
        )

    async def resume_async(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
    ) -> str:
        """Claims the resume on the server (refusals raise here) without waiting for the run."""
        body = _resume_body(resume_data, step, label, for_each_index, request_context, tracing_options)
        data = await self._t.json("POST", f"{self._base}/resume-no-wait", params={"runId": self.run_id}, body=body)
        self.status = "running"
        return str(data.get("runId", self.run_id))

    def observe_stream(self, offset: int = 0) -> RemoteStream:
        """The run's events from `offset` on, then live ones, until it settles; reconnects by
        itself with the next offset if the connection drops."""
        return self._stream("observe", None, observe=offset)

    # -- the rest -------------------------------------------------------------------------
    async def cancel(self) -> None:
        """Cancels the run on the server."""
        await self._t.json("POST", f"{self._base}/runs/{segment(self.run_id)}/cancel")
        self.status = "canceled"

    async def restart(self, tracing_options: Mapping[str, Any] | None = None) -> WorkflowResult:
        """Continues a run left running by a crash (a finished run gives its stored result)."""
        return await self._result("restart-async", _clean({"tracingOptions": tracing_options}))

    async def time_travel(self, step: StepRef, input_data: Any = None, resume_data: Any = None, **options: Any) -> WorkflowResult:
        """Re-runs the run from `step` on the server."""
        return await self._result("time-travel-async", _time_travel_body(step, input_data, resume_data, options))

    def time_travel_stream(self, step: StepRef, input_data: Any = None, resume_data: Any = None, **options: Any) -> RemoteStream:
        """`time_travel`, streaming its events."""
        return self._stream("time-travel-stream", _time_travel_body(step, input_data, resume_data, options))


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _start_body(
    input_data: Any,
    initial_state: Any,
    request_context: Mapping[str, Any] | None,
    tracing_options: Mapping[str, Any] | None,
    per_step: bool = False,
) -> dict[str, Any]:
    body = {
        "inputData": input_data,
        "initialState": initial_state,
        "requestContext": dict(request_context) if request_context is not None else None,
        "tracingOptions": dict(tracing_options) if tracing_options is not None else None,
    }
    return {**_clean(body), "perStep": per_step} if per_step else _clean(body)


def _resume_body(
    resume_data: Any,
    step: StepRef | None,
    label: str | None,
    for_each_index: int | None,
    request_context: Mapping[str, Any] | None,
    tracing_options: Mapping[str, Any] | None,
    per_step: bool = False,
) -> dict[str, Any]:
    body = {
        "resumeData": resume_data,
        "step": _step(step),
        "label": label,
        "forEachIndex": for_each_index,
        "requestContext": dict(request_context) if request_context is not None else None,
        "tracingOptions": dict(tracing_options) if tracing_options is not None else None,
    }
    return {**_clean(body), "perStep": per_step} if per_step else _clean(body)


_TIME_TRAVEL_KEYS = {
    "initial_state": "initialState",
    "context": "context",
    "request_context": "requestContext",
    "tracing_options": "tracingOptions",
}


def _time_travel_body(step: StepRef, input_data: Any, resume_data: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(_TIME_TRAVEL_KEYS)
    if unknown:
        raise TypeError(f"time_travel got unexpected keyword arguments {sorted(unknown)}")
    body = {"step": _step(step), "inputData": input_data, "resumeData": resume_data}
    body.update({_TIME_TRAVEL_KEYS[k]: v for k, v in options.items()})
    return _clean(body)


class RemoteWorkflow:
    """A workflow on the server: create, list, get and delete its runs."""

    def __init__(self, transport: Transport, workflow_id: str):
        self._t = transport
        self.id = workflow_id
        self._base = f"/api/workflows/{segment(workflow_id)}"

    def __repr__(self) -> str:
        return f"<RemoteWorkflow {self.id!r}>"

    async def details(self) -> dict[str, Any]:
        """Mastra's WorkflowInfo: steps, graph, schemas (as JSON Schema strings)."""
        data: dict[str, Any] = await self._t.json("GET", self._base)
        return data

    async def create_run(self, run_id: str | None = None, *, resource_id: str | None = None) -> RemoteRun:
        """A run of this workflow; an existing `run_id` gives that run."""
        data = await self._t.json("POST", f"{self._base}/create-run", params={"runId": run_id}, body=_clean({"resourceId": resource_id}))
        return RemoteRun(self._t, self.id, str(data["runId"]))

    async def list_runs(
        self,
        query: RunQuery | None = None,
        /,
        *,
        status: str | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        resource_id: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> dict[str, Any]:
        """`{"runs": [...], "total": n}`, newest first: the keyword filters, or one `RunQuery`."""
        filters = RunQuery(status=status, from_date=from_date, to_date=to_date, resource_id=resource_id, page=page, per_page=per_page)
        if query is not None and filters != RunQuery():
            raise ValueError(f"list_runs() of workflow {self.id!r}: give a RunQuery or keyword filters, not both")
        params = (query or filters).to_api_params()
        data: dict[str, Any] = await self._t.json("GET", f"{self._base}/runs", params=params)
        return data

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The stored run (Mastra's WorkflowState JSON), or None."""
        try:
            data: dict[str, Any] = await self._t.json("GET", f"{self._base}/runs/{segment(run_id)}")
        except RunNotFoundError:
            return None
        return data

    async def delete_run(self, run_id: str) -> bool:
        """Deletes a stored run; False if there was none."""
        try:
            await self._t.json("DELETE", f"{self._base}/runs/{segment(run_id)}")
        except RunNotFoundError:
            return False
        return True


class Client(ScheduleCalls):
    """A client of a server speaking Mastra's workflow API: `Client("http://127.0.0.1:4111", token=...)`.

    Workflows through `get_workflow`; schedules through `list_schedules`, `get_schedule`,
    `create_schedule`, ... (the same `Schedule` and `TriggerPage` types as `app.schedules`).

    Use it as an async context manager, or call `await client.close()`.
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 60.0, http: httpx.AsyncClient | None = None):
        self._t = Transport(base_url, token, timeout, http)
        self.base_url = base_url

    async def list_workflows(self) -> dict[str, dict[str, Any]]:
        """Every workflow the server has, by id (Mastra's WorkflowInfo)."""
        data: dict[str, dict[str, Any]] = await self._t.json("GET", "/api/workflows")
        return data

    def get_workflow(self, workflow_id: str) -> RemoteWorkflow:
        """The server's workflow with this id (no request is made until it is used)."""
        return RemoteWorkflow(self._t, workflow_id)

    async def close(self) -> None:
        await self._t.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<Client {self.base_url!r}>"
