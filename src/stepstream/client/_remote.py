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
from ..results import StepResult, WorkflowResult, output_flags
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
    """One run on the server, with the local `Run` verbs (the same parameters, sent as the
    server's body fields)."""

    def __init__(self, transport: Transport, workflow_id: str, run_id: str):
        self._t = transport
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.status = "pending"
        self._base = f"/api/workflows/{segment(workflow_id)}"

    def __repr__(self) -> str:
        return f"<RemoteRun {self.run_id!r} of {self.workflow_id!r}>"

    async def _result(self, route: str, body: dict[str, Any], wanted: Mapping[str, bool] | None = None) -> WorkflowResult:
        """A waiting call's result. The server is asked for the state and resume labels the local
        result always has; `to_dict()` then shows them only if the caller asked (`wanted`)."""
        full = {**body, "outputOptions": {"includeState": True, "includeResumeLabels": True}} if wanted is not None else body
        data = await self._t.json("POST", f"{self._base}/{route}", params={"runId": self.run_id}, body=full)
        result = _shown(WorkflowResult.from_dict(data, self.workflow_id), wanted)
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
            request = self._t.http.build_request("POST", f"{self._base}/{route}", params=params, json=body, headers=_OFFSETS)
            return await self._t.http.send(request, stream=True)

        wanted = (body or {}).get("outputOptions")

        async def fetch_result() -> WorkflowResult:
            return _shown(await self.fetch_result(), wanted)

        return RemoteStream(self.run_id, open_stream, fetch_result, offset=observe, observe=self.observe_stream)

    # -- start ----------------------------------------------------------------------------
    async def start(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        output_options: Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Runs the workflow on the server and returns its result."""
        body = _start_body(input_data, initial_state, request_context, tracing_options, per_step)
        return await self._result("start-async", body, _output_options(output_options))

    def stream(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
        output_options: Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> RemoteStream:
        """Starts the run; its events as they happen."""
        body = _start_body(input_data, initial_state, request_context, tracing_options, per_step, output_options)
        body["closeOnSuspend"] = close_on_suspend
        return self._stream("stream", body)

    async def start_async(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> str:
        """Starts the run on the server and returns its id at once."""
        body = _start_body(input_data, initial_state, request_context, tracing_options, per_step)
        await self._t.json("POST", f"{self._base}/start", params={"runId": self.run_id}, body=body)
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
        output_options: Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Resumes the suspended run and returns its result."""
        body = _resume_body(resume_data, step, label, for_each_index, request_context, tracing_options, per_step)
        return await self._result("resume-async", body, _output_options(output_options))

    def resume_stream(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
        output_options: Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> RemoteStream:
        """Resumes the suspended run; its events as they happen."""
        body = _resume_body(resume_data, step, label, for_each_index, request_context, tracing_options, per_step, output_options)
        body["closeOnSuspend"] = close_on_suspend
        return self._stream("resume-stream", body)

    async def resume_async(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> str:
        """Claims the resume on the server (refusals raise here) without waiting for the run."""
        body = _resume_body(resume_data, step, label, for_each_index, request_context, tracing_options, per_step)
        data = await self._t.json("POST", f"{self._base}/resume-no-wait", params={"runId": self.run_id}, body=body)
        self.status = "running"
        return str(data.get("runId", self.run_id))

    def observe_stream(self, offset: int = 0) -> RemoteStream:
        """The run's events from `offset` on, then live ones, until it settles; reconnects by
        itself with the next offset if the connection drops."""
        return self._stream("observe", None, observe=offset)

    # -- restart and time travel ----------------------------------------------------------
    async def restart(
        self,
        tracing_options: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | None = None,
    ) -> WorkflowResult:
        """Continues a run left running by a crash (a finished run gives its stored result)."""
        return await self._result(
            "restart-async", _clean({"tracingOptions": _dict(tracing_options), "requestContext": _dict(request_context)})
        )

    async def restart_async(
        self,
        tracing_options: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | None = None,
    ) -> str:
        """Claims the restart (refusals raise here) and returns the run id without waiting."""
        body = _clean({"tracingOptions": _dict(tracing_options), "requestContext": _dict(request_context)})
        await self._t.json("POST", f"{self._base}/restart", params={"runId": self.run_id}, body=body)
        return self.run_id

    async def time_travel(
        self,
        step: StepRef,
        input_data: Any = None,
        resume_data: Any = None,
        initial_state: Any = None,
        context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        nested_steps_context: Mapping[str, Mapping[str, Any]] | None = None,
        output_options: Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Re-runs the run from `step` on the server (see the local `Run.time_travel`)."""
        travel = (step, input_data, resume_data, initial_state, context, nested_steps_context)
        body = _time_travel_body(*travel, request_context, tracing_options, per_step)
        return await self._result("time-travel-async", body, _output_options(output_options))

    def time_travel_stream(
        self,
        step: StepRef,
        input_data: Any = None,
        resume_data: Any = None,
        initial_state: Any = None,
        context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        nested_steps_context: Mapping[str, Mapping[str, Any]] | None = None,
        output_options: Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> RemoteStream:
        """`time_travel`, streaming its events."""
        travel = (step, input_data, resume_data, initial_state, context, nested_steps_context)
        return self._stream("time-travel-stream", _time_travel_body(*travel, request_context, tracing_options, per_step, output_options))

    # -- cancel ---------------------------------------------------------------------------
    async def cancel(self) -> None:
        """Cancels the run on the server. `status` is then re-read: a finished run keeps its
        own, and a running one shows `running` until it reaches its next step boundary."""
        await self._t.json("POST", f"{self._base}/runs/{segment(self.run_id)}/cancel")
        try:
            await self.fetch_result()
        except RunNotFoundError:
            pass  # deleted meanwhile: nothing to show


#: Asks a stepstream server for each event's log offset (Mastra's servers ignore it).
_OFFSETS = {"x-stepstream-offsets": "1"}

_CAMEL = {"include_state": "includeState", "include_resume_labels": "includeResumeLabels"}


def _output_options(options: Mapping[str, Any] | None) -> dict[str, bool]:
    """`output_options` as the server's `outputOptions`, checked as the local call checks it."""
    return {_CAMEL[name]: value for name, value in output_flags(options).items()}


def _shown(result: WorkflowResult, wanted: Mapping[str, bool] | None) -> WorkflowResult:
    """`result`, its `to_dict()` carrying state and resume labels only as the caller asked."""
    result.include_state = bool((wanted or {}).get("includeState"))
    result.include_resume_labels = bool((wanted or {}).get("includeResumeLabels"))
    return result


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _dict(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


def _run_options(body: dict[str, Any], per_step: bool, output_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """`body` without its absent fields, plus `perStep` and `outputOptions` when given."""
    out = _clean(body)
    if per_step:
        out["perStep"] = per_step
    if output_options is not None:
        out["outputOptions"] = _output_options(output_options)
    return out


def _start_body(
    input_data: Any,
    initial_state: Any,
    request_context: Mapping[str, Any] | None,
    tracing_options: Mapping[str, Any] | None,
    per_step: bool = False,
    output_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body = {
        "inputData": input_data,
        "initialState": initial_state,
        "requestContext": _dict(request_context),
        "tracingOptions": _dict(tracing_options),
    }
    return _run_options(body, per_step, output_options)


def _resume_body(
    resume_data: Any,
    step: StepRef | None,
    label: str | None,
    for_each_index: int | None,
    request_context: Mapping[str, Any] | None,
    tracing_options: Mapping[str, Any] | None,
    per_step: bool = False,
    output_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body = {
        "resumeData": resume_data,
        "step": _step(step),
        "label": label,
        "forEachIndex": for_each_index,
        "requestContext": _dict(request_context),
        "tracingOptions": _dict(tracing_options),
    }
    return _run_options(body, per_step, output_options)


def _time_travel_body(
    step: StepRef,
    input_data: Any,
    resume_data: Any,
    initial_state: Any,
    context: Mapping[str, Any] | None,
    nested_steps_context: Mapping[str, Mapping[str, Any]] | None,
    request_context: Mapping[str, Any] | None,
    tracing_options: Mapping[str, Any] | None,
    per_step: bool = False,
    output_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body = {
        "step": _step(step),
        "inputData": input_data,
        "resumeData": resume_data,
        "initialState": initial_state,
        "context": _dict(context),
        "nestedStepsContext": {k: dict(v) for k, v in nested_steps_context.items()} if nested_steps_context is not None else None,
        "requestContext": _dict(request_context),
        "tracingOptions": _dict(tracing_options),
    }
    return _run_options(body, per_step, output_options)


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
