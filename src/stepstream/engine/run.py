"""`Run`: start, stream, resume, cancel, watch, restart and time-travel one run."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from .._schema import storable, to_json
from .._serialize import serialize_error
from .._suspend_meta import strip_meta
from ..errors import (
    ResumeAlreadyClaimedError,
    ResumeError,
    RunNotFoundError,
    RunStateError,
    StepstreamError,
    StorageError,
    ValidationError,
)
from ..events import EMPTY_USAGE, WORKFLOW_CANCELED, WORKFLOW_FINISH, WORKFLOW_PAUSED, WORKFLOW_START, WorkflowEvent
from ..request_context import RequestContext, as_request_context
from ..results import StepResult, WorkflowResult
from ..step import Step
from ..storage.base import RunChanges, RunRecord
from ..types import TERMINAL_STATUSES, InternalSpans, RunStatus, TracingPolicy
from ..workflow.builder import Workflow
from . import background
from ._executor import Execution
from ._lifecycle import call_on_finish, call_on_start
from ._local import LocalExecutor, default_executor
from ._options import OutputOptions, _Options, _travel_context
from ._plan import ExecutionPlan, ResumeTarget, TimeTravel
from ._state import PENDING_RESUME, Fenced, RunState, Sink, Target, public_labels
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
    if run_id is not None and (not isinstance(run_id, str) or not run_id.strip()):
        raise ValidationError(
            f"run_id must be a non-empty string or None (for a random id), got {run_id!r} (workflow {workflow.id!r})",
            [("run_id", "must be a non-empty string")],
        )
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
    run._named = given
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
        #: created with an id the caller gave (not a fresh one): if storage lacks it, it is not found
        self._named = False
        #: this run's tracing policy (`create_run(tracing_policy=)`), else the workflow's
        self.tracing_policy: TracingPolicy | None = None

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

    def _forget_unsaved(self) -> None:
        """Drops a run created here and never written, so no later flush writes it as pending."""
        if self._unsaved:
            self.workflow._runs.pop(self.run_id, None)

    def _not_found(self) -> RunNotFoundError:
        self._forget_unsaved()
        return RunNotFoundError(f"No snapshot found for this workflow run: {self.workflow_id} {self.run_id}")

    async def _ensure_known(self) -> None:
        """Before acting on a stored run. A run created here with a fresh id is written as
        pending first (Mastra's createRun writes it); an id the caller named that storage
        lacks is left unwritten, so the load that follows reports it not found."""
        if not (self._unsaved and self._named):
            await self._ensure_created()

    # -- start ----------------------------------------------------------------------------
    async def start(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        output_options: OutputOptions | Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Runs the workflow and returns its result. Raises only for refused input;
        a failing step gives a result with status `failed`. With `per_step=True` the run
        stops `paused` after one entry of the flow (time travel to the next step continues it)."""
        return await self._start(input_data, initial_state, request_context, tracing_options, _Options.of(output_options, per_step))

    def stream(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
        output_options: OutputOptions | Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowStream:
        """Starts the run and returns its event stream at once."""
        opts = _Options.of(output_options, per_step)
        stream = WorkflowStream(self, close_on_suspend)
        stream._drive(self._start(input_data, initial_state, request_context, tracing_options, opts))
        return stream

    async def start_async(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> str:
        """Claims the run and returns its id at once; the run goes on in this process's
        background. Refused input raises here and changes nothing. Follow the run with
        `observe_stream()`; if the process dies, `restart_active_runs()` recovers it."""
        opts = _Options.of(None, per_step)
        background.spawn(self, await self._claim_start(input_data, initial_state, request_context, tracing_options, opts))
        return self.run_id

    def observe_stream(self, offset: int = 0) -> WorkflowStream:
        """The run's events from its event log: those from `offset` (0-based) on, then
        live ones, until the run settles (finishes, fails, is canceled or suspends).

        Works in any process sharing the storage. A reader that reconnects with the
        offset of the next event it needs (`event.offset + 1`) loses nothing and sees
        nothing twice. A run not in storage gives RunNotFoundError (on iteration, and
        from `await stream.result`)."""
        return background.observe(self, offset)

    async def _start(
        self,
        input_data: Any,
        initial_state: Any,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
        opts: _Options,
    ) -> WorkflowResult:
        return await (await self._claim_start(input_data, initial_state, request_context, tracing_options, opts, defer=True))

    async def _claim_start(
        self,
        input_data: Any,
        initial_state: Any,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
        opts: _Options,
        defer: bool = False,
    ) -> Coroutine[Any, Any, WorkflowResult]:
        """Validates the input and claims the run (`pending` -> `running`); returns the
        execution, not started. Raises (changing nothing) if the input or the run's status refuses.
        With `defer`, a fresh run (an id made here, so no other process can claim it) on a
        shared storage that `folds_claim` is inserted by its first write instead (`RunState.claim`):
        one commit less; a slow first step still shows the run at once, with its running mark."""
        wf = self.workflow
        wf.ensure_committed()
        try:
            if wf.validate_inputs:
                input_data = wf._in.validate(input_data, "Invalid input data")
            stored_input = storable(input_data, "Input data")
            state = self._initial_state(initial_state)
        except ValidationError as exc:
            if not self._named:  # refused before anything was written: leave no pending run behind
                self._forget_unsaved()  # (a run id the caller named stays pending, as in Mastra)
            raise exc.located(f"workflow {wf.id!r}, run {self.run_id!r}") from exc.__cause__
        rc = as_request_context(request_context)
        if wf.validate_inputs and wf._rc is not None:
            wf._rc.validate(
                rc.all, f"Request context validation failed for workflow '{wf.id}'", code="WORKFLOW_REQUEST_CONTEXT_VALIDATION_FAILED"
            )
        await call_on_start(self, input_data, state, rc)
        owner = _token(wf.executor_id)
        changes: RunChanges = {
            "status": "running",
            "input": stored_input,
            "state": dict(state),
            "request_context": to_json(rc.all),
            "owner": owner,
        }
        storage = wf.storage
        if self._unsaved:
            self._unsaved = False
            fresh = RunRecord(workflow_id=wf.id, run_id=self.run_id, resource_id=self.resource_id)
            fresh.apply(changes)
            if defer and not self._named and storage.folds_claim and storage.shared and isinstance(wf.executor or default_executor(), LocalExecutor):
                return self._execute(input_data, state, rc, {}, tracing_options=tracing_options, owner=owner, opts=opts, claim=fresh)
            if await storage.create_run(fresh):  # the insert is the claim
                return self._execute(input_data, state, rc, {}, tracing_options=tracing_options, owner=owner, opts=opts)
        claimed = await storage.update_run(wf.id, self.run_id, changes, expected_status=("pending",))
        if not claimed:
            stored = await storage.load_run(wf.id, self.run_id)
            if stored is not None and stored.status == "canceled" and not stored.steps and stored.input is None:
                # cancel() landed before this start ran (e.g. right after scheduling it): end canceled, run nothing.
                changes["status"] = "canceled"
                if await storage.update_run(wf.id, self.run_id, changes, expected_status=("canceled",)):
                    offset = await self._log_end()
                    return self._execute(
                        input_data,
                        state,
                        rc,
                        {},
                        tracing_options=tracing_options,
                        canceled=True,
                        owner=owner,
                        opts=opts,
                        next_offset=offset,
                    )
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
        return self._execute(input_data, state, rc, {}, tracing_options=tracing_options, owner=owner, opts=opts)

    async def _log_end(self) -> int:
        """The offset the run's next event gets: read after the claim, so no other execution
        can append meanwhile."""
        storage = self.workflow.storage
        if not storage.keeps_events:
            return 0
        page = await storage.read_events(self.workflow_id, self.run_id, limit=0)
        return page.next_offset if page is not None else 0

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
        state = storable(initial_state, "Initial state") if initial_state is not None else {}
        if not isinstance(state, dict):
            raise ValidationError("Invalid initial data: \n- state must be an object", [("", "state must be an object")])
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
        output_options: OutputOptions | Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Continues a suspended run with `resume_data` for the step named by `step` or
        `label` (or the only suspended step). A refused resume changes nothing."""
        opts = _Options.of(output_options, per_step)
        return await self._resume(resume_data, step, label, for_each_index, request_context, tracing_options, opts)

    def resume_stream(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        close_on_suspend: bool = True,
        output_options: OutputOptions | Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowStream:
        """`resume`, returning the event stream at once."""
        opts = _Options.of(output_options, per_step)
        stream = WorkflowStream(self, close_on_suspend)
        stream._drive(self._resume(resume_data, step, label, for_each_index, request_context, tracing_options, opts))
        return stream

    async def resume_async(
        self,
        resume_data: Any = None,
        step: StepRef | None = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        per_step: bool = False,
    ) -> str:
        """Claims the resume and returns the run id without waiting for the run. A refused
        resume (not suspended, unknown step, invalid data) raises here and changes nothing."""
        opts = _Options.of(None, per_step)
        execution = await self._claim_resume(resume_data, step, label, for_each_index, request_context, tracing_options, opts)
        background.spawn(self, execution)
        return self.run_id

    async def _resume(
        self,
        resume_data: Any,
        step: StepRef | None,
        label: str | None,
        for_each_index: int | None,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
        opts: _Options,
    ) -> WorkflowResult:
        return await (await self._claim_resume(resume_data, step, label, for_each_index, request_context, tracing_options, opts))

    async def _claim_resume(
        self,
        resume_data: Any,
        step: StepRef | None,
        label: str | None,
        for_each_index: int | None,
        request_context: Mapping[str, Any] | RequestContext | None,
        tracing_options: Mapping[str, Any] | None,
        opts: _Options,
    ) -> Coroutine[Any, Any, WorkflowResult]:
        """Checks the target and the resume data and claims the run (`suspended` -> `running`);
        returns the execution, not started. A refused resume raises and changes nothing."""
        wf = self.workflow
        await self._ensure_known()
        record = await self._load_settled()
        if record is None:
            raise self._not_found()
        if record.status != "suspended":
            raise ResumeError(f"This workflow run was not suspended: run {self.run_id!r} of workflow {wf.id!r} is {record.status!r}")
        path, index, leaf = resolve_target(wf, record, step, label, for_each_index)
        try:
            if wf.validate_inputs and leaf is not None and leaf.resume_schema is not None:
                resume_data = leaf._resume.validate(resume_data, "Invalid resume data")
            stored_resume = storable(resume_data, "Resume data")  # checked before the claim: a refusal changes nothing
        except ValidationError as exc:
            raise exc.located(f"step {'.'.join(path)!r} of workflow {wf.id!r}, run {self.run_id!r}") from exc.__cause__
        rc = self._merge_context(record.request_context, request_context)
        owner = _token(wf.executor_id)
        pending = {PENDING_RESUME: {"path": path, "foreachIndex": index, "resumeData": stored_resume}}
        claimed = await wf.storage.update_run(
            wf.id,
            self.run_id,
            {"status": "running", "request_context": to_json(rc.all), "owner": owner, "resume_labels": {**record.resume_labels, **pending}},
            expected_status=("suspended",),
        )
        if not claimed:
            raise ResumeAlreadyClaimedError(
                f"Run {self.run_id!r} of workflow {wf.id!r} was resumed by another caller first; nothing ran here"
            )
        targets = {path[0]: Target(path[1:], resume_data, index)}
        init = self._stored_input(record.input)
        return self._execute(
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
            opts=opts,
            next_offset=await self._log_end(),
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
    async def restart(
        self,
        tracing_options: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
    ) -> WorkflowResult:
        """Continues a run left `running` by a crash: completed steps are kept, the
        interrupted step runs again from its start. A finished run returns its stored result.
        `request_context` adds to (and overrides keys of) the stored one, as in Mastra."""
        wf = self.workflow
        if self._active is not None:
            raise RunStateError(f"Run {self.run_id!r} of workflow {wf.id!r} is executing in this process; it cannot be restarted")
        await self._ensure_known()
        record = await wf.storage.load_run(wf.id, self.run_id)
        if record is None:
            raise self._not_found()
        if record.status in TERMINAL_STATUSES:
            return self.result_from_record(record)
        if record.status not in ("running", "waiting"):
            raise RunStateError(f"This workflow run was not active: run {self.run_id!r} of workflow {wf.id!r} is {record.status!r}")
        owner = _token(wf.executor_id)
        if not await wf.storage.update_run(
            wf.id, self.run_id, {"owner": owner}, expected_status=("running", "waiting"), expected_owner=record.owner
        ):
            raise ResumeAlreadyClaimedError(
                f"Run {self.run_id!r} of workflow {wf.id!r} was restarted by another caller first; nothing ran here"
            )
        rc = self._merge_context(record.request_context, request_context)
        labels = dict(record.resume_labels)
        pending = labels.pop(PENDING_RESUME, None)
        return await self._execute(
            self._stored_input(record.input),
            record.state,
            rc,
            record.steps,
            replay=True,
            restarting=True,
            targets=self._pending_targets(pending) if isinstance(pending, dict) else None,
            stored_labels=labels,
            tracing_options=tracing_options,
            tracing_context=record.tracing_context,
            owner=owner,
            next_offset=await self._log_end(),
        )

    def _pending_targets(self, pending: dict[str, Any]) -> dict[str, Target]:
        """The resume a crash interrupted, as the target of the restart (its data re-validated)."""
        path = [str(p) for p in pending.get("path") or []]
        data = pending.get("resumeData")
        leaf = find_step(self.workflow, path)
        if self.workflow.validate_inputs and leaf is not None and leaf.resume_schema is not None:
            data = leaf._resume.validate(data, "Invalid resume data")
        return {path[0]: Target(path[1:], data, pending.get("foreachIndex"))}

    async def time_travel(
        self,
        step: StepRef,
        input_data: Any = None,
        resume_data: Any = None,
        initial_state: Any = None,
        context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        nested_steps_context: Mapping[str, Mapping[str, Any]] | None = None,
        output_options: OutputOptions | Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowResult:
        """Re-runs the run from `step` (with `input_data` as its input, if given);
        earlier steps keep their stored results. `context` gives step records of this
        workflow, `nested_steps_context` those inside nested workflows (keyed by the nested
        workflow's id). With `per_step=True` it stops `paused` after the target's entry."""
        opts = _Options.of(output_options, per_step)
        travel = (step, input_data, resume_data, initial_state, _travel_context(self.workflow, step, context, nested_steps_context))
        return await self._time_travel(*travel, request_context, tracing_options, opts)

    def time_travel_stream(
        self,
        step: StepRef,
        input_data: Any = None,
        resume_data: Any = None,
        initial_state: Any = None,
        context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
        tracing_options: Mapping[str, Any] | None = None,
        nested_steps_context: Mapping[str, Mapping[str, Any]] | None = None,
        output_options: OutputOptions | Mapping[str, bool] | None = None,
        per_step: bool = False,
    ) -> WorkflowStream:
        """`time_travel`, returning the event stream at once."""
        opts = _Options.of(output_options, per_step)
        travel = (step, input_data, resume_data, initial_state, _travel_context(self.workflow, step, context, nested_steps_context))
        stream = WorkflowStream(self, True)
        stream._drive(self._time_travel(*travel, request_context, tracing_options, opts))
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
        opts: _Options,
    ) -> WorkflowResult:
        wf = self.workflow
        if self._active is not None:
            raise RunStateError("This workflow run is still running, cannot time travel")
        await self._ensure_known()  # as in Mastra, a created run may time travel without a start
        record = await wf.storage.load_run(wf.id, self.run_id)
        if record is None:
            raise self._not_found()
        if record.status == "running":
            raise RunStateError("This workflow run is still running, cannot time travel")
        plan = time_travel_plan(wf, record, step, input_data, context)
        for value, what in ((plan.input, "Input data"), (plan.target_input, "Step input data"), (resume_data, "Resume data")):
            storable(value, what)  # refused before anything changes, naming the field
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
            opts=opts,
            next_offset=await self._log_end(),
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
            wf.id,
            self.run_id,
            {"status": "canceled", "owner": None},
            expected_status=("suspended", "paused", "waiting", "pending", "running"),
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
        opts: _Options | None = None,
        next_offset: int = 0,
        claim: RunRecord | None = None,
    ) -> WorkflowResult:
        """Drives the plan a claim made (see `_plan.ExecutionPlan`); `claim` is a deferred insert of the run."""
        opts = opts or _Options()
        plan = ExecutionPlan(
            workflow_id=self.workflow_id,
            run_id=self.run_id,
            input=to_json(input_data),
            state=dict(state),
            request_context=rc.all,
            records=dict(records),
            replay=replay,
            targets=tuple(ResumeTarget((key, *t.rest), t.resume_data, t.foreach_index) for key, t in (targets or {}).items()),
            time_travel=TimeTravel(time_travel[0], time_travel[1], tuple(time_travel[2])) if time_travel is not None else None,
            stored_labels=dict(stored_labels or {}),
            owner=owner,
            restarting=restarting,
            canceled=canceled,
            per_step=opts.per_step,
            next_offset=next_offset,
            tracing_context=tracing_context,
        )
        return await self._drive(plan, input_data, rc, tracing_options, opts, claim)

    async def _drive(
        self,
        plan: ExecutionPlan,
        input_data: Any,
        rc: RequestContext,
        tracing_options: Mapping[str, Any] | None,
        opts: _Options,
        claim: RunRecord | None = None,
    ) -> WorkflowResult:
        """Walks one execution: `input_data` and `rc` are the plan's input and request
        context as the caller gave them (a typed input, a live `RequestContext`)."""
        wf = self.workflow
        targets = plan.walk_targets()
        time_travel = plan.walk_time_travel()
        restarting = plan.restarting
        tracing_context = plan.tracing_context
        policy = self.tracing_policy or wf.tracing_policy
        hidden = policy is not None and bool(policy.get("internal", 0) & InternalSpans.WORKFLOW)
        rs = RunState(
            run_id=self.run_id,
            workflow_id=wf.id,
            storage=wf.storage,
            request_context=rc,
            state=dict(plan.state),
            records=dict(plan.records),
            sinks=self._sinks,
            resource_id=self.resource_id,
            restarting=restarting,
            tracer=None
            if hidden
            else make_tracer(
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
        rs.owner = plan.owner
        rs.next_offset = plan.next_offset
        rs.claim = claim
        rs.app = wf.app
        rs.host = (wf.executor or default_executor()).host(rs)
        if plan.stored_labels:
            rs.stored_labels = dict(plan.stored_labels)
        if plan.canceled:
            rs.abort_event.set()
        self._active = rs
        self._idle.clear()
        self.status = "running"
        try:
            if rs.emitting:
                rs.emit(WORKFLOW_START, {"workflowId": wf.id})
            final: list[WorkflowEvent] = []
            ex = Execution(rs, wf, "", input_data, replay=plan.replay, targets=targets, time_travel=time_travel, per_step=plan.per_step)
            try:
                try:
                    status, value = await ex.run(plan.input)
                except StepstreamError as exc:
                    status, value = "failed", None
                    ex.error = exc
                result = self._result(rs, ex, status, value, input_data)
                result.include_state, result.include_resume_labels = opts.include_state, opts.include_resume_labels
                final = self._finish_events(rs, result)  # numbered now, stored with the final status
                await self._persist(rs, result, ex.labels if result.status == "suspended" else {})
            except Fenced:
                rs.discard(final)  # refused with the final status: never stored, never shown
                result = await self._fenced(rs)
                final = self._finish_events(rs, result)
            self._finished(rs, result, final)
            await call_on_finish(self, result, rs)
            return result
        finally:
            rs.host.close()
            rs.stop_flushing()
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
            step_execution_path=list(ex.executed),
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
        storage = wf.storage
        try:
            if rs.deferred is not None:
                key, record = rs.deferred
                rs.deferred = None
                written = await rs.write(
                    lambda events: storage.save_step(
                        wf.id, self.run_id, key, record, changes, expected_owner=rs.owner, events=events, **rs.take_claim()
                    ),
                    carries_claim=True,
                )
            else:
                written = await rs.write(
                    lambda events: storage.update_run(wf.id, self.run_id, changes, expected_owner=rs.owner, events=events)
                )
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

    def _finish_events(self, rs: RunState, result: WorkflowResult) -> list[WorkflowEvent]:
        """The run's closing events, numbered but not yet delivered."""
        if not rs.emitting:
            return []
        events: list[WorkflowEvent] = []
        if result.status == "canceled":
            events.append(rs.emit(WORKFLOW_CANCELED, {}, deliver=False))
        elif result.status == "paused":
            events.append(rs.emit(WORKFLOW_PAUSED, {}, deliver=False))
        usage = dict(EMPTY_USAGE)
        for key, value in rs.usage.items():
            usage[key] = usage.get(key, 0) + value
        payload: dict[str, Any] = {"workflowStatus": result.status, "output": {"usage": usage}, "metadata": {}}
        if result.status == "success":
            payload["finalWorkflowResult"] = to_json(result.result)
        events.append(rs.emit(WORKFLOW_FINISH, payload, deliver=False))
        return events

    def _finished(self, rs: RunState, result: WorkflowResult, final: list[WorkflowEvent]) -> None:
        """Ends the run span, then delivers the closing events and the result to this process's readers."""
        if rs.tracer is not None:
            rs.tracer.run_ended(result.status, result.result, result.error, rs.usage)
        for event in final:
            rs.release(event)
        for sink in list(rs.sinks):
            sink.finished(result, dict(rs.usage))

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


def _token(executor_id: str) -> str:
    """A fresh owner token for one execution of a run: `<executor id>:<random>`."""
    return f"{executor_id}:{uuid.uuid4().hex}"
