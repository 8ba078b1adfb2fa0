"""`Run`: start, stream, resume, cancel, watch, restart and time-travel one run.

Each verb claims the run (`_claim`) and drives the plan the claim made (`_drive`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .._suspend_meta import strip_meta
from ..errors import RunNotFoundError, ValidationError
from ..events import WorkflowEvent
from ..request_context import RequestContext
from ..results import OutputOptions, WorkflowResult
from ..storage.base import RunRecord
from ..types import RunStatus, TracingPolicy
from ..workflow.builder import Workflow
from . import background
from ._claim import Claimed, StepRef, cancel_stored, claim_restart, claim_resume, claim_start, claim_time_travel
from ._drive import drive
from ._foreach_items import ThinView
from ._options import _Options, _travel_context
from ._plan import ExecutionPlan
from ._state import RunExecution, Sink, new_id, public_labels
from ._watch import Watcher
from .stream import WorkflowStream

log = logging.getLogger("stepstream")


async def create_run(workflow: Workflow, run_id: str | None, resource_id: str | None) -> Run:
    """The run with this id (cached in this process, or rebuilt from storage), or a new one."""
    workflow.ensure_committed()
    if run_id is not None and (not isinstance(run_id, str) or not run_id.strip()):
        raise ValidationError(
            f"run_id must be a non-empty string or None (for a random id), got {run_id!r} (workflow {workflow.id!r})",
            [("run_id", "must be a non-empty string")],
        )
    given = run_id is not None
    run_id = run_id or new_id()  # UUID4-format: random per process, then a counter (no system call)
    storage = workflow.storage
    cached = workflow._runs.get(run_id) if given else None  # (a fresh id is in no cache)
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


async def flush_pending_runs(workflow: Workflow, run_id: str | None = None) -> None:
    """Writes what a reader of storage would miss of this process's runs (`run_id`'s, or every
    run's): the pending record of a run created but not yet written, and the insert of a started
    run that waits for its first write (`RunExecution.claim`), so a run is listed and found as
    soon as its start returned, as when the insert is not deferred."""
    for run in list(workflow._pending_runs.values()):
        await run._ensure_created()
    if run_id is None:
        live = list(workflow._runs.values())
    else:
        one = workflow._runs.get(run_id)
        live = [one] if one is not None else []
    for run in live:
        active = run._active
        if active is not None and active.claim is not None:
            await active.insert_now()


class IdleFlag:
    """Set while no execution of the run is in this process: an `asyncio.Event` that costs
    two attribute writes per execution (each sets and clears it; waiting on it is rare)."""

    __slots__ = ("_waiters", "busy")

    def __init__(self) -> None:
        self.busy = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def clear(self) -> None:
        self.busy = True

    def set(self) -> None:
        self.busy = False
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        """Returns once the flag is set (at once if it is), as `asyncio.Event.wait` does."""
        if self.busy:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter


class Run:
    """One run of a workflow. Get it with `await workflow.create_run()`."""

    def __init__(self, workflow: Workflow, run_id: str, status: RunStatus, resource_id: str | None = None):
        self.workflow = workflow
        self.run_id = run_id
        self.workflow_id = workflow.id
        self.status: RunStatus = status
        self.resource_id = resource_id
        self._sinks: list[Sink] = []
        self._active: RunExecution | None = None
        self._idle = IdleFlag()
        #: the thin foreach views its last result showed (`_foreach_items.views_of`)
        self._views: tuple[ThinView, ...] = ()
        self._unwritten = False
        #: created with an id the caller gave (not a fresh one): if storage lacks it, it is not found
        self._named = False
        #: this run's tracing policy (`create_run(tracing_policy=)`), else the workflow's
        self.tracing_policy: TracingPolicy | None = None

    def __repr__(self) -> str:
        return f"<Run {self.run_id!r} of {self.workflow_id!r} status={self.status!r}>"

    @property
    def _executing(self) -> bool:
        """An execution of this run is in this process: walking, or claimed and about to walk
        (`start_async`/`resume_async` hand it to a task that has not started yet)."""
        return self._active is not None or self._idle.busy

    @property
    def _unsaved(self) -> bool:
        """Created here and its pending record not written yet; the workflow holds such a run
        (its cache is otherwise weak) so a later flush or list still writes it."""
        return self._unwritten

    @_unsaved.setter
    def _unsaved(self, unsaved: bool) -> None:
        self._unwritten = unsaved
        if unsaved:
            self.workflow._pending_runs[self.run_id] = self
        else:
            self.workflow._pending_runs.pop(self.run_id, None)

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
            self.workflow._pending_runs.pop(self.run_id, None)

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
        opts = _Options.of(output_options, per_step)
        return await _driven(claim_start(self, input_data, initial_state, request_context, tracing_options, opts, defer=True))

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
        stream._drive(_driven(claim_start(self, input_data, initial_state, request_context, tracing_options, opts, defer=True)))
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
        background.spawn(self, await claim_start(self, input_data, initial_state, request_context, tracing_options, opts))
        return self.run_id

    def observe_stream(self, offset: int = 0) -> WorkflowStream:
        """The run's events from its event log: those from `offset` (0-based) on, then
        live ones, until the run settles (finishes, fails, is canceled or suspends).

        Works in any process sharing the storage. A reader that reconnects with the
        offset of the next event it needs (`event.offset + 1`) loses nothing and sees
        nothing twice. A run not in storage gives RunNotFoundError (on iteration, and
        from `await stream.result`)."""
        return background.observe(self, offset)

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
        return await _driven(claim_resume(self, resume_data, step, label, for_each_index, request_context, tracing_options, opts))

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
        stream._drive(_driven(claim_resume(self, resume_data, step, label, for_each_index, request_context, tracing_options, opts)))
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
        execution = await claim_resume(self, resume_data, step, label, for_each_index, request_context, tracing_options, opts)
        background.spawn(self, execution)
        return self.run_id

    # -- restart and time travel ----------------------------------------------------------
    async def restart(
        self,
        tracing_options: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
    ) -> WorkflowResult:
        """Continues a run left `running` by a crash: completed steps are kept, the
        interrupted step runs again from its start. A finished run returns its stored result.
        `request_context` adds to (and overrides keys of) the stored one, as in Mastra."""
        claimed = await claim_restart(self, tracing_options, request_context)
        return claimed if isinstance(claimed, WorkflowResult) else await claimed

    async def restart_async(
        self,
        tracing_options: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | RequestContext | None = None,
    ) -> str:
        """Claims the restart and returns the run id without waiting for the run (as
        `resume_async`). A refused restart (the run is not active, or another caller took it
        over first) raises here; a finished run is left as it is."""
        claimed = await claim_restart(self, tracing_options, request_context)
        if not isinstance(claimed, WorkflowResult):
            background.spawn(self, claimed)
        return self.run_id

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
        return await _driven(claim_time_travel(self, *travel, request_context, tracing_options, opts))

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
        stream._drive(_driven(claim_time_travel(self, *travel, request_context, tracing_options, opts)))
        return stream

    # -- cancel and watch ----------------------------------------------------------------
    async def cancel(self) -> None:
        """Cancels the run: a running one stops at its next await or step boundary
        (sleeps end at once); a suspended or waiting one is marked canceled."""
        if self._active is not None:
            self._active.request_abort()
            return
        await self._ensure_created()
        wf = self.workflow
        remote = getattr(wf.executor, "cancel", None)
        if remote is not None and await remote(self):
            return  # a distributed executor delivered the cancel to the live execution
        if await cancel_stored(self):  # (a run executing in another process is fenced)
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

    # -- the drive ------------------------------------------------------------------------
    async def _drive(
        self,
        plan: ExecutionPlan,
        input_data: Any,
        rc: RequestContext,
        tracing_options: Mapping[str, Any] | None,
        opts: _Options,
        claim: RunRecord | None = None,
    ) -> WorkflowResult:
        """Walks the plan a claim made, in this process (see `_drive.drive`; `claim` is a deferred
        insert of the run), or hands it to an executor that walks it elsewhere (one with a `drive`
        hook: stepstream.temporal)."""
        remote = getattr(self.workflow.executor, "drive", None)
        if remote is not None:
            result: WorkflowResult = await remote(self, plan, input_data, rc, tracing_options, opts)
            return result
        return await drive(self, plan, input_data, rc, tracing_options, opts, claim)

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


async def _driven(claim: Awaitable[Claimed]) -> WorkflowResult:
    """Claims, then drives what the claim decided; returns the run's result."""
    return await (await claim)
