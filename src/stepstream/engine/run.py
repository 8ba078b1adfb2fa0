"""`Run`: start, stream, resume, cancel, watch, restart and time-travel one run."""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._schema import to_json
from .._serialize import serialize_error
from ..errors import (
    ResumeAlreadyClaimedError,
    ResumeError,
    RunNotFoundError,
    RunStateError,
    StepstreamError,
    StorageError,
    ValidationError,
)
from ..events import EMPTY_USAGE, WORKFLOW_CANCELED, WORKFLOW_FINISH, WORKFLOW_START, WorkflowEvent
from ..request_context import RequestContext, as_request_context
from ..results import StepResult, WorkflowResult
from ..step import Step
from ..storage.base import RunChanges, RunRecord
from ..types import TERMINAL_STATUSES, RunStatus
from ..workflow.builder import Workflow
from ._executor import Execution
from ._state import Fenced, RunState, Sink, Target, strip_meta
from ._targets import find_step, resolve_target, time_travel_plan
from ._tracing import make_tracer
from ._watch import Watcher
from .stream import WorkflowStream

log = logging.getLogger("stepstream")

StepRef = Step | str | Sequence[Step | str]

_POLL_SECONDS = 0.025
_POLL_BUDGET = 2.0


async def create_run(workflow: Workflow, run_id: str | None, resource_id: str | None) -> Run:
    """The run with this id (cached in this process, or rebuilt from storage), or a new one."""
    workflow.ensure_committed()
    given = run_id is not None
    run_id = run_id or str(uuid.uuid4())
    storage = workflow.storage
    cached = workflow._runs.get(run_id)
    if cached is not None:
        if cached._active is None and not cached._unsaved:
            stored = await storage.load_run(workflow.id, run_id)
            if stored is not None:
                cached.status = stored.status
        return cached
    stored = await storage.load_run(workflow.id, run_id) if given else None
    run = Run(workflow, run_id, stored.status if stored is not None else "pending", stored.resource_id if stored else resource_id)
    # A new run is written when it is started (its insert is also its claim), or before
    # anything else reads or changes it: one transaction fewer for the common create + start.
    run._unsaved = stored is None
    workflow._runs[run_id] = run
    return run


async def flush_pending_runs(workflow: Workflow) -> None:
    """Writes the pending record of every run created but not yet written in this process."""
    for run in list(workflow._runs.values()):
        await run._ensure_created()


class Run:
    """One run of a workflow. Get it with `await workflow.create_run()`."""

    def __init__(self, workflow: Workflow, run_id: str, status: RunStatus, resource_id: str | None = None):
        self.workflow = workflow
        self.run_id = run_id
        self.workflow_id = workflow.id
        self.status: RunStatus = status
        self.resource_id = resource_id
        self._sinks: list[Sink] = []
        self._active: RunState | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._last_result: WorkflowResult | None = None
        self._unsaved = False

    def __repr__(self) -> str:
        return f"<Run {self.run_id!r} of {self.workflow_id!r} status={self.status!r}>"

    async def _ensure_created(self) -> None:
        """Writes the run's `pending` record if it was created here and not written yet."""
        if self._unsaved:
            self._unsaved = False
            wf = self.workflow
            if not await wf.storage.create_run(RunRecord(workflow_id=wf.id, run_id=self.run_id, resource_id=self.resource_id)):
                stored = await wf.storage.load_run(wf.id, self.run_id)
                if stored is not None:
                    self.status = stored.status

    # -- start ----------------------------------------------------------------------------
    async def start(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
    ) -> WorkflowResult:
        """Runs the workflow and returns its result. Raises only for refused input;
        a failing step gives a result with status `failed`."""
        return await self._start(input_data, initial_state, request_context, tracing_options)

    def stream(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
    ) -> WorkflowStream:
        """Starts the run and returns its event stream at once."""
        stream = WorkflowStream(self, close_on_suspend)
        stream._drive(self._start(input_data, initial_state, request_context, tracing_options))
        return stream

    async def _start(
        self,
        input_data: Any,
        initial_state: Any,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
    ) -> WorkflowResult:
        wf = self.workflow
        wf.ensure_committed()
        if wf.validate_inputs:
            input_data = wf._in.validate(input_data, "Invalid input data")
        state = self._initial_state(initial_state)
        rc = as_request_context(request_context)
        owner = _token(wf.executor_id)
        changes: RunChanges = {
            "status": "running",
            "input": to_json(input_data),
            "state": dict(state),
            "request_context": to_json(rc.all),
            "owner": owner,
        }
        storage = wf.storage
        if self._unsaved:
            self._unsaved = False
            fresh = RunRecord(workflow_id=wf.id, run_id=self.run_id, resource_id=self.resource_id)
            fresh.apply(changes)
            if await storage.create_run(fresh):  # the insert is the claim
                return await self._execute(input_data, state, rc, {}, tracing_options=tracing_options, owner=owner)
        claimed = await storage.update_run(wf.id, self.run_id, changes, expected_status=("pending",))
        if not claimed:
            stored = await storage.load_run(wf.id, self.run_id)
            if stored is not None and stored.status == "canceled" and not stored.steps and stored.input is None:
                # cancel() landed before this start ran (e.g. right after scheduling it): end canceled, run nothing.
                changes["status"] = "canceled"
                if await storage.update_run(wf.id, self.run_id, changes, expected_status=("canceled",)):
                    return await self._execute(input_data, state, rc, {}, tracing_options=tracing_options, canceled=True, owner=owner)
            if stored is not None:
                err = RunStateError(
                    f"Workflow run {self.run_id!r} of workflow {wf.id!r} was already started (status {stored.status!r}); "
                    "create a new run, or use resume/restart/time_travel"
                )
                err.code = "WORKFLOW_START_ALREADY_CLAIMED"
                raise err
            await storage.create_run(RunRecord(workflow_id=wf.id, run_id=self.run_id, resource_id=self.resource_id))
            if not await storage.update_run(wf.id, self.run_id, changes, expected_status=("pending",)):
                raise StorageError(f"Could not start run {self.run_id!r} of workflow {wf.id!r}: storage refused the claim")
        return await self._execute(input_data, state, rc, {}, tracing_options=tracing_options, owner=owner)

    def _initial_state(self, initial_state: Any) -> dict[str, Any]:
        wf = self.workflow
        schema = wf.state_schema_obj
        if schema is not None and wf.validate_inputs:
            if initial_state is None:
                try:
                    initial_state = schema.validate({}, "Invalid initial data")
                except ValidationError:
                    initial_state = {}
            else:
                initial_state = schema.validate(initial_state, "Invalid initial data")
        state = to_json(initial_state) if initial_state is not None else {}
        if not isinstance(state, dict):
            raise ValidationError(f"Invalid initial data: \n- : state must be an object (run {self.run_id!r})")
        return state

    # -- resume ---------------------------------------------------------------------------
    async def resume(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
    ) -> WorkflowResult:
        """Continues a suspended run with `resume_data` for the step named by `step` or
        `label` (or the only suspended step). A refused resume changes nothing."""
        return await self._resume(resume_data, step, label, for_each_index, request_context, tracing_options)

    def resume_stream(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
    ) -> WorkflowStream:
        """`resume`, returning the event stream at once."""
        stream = WorkflowStream(self, close_on_suspend)
        stream._drive(self._resume(resume_data, step, label, for_each_index, request_context, tracing_options))
        return stream

    async def _resume(
        self,
        resume_data: Any,
        step: StepRef | None,
        label: str | None,
        for_each_index: int | None,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
    ) -> WorkflowResult:
        wf = self.workflow
        await self._ensure_created()
        record = await self._load_settled()
        if record is None:
            raise RunNotFoundError(f"No snapshot found for this workflow run: {wf.id} {self.run_id}")
        if record.status != "suspended":
            raise ResumeError(f"This workflow run was not suspended: run {self.run_id!r} of workflow {wf.id!r} is {record.status!r}")
        path, index, leaf = resolve_target(wf, record, step, label, for_each_index)
        if wf.validate_inputs and leaf is not None and leaf.resume_schema is not None:
            resume_data = leaf._resume.validate(resume_data, "Invalid resume data")
        rc = self._merge_context(record.request_context, request_context)
        owner = _token(wf.executor_id)
        claimed = await wf.storage.update_run(
            wf.id, self.run_id, {"status": "running", "request_context": to_json(rc.all), "owner": owner}, expected_status=("suspended",)
        )
        if not claimed:
            raise ResumeAlreadyClaimedError(
                f"Run {self.run_id!r} of workflow {wf.id!r} was resumed by another caller first; nothing ran here"
            )
        targets = {path[0]: Target(path[1:], resume_data, index)}
        init = self._stored_input(record.input)
        return await self._execute(
            init,
            record.state,
            rc,
            record.steps,
            replay=True,
            targets=targets,
            stored_labels=record.resume_labels,
            tracing_options=tracing_options,
            owner=owner,
            tracing_context=record.tracing_context,
        )

    async def _load_settled(self) -> RunRecord | None:
        """The stored run, waiting briefly while another execution is still writing it."""
        if self._active is not None:
            await self._idle.wait()
        storage = self.workflow.storage
        record = await storage.load_run(self.workflow.id, self.run_id)
        waited = 0.0
        while record is not None and record.status in ("running", "pending") and waited < _POLL_BUDGET and record.steps:
            await asyncio.sleep(_POLL_SECONDS)
            waited += _POLL_SECONDS
            record = await storage.load_run(self.workflow.id, self.run_id)
        return record

    def _merge_context(self, stored: dict[str, Any], given: Mapping[str, Any] | RequestContext | None) -> RequestContext:
        if given is None:
            return RequestContext(stored)
        rc = as_request_context(given)
        for key, value in stored.items():
            if key not in rc:
                rc._data[key] = value
        return rc

    def _stored_input(self, raw: Any) -> Any:
        wf = self.workflow
        if not wf.validate_inputs:
            return raw
        try:
            return wf._in.validate(raw, "stored input")
        except ValidationError:
            return raw

    # -- restart and time travel ----------------------------------------------------------
    async def restart(self, tracing_options: Mapping[str, Any] | None = None) -> WorkflowResult:
        """Continues a run left `running` by a crash: completed steps are kept, the
        interrupted step runs again from its start. A finished run returns its stored result."""
        wf = self.workflow
        if self._active is not None:
            raise RunStateError(f"Run {self.run_id!r} of workflow {wf.id!r} is executing in this process; it cannot be restarted")
        await self._ensure_created()
        record = await wf.storage.load_run(wf.id, self.run_id)
        if record is None:
            raise RunNotFoundError(f"No snapshot found for this workflow run: {wf.id} {self.run_id}")
        if record.status in TERMINAL_STATUSES:
            return self.result_from_record(record)
        if record.status not in ("running", "waiting"):
            raise RunStateError(f"This workflow run was not active: run {self.run_id!r} of workflow {wf.id!r} is {record.status!r}")
        owner = _token(wf.executor_id)
        if not await wf.storage.update_run(
            wf.id, self.run_id, {"owner": owner}, expected_status=("running", "waiting"), expected_owner=record.owner
        ):
            raise ResumeAlreadyClaimedError(f"Run {self.run_id!r} of workflow {wf.id!r} was restarted by another caller first; nothing ran here")
        rc = RequestContext(record.request_context)
        return await self._execute(
            self._stored_input(record.input),
            record.state,
            rc,
            record.steps,
            replay=True,
            restarting=True,
            stored_labels=record.resume_labels,
            tracing_options=tracing_options,
            tracing_context=record.tracing_context,
        )

    async def time_travel(
        self,
        step: StepRef,
        input_data: Any = None,
        resume_data: Any = None,
        initial_state: Any = None,
        context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
    ) -> WorkflowResult:
        """Re-runs the run from `step` (with `input_data` as its input, if given);
        earlier steps keep their stored results."""
        return await self._time_travel(step, input_data, resume_data, initial_state, context, request_context, tracing_options)

    def time_travel_stream(
        self,
        step: StepRef,
        input_data: Any = None,
        resume_data: Any = None,
        initial_state: Any = None,
        context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
    ) -> WorkflowStream:
        """`time_travel`, returning the event stream at once."""
        stream = WorkflowStream(self, True)
        stream._drive(self._time_travel(step, input_data, resume_data, initial_state, context, request_context, tracing_options))
        return stream

    async def _time_travel(
        self,
        step: StepRef,
        input_data: Any,
        resume_data: Any,
        initial_state: Any,
        context: Mapping[str, Any] | None,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
    ) -> WorkflowResult:
        wf = self.workflow
        if self._active is not None:
            raise RunStateError("This workflow run is still running, cannot time travel")
        await self._ensure_created()
        record = await wf.storage.load_run(wf.id, self.run_id)
        if record is None:
            raise RunNotFoundError(f"No snapshot found for this workflow run: {wf.id} {self.run_id}")
        if record.status == "running":
            raise RunStateError("This workflow run is still running, cannot time travel")
        plan = time_travel_plan(wf, record, step, input_data, context)
        targets: dict[str, Target] | None = None
        if resume_data is not None:
            # As in Mastra, the resume data goes to the re-run steps that were suspended,
            # each checked against its own resume schema before anything changes.
            targets = {}
            for path in plan.resuspend:
                leaf = find_step(wf, path)
                data = resume_data
                if wf.validate_inputs and leaf is not None and leaf.resume_schema is not None:
                    data = leaf._resume.validate(resume_data, "Invalid resume data")
                targets.setdefault(path[0], Target(path[1:], data, None))
        state = self._initial_state(initial_state) if initial_state is not None else record.state
        rc = self._merge_context(record.request_context, request_context)
        previous = record.status
        owner = _token(wf.executor_id)
        changes: RunChanges = {
            "status": "running",
            "state": dict(state),
            "request_context": to_json(rc.all),
            "error": None,
            "result": None,
            "owner": owner,
        }
        if plan.input is not None:
            changes["input"] = to_json(plan.input)
        if not await wf.storage.update_run(wf.id, self.run_id, changes, expected_status=(previous,)):
            raise ResumeAlreadyClaimedError(f"Run {self.run_id!r} of workflow {wf.id!r} changed while time travel was starting")
        if plan.deleted:
            await wf.storage.delete_steps(wf.id, self.run_id, plan.deleted)
        for key, filled in plan.filled.items():
            await wf.storage.save_step(wf.id, self.run_id, key, filled, expected_owner=owner)
        init = plan.input if plan.input is not None else self._stored_input(record.input)
        return await self._execute(
            init,
            state,
            rc,
            plan.records,
            replay=True,
            targets=targets,
            time_travel=(plan.target, plan.target_input, plan.rest),
            tracing_options=tracing_options,
            owner=owner,
        )

    # -- cancel and watch ----------------------------------------------------------------
    async def cancel(self) -> None:
        """Cancels the run: a running one stops at its next await or step boundary
        (sleeps end at once); a suspended or waiting one is marked canceled."""
        if self._active is not None:
            self._active.request_abort()
            return
        await self._ensure_created()
        wf = self.workflow
        # A run executing in another process is fenced: its next write fails and it stops.
        if await wf.storage.update_run(
            wf.id, self.run_id, {"status": "canceled", "owner": None}, expected_status=("suspended", "waiting", "pending", "running")
        ):
            self.status = "canceled"

    def watch(self, callback: Callable[[WorkflowEvent], Any]) -> Callable[[], None]:
        """Calls `callback(event)` for every watch event of this run (Mastra's watch events:
        step events plus `workflow-step-finish`, no workflow start/finish; see `_watch`);
        returns an unsubscribe function."""
        watcher = Watcher(callback)
        self._sinks.append(watcher)

        def unsubscribe() -> None:
            if watcher in self._sinks:
                self._sinks.remove(watcher)

        return unsubscribe

    # -- the shared driver --------------------------------------------------------------
    async def _execute(
        self,
        input_data: Any,
        state: dict[str, Any],
        rc: RequestContext,
        records: dict[str, StepResult],
        *,
        replay: bool = False,
        targets: dict[str, Target] | None = None,
        restarting: bool = False,
        stored_labels: dict[str, Any] | None = None,
        time_travel: tuple[str, Any, list[str]] | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        tracing_context: dict[str, Any] | None = None,
        canceled: bool = False,
        owner: str | None = None,
    ) -> WorkflowResult:
        wf = self.workflow
        rs = RunState(
            run_id=self.run_id,
            workflow_id=wf.id,
            storage=wf.storage,
            request_context=rc,
            state=dict(state),
            records=dict(records),
            sinks=self._sinks,
            resource_id=self.resource_id,
            restarting=restarting,
            tracer=make_tracer(
                run=self,
                tracing_options=tracing_options,
                resumed=bool(targets),
                input_data=input_data,
                targets=targets,
                request_context=rc,
                tracing_context=tracing_context,
                restarting=restarting,
                time_travel=time_travel,
            ),
        )
        rs.owner = owner
        rs.app = wf.app
        if stored_labels:
            rs.stored_labels = dict(stored_labels)
        if canceled:
            rs.abort_event.set()
        self._active = rs
        self._idle.clear()
        self.status = "running"
        try:
            if rs.sinks:
                rs.emit(WORKFLOW_START, {"workflowId": wf.id})
            ex = Execution(rs, wf, "", input_data, replay=replay, targets=targets, time_travel=time_travel)
            try:
                try:
                    status, value = await ex.run(to_json(input_data))
                except StepstreamError as exc:
                    status, value = "failed", None
                    ex.error = exc
                result = self._result(rs, ex, status, value, input_data)
                await self._persist(rs, result, ex.labels if result.status == "suspended" else {})
            except Fenced:
                result = await self._fenced(rs)
            self._finish_events(rs, result)
            await self._callbacks(result)
            return result
        finally:
            if rs.tracer is not None:
                rs.tracer.close()
            self._active = None
            self._idle.set()

    def _result(self, rs: RunState, ex: Execution, status: str, value: Any, input_data: Any) -> WorkflowResult:
        result_value = None
        if status == "bailed":
            status, result_value = "success", value
        elif status == "success":
            result_value = value
        wf = self.workflow
        if result_value is not None and wf.validate_inputs and wf._out.adapter is not None:
            try:
                result_value = wf._out.validate(result_value, "workflow result")
            except ValidationError:
                pass  # a bail value need not match the output schema; keep it as stored
        error = None
        if status == "failed":
            error = serialize_error(ex.error) if ex.error is not None else {"message": "Workflow failed", "name": "Error"}
        suspended = ex.suspended if status == "suspended" else []
        payloads = {k: strip_meta(v) if v is not None else {} for k, v in ex.suspend_payloads.items()} if status == "suspended" else {}
        labels = ex.labels if status == "suspended" else {}
        steps = ex.context
        return WorkflowResult(
            status,  # type: ignore[arg-type]
            run_id=self.run_id,
            workflow_id=self.workflow_id,
            steps=dict(steps),
            input=input_data,
            result=result_value,
            error=error,
            suspended=suspended,
            suspend_payload=payloads,
            state=dict(rs.state),
            step_execution_path=list(steps),
            resume_labels=public_labels(labels),
            trace_id=rs.tracer.trace_id if rs.tracer is not None else None,
            span_id=rs.tracer.span_id if rs.tracer is not None else None,
        )

    async def _persist(self, rs: RunState, result: WorkflowResult, labels: dict[str, Any]) -> None:
        wf = self.workflow
        changes: RunChanges = {
            "status": result.status,
            "result": to_json(result.result),
            "error": result.error,
            "suspended": result.suspended,
            "resume_labels": to_json(labels),  # stored with each label's full path
            "state": dict(rs.state),
            "request_context": to_json(rs.request_context.all),
        }
        if rs.tracer is not None and result.status == "suspended":
            changes["tracing_context"] = {"traceId": rs.tracer.trace_id, "spanId": rs.tracer.span_id}
        try:
            if rs.deferred is not None:
                key, record = rs.deferred
                rs.deferred = None
                written = await wf.storage.save_step(wf.id, self.run_id, key, record, changes, expected_owner=rs.owner)
            else:
                written = await wf.storage.update_run(wf.id, self.run_id, changes, expected_owner=rs.owner)
        except Exception as exc:
            raise StorageError(
                f"Run {self.run_id!r} of workflow {wf.id!r} ended {result.status!r} but its final status could not be stored: {exc}"
            ) from exc
        if written is False:
            raise Fenced
        self.status = result.status
        self._last_result = result
        if result.status in TERMINAL_STATUSES:
            wf._runs.pop(self.run_id, None)

    async def _fenced(self, rs: RunState) -> WorkflowResult:
        """This execution lost the run (canceled or restarted by another process): it wrote
        nothing more. A cancel ends it as canceled; a takeover is an error for the caller."""
        wf = self.workflow
        rs.request_abort()
        record = await wf.storage.load_run(wf.id, self.run_id)
        if record is not None and record.status == "canceled":
            self.status = "canceled"
            result = self.result_from_record(record)
            self._last_result = result
            wf._runs.pop(self.run_id, None)
            return result
        status = record.status if record is not None else "deleted"
        raise RunStateError(
            f"Run {self.run_id!r} of workflow {wf.id!r} was taken over by another execution (it is {status!r} there); "
            "this one stopped without writing anything more"
        )

    def _finish_events(self, rs: RunState, result: WorkflowResult) -> None:
        usage = dict(EMPTY_USAGE)
        for key, value in rs.usage.items():
            usage[key] = usage.get(key, 0) + value
        if rs.tracer is not None:
            rs.tracer.run_ended(result.status, result.result, result.error, rs.usage)
        if rs.sinks:
            if result.status == "canceled":
                rs.emit(WORKFLOW_CANCELED, {})
            payload: dict[str, Any] = {"workflowStatus": result.status, "output": {"usage": usage}, "metadata": {}}
            if result.status == "success":
                payload["finalWorkflowResult"] = to_json(result.result)
            rs.emit(WORKFLOW_FINISH, payload)
        for sink in list(rs.sinks):
            sink.finished(result, dict(rs.usage))

    async def _callbacks(self, result: WorkflowResult) -> None:
        options = self.workflow.options
        for name, wanted in (("on_finish", True), ("on_error", result.status == "failed")):
            callback: Callable[[WorkflowResult], Any] | None = options.get(name)
            if callback is None or not wanted:
                continue
            try:
                out = callback(result)
                if inspect.isawaitable(out):
                    await out
            except Exception:
                log.exception("workflow %r %s callback raised (run %r)", self.workflow_id, name, self.run_id)

    # -- results from storage ------------------------------------------------------------
    def result_from_record(self, record: RunRecord) -> WorkflowResult:
        """The `WorkflowResult` of a stored run, without running anything."""
        ids = self.workflow.node_ids
        steps = {k: v for k, v in record.steps.items() if k in ids}
        return WorkflowResult(
            record.status,
            run_id=record.run_id,
            workflow_id=record.workflow_id,
            steps=steps,
            input=record.input,
            result=record.result,
            error=record.error,
            suspended=record.suspended,
            suspend_payload={p[0]: strip_meta(steps[p[0]].suspend_payload) for p in record.suspended if p and p[0] in steps},
            state=record.state,
            step_execution_path=list(steps),
            resume_labels=public_labels(record.resume_labels),
        )


def public_labels(labels: dict[str, Any]) -> dict[str, Any]:
    """Resume labels in Mastra's shape `{stepId, foreachIndex?}` (the stored `path` is internal)."""
    return {label: {k: v for k, v in where.items() if k != "path"} for label, where in labels.items()}


def _token(executor_id: str) -> str:
    """A fresh owner token for one execution of a run: `<executor id>:<random>`."""
    return f"{executor_id}:{uuid.uuid4().hex}"
