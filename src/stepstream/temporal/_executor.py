"""`TemporalExecutor`: runs stepstream executions as Temporal workflow executions.

`Stepstream(..., executor=TemporalExecutor(client, task_queue="stepstream"))`. Every `Run`
verb claims the run as it does in-process (compare-and-set, a new owner token), then,
instead of walking it here, starts one Temporal workflow execution with the plan the claim
made; a worker (`run_worker`, `stepstream worker APP`) walks it. This process follows the
run through its event log (streams, watchers) and rebuilds the result the walk returns.
A suspended run's Temporal execution has ended; a resume is a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from ..engine._lifecycle import call_on_finish
from ..engine._plan import ExecutionPlan
from ..errors import RunStateError, StepstreamError, ValidationError
from ..events import EMPTY_USAGE, WORKFLOW_CANCELED, WORKFLOW_FINISH, WorkflowEvent
from ..request_context import RequestContext
from ..results import WorkflowResult
from ..storage.base import Storage
from ._errors import rebuild_error
from ._payloads import data_converter
from ._tracing import close_execution, open_execution

if TYPE_CHECKING:
    from ..engine._options import _Options
    from ..engine.run import Run

WORKFLOW = "stepstream.run"
"""The Temporal workflow type every stepstream execution runs as."""

CANCEL = "stepstream.cancel"
"""The signal that cancels a run's live execution."""

_TAIL_WAIT = 1.0

START_WAIT = 5.0
"""How long a cancel waits for a run being started to have a running Temporal execution."""


def with_converter(client: Client, storage: Storage) -> Client:
    """`client` with stepstream's data converter on `storage` (same connection and namespace)."""
    config = client.config()
    config["data_converter"] = data_converter(storage)
    return Client(**config)


def temporal_id(workflow_id: str, run_id: str, owner: str | None) -> str:
    """The Temporal workflow id of one execution of a stepstream run: the run and the owner
    token its claim took (a resume may start while the execution before it is still closing)."""
    return f"stepstream/{workflow_id}/{run_id}/{(owner or '').rpartition(':')[2]}"


class TemporalExecutor:
    """Runs this app's executions on Temporal workers (see the module docstring).

    `client` is a connected `temporalio.client.Client` or a target address
    (`"127.0.0.1:7233"`, connected on first use). Its data converter is replaced by
    `data_converter(app storage)`, which workers share: large values travel as references.
    `step_timeout` bounds one step attempt; a worker that stops heartbeating for
    `heartbeat_timeout` loses the step to another worker; `max_attempts` bounds Temporal's
    retries of an activity that could not run (a dead worker, storage down), not the step's
    own `retries`. `local_steps=True` runs step attempts as local activities (cheaper, for
    short steps; see docs/temporal.md).
    """

    def __init__(
        self,
        client: Client | str,
        *,
        task_queue: str = "stepstream",
        namespace: str = "default",
        step_timeout: timedelta = timedelta(hours=1),
        heartbeat_timeout: timedelta = timedelta(seconds=30),
        max_attempts: int = 10,
        local_steps: bool = False,
    ):
        if not isinstance(client, Client | str):
            raise TypeError(f"TemporalExecutor: client must be a temporalio Client or an address, got {client!r}")
        if not isinstance(task_queue, str) or not task_queue:
            raise ValueError(f"TemporalExecutor: task_queue must be a non-empty str, got {task_queue!r}")
        self.target = client
        self.task_queue = task_queue
        self.namespace = namespace
        self.step_timeout = step_timeout
        self.heartbeat_timeout = heartbeat_timeout
        self.max_attempts = max_attempts
        self.local_steps = local_steps
        self._clients: dict[int, Client] = {}
        #: runs this process drives now: (workflow id, run id) -> the execution driven
        self._driving: dict[tuple[str, str], _Drive] = {}

    def __repr__(self) -> str:
        return f"TemporalExecutor(task_queue={self.task_queue!r})"

    def config(self) -> dict[str, Any]:
        """The activity options the walk schedules with, as JSON (part of the workflow input)."""
        return {
            "stepTimeout": self.step_timeout.total_seconds(),
            "heartbeatTimeout": self.heartbeat_timeout.total_seconds(),
            "maxAttempts": self.max_attempts,
            "localSteps": self.local_steps,
        }

    async def client(self, storage: Storage) -> Client:
        """The client for an app on `storage`: the given one (or a connection to the given
        address) with stepstream's data converter."""
        known = self._clients.get(id(storage))
        if known is not None:
            return known
        target = self.target
        if isinstance(target, str):
            client = await Client.connect(target, namespace=self.namespace, data_converter=data_converter(storage))
        else:
            client = with_converter(target, storage)
        return self._clients.setdefault(id(storage), client)

    # -- the engine's hooks --------------------------------------------------------------
    async def drive(
        self, run: Run, plan: ExecutionPlan, input_data: Any, rc: RequestContext, tracing_options: Mapping[str, Any] | None, opts: _Options
    ) -> WorkflowResult:
        """Starts the execution on Temporal and waits for it (`Run._drive`'s hook)."""
        wf = run.workflow
        key = (wf.id, run.run_id)
        previous = self._driving.get(key)
        if previous is not None and previous.tail is not None:
            previous.tail.end = plan.next_offset  # it is settling: what follows is this execution's
        drive = self._driving[key] = _Drive()  # a cancel from now on is signaled once the execution starts
        args = {"plan": plan.to_dict(), "resourceId": run.resource_id, "config": self.config(), "taskQueue": self.task_queue}
        run.status = "running"
        run._idle.clear()
        traced = open_execution(run, plan, input_data, rc, tracing_options)  # the run span is current while it starts
        if traced is not None and traced.trace is not None:
            args["trace"] = {"traceId": traced.trace[0], "spanId": traced.trace[1]}
        try:
            client = await self.client(wf.storage)
            handle = await client.start_workflow(
                WORKFLOW,
                args,
                id=temporal_id(wf.id, run.run_id, plan.owner),
                task_queue=self.task_queue,
                result_type=dict,
            )
            drive.handle = handle
            if drive.canceled:  # canceled while it was starting
                await handle.signal(CANCEL)
            tail = drive.tail = _Tail(run, plan.next_offset) if run._sinks and wf.storage.keeps_events else None
            following = asyncio.ensure_future(tail.follow()) if tail is not None else None
            try:
                out = await handle.result()
            except WorkflowFailureError as exc:
                raise StepstreamError(f"Run {run.run_id!r} of workflow {wf.id!r} failed on Temporal: {exc.cause or exc}") from exc
            finally:
                if following is not None:
                    await _stop(following)
            if tail is not None:
                while await tail.read():  # the final write stored the last events with the status
                    pass
            result = await self._settle(run, out, input_data, rc, opts)
            if traced is not None:
                if traced.trace is not None:
                    result.trace_id, result.span_id = traced.trace
                close_execution(traced, result.status, result.result, result.error, out.get("usage"))
                traced = None
            return result
        finally:
            if traced is not None:  # the execution did not settle here (an error)
                close_execution(traced, "failed", None, None, None)
            if self._driving.get(key) is drive:
                del self._driving[key]
            run._idle.set()

    async def cancel(self, run: Run) -> bool:
        """Cancels the run's live Temporal execution (`Run.cancel`'s hook); False if there is none
        (a suspended run, or one never started), so storage marks it canceled.

        A run being started (its claim or its Temporal start under way, here or in another
        process) gets the cancel once its execution runs: within `START_WAIT` seconds, else
        storage marks it canceled and the execution, if it comes, stops at its first write."""
        wf = run.workflow
        key = (wf.id, run.run_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_WAIT
        while True:
            drive = self._driving.get(key)
            if drive is not None:  # this process drives it: cancel its execution (once started)
                drive.canceled = True
                if drive.handle is not None:
                    await drive.handle.signal(CANCEL)
                return True
            record = await wf.storage.load_run(wf.id, run.run_id)
            if record is not None and record.status not in ("running", "waiting"):
                return False
            signaled = await self._signal(wf.storage, temporal_id(wf.id, run.run_id, record.owner)) if record is not None else None
            if signaled is not None:
                return signaled
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)  # no record yet (its insert is under way) or no execution yet

    async def _signal(self, storage: Storage, workflow_id: str) -> bool | None:
        """Signals the cancel to Temporal workflow `workflow_id`; False if it is not running,
        None if there is no such workflow (yet)."""
        client = await self.client(storage)
        handle = client.get_workflow_handle(workflow_id)
        try:
            description = await handle.describe()
            if description.status is None or description.status.name != "RUNNING":
                return False
            await handle.signal(CANCEL)
        except RPCError as exc:
            return None if exc.status == RPCStatusCode.NOT_FOUND else False
        return True

    async def _settle(self, run: Run, out: dict[str, Any], input_data: Any, rc: RequestContext, opts: _Options) -> WorkflowResult:
        """The result the walk returned, as `Run._drive` would have made it here."""
        wf = run.workflow
        if "fenced" in out:
            result = await self._fenced(run, str(out["fenced"]))
        else:
            result = WorkflowResult.from_dict(out["result"], wf.id)
            result.input = input_data
            for record in result.steps.values():
                record.error = rebuild_error(record.error)
            if result.status == "success" and result.result is not None and wf.validate_inputs and wf._out.adapter is not None:
                with contextlib.suppress(ValidationError):
                    result.result = wf._out.validate(result.result, "workflow result")
            result.include_state, result.include_resume_labels = opts.include_state, opts.include_resume_labels
            run.status = result.status
            if result.status in ("success", "failed", "canceled"):
                wf._runs.pop(run.run_id, None)
        usage = dict(out.get("usage") or {})
        for sink in list(run._sinks):
            sink.finished(result, usage)
        await call_on_finish(run, result, _Finished(run, rc))  # type: ignore[arg-type]
        return result

    async def _fenced(self, run: Run, status: str) -> WorkflowResult:
        """The execution lost the run: canceled elsewhere (the result is the stored run), or taken over."""
        wf = run.workflow
        record = await wf.storage.load_run(wf.id, run.run_id)
        if record is not None and record.status == "canceled":
            run.status = "canceled"
            result = run.result_from_record(record)
            wf._runs.pop(run.run_id, None)
            for event in (WorkflowEvent(WORKFLOW_CANCELED, run.run_id, {}), _finish_event(run.run_id, "canceled")):
                for sink in list(run._sinks):
                    sink.push(event)
            return result
        if record is None:
            raise RunStateError(f"Run {run.run_id!r} of workflow {wf.id!r} was deleted while it ran; this execution stopped")
        raise RunStateError(
            f"Run {run.run_id!r} of workflow {wf.id!r} was taken over by another execution (it is {status!r} there); "
            "this one stopped without writing anything more"
        )


def _finish_event(run_id: str, status: str) -> WorkflowEvent:
    payload = {"workflowStatus": status, "output": {"usage": dict(EMPTY_USAGE)}, "metadata": {}}
    return WorkflowEvent(WORKFLOW_FINISH, run_id, payload)


class _Finished:
    """What `call_on_finish` reads of a run state: the resource id and the request context."""

    def __init__(self, run: Run, rc: RequestContext):
        self.resource_id = run.resource_id
        self.request_context = rc


class _Drive:
    """One execution this process drives: its handle once started, a cancel sent meanwhile,
    and the tail that follows its events."""

    __slots__ = ("canceled", "handle", "tail")

    def __init__(self) -> None:
        self.handle: Any = None
        self.canceled = False
        self.tail: _Tail | None = None


class _Tail:
    """Pushes a run's logged events to this process's readers as the worker writes them,
    up to `end` once known: the events from there on are the next execution's (a resume
    started while this one settles), which its own tail pushes."""

    def __init__(self, run: Run, offset: int):
        self.run = run
        self.offset = offset
        self.end: int | None = None

    async def read(self) -> bool:
        """Pushes the events logged from `offset` on (one page); True if there were any."""
        run = self.run
        limit = 500 if self.end is None else min(500, self.end - self.offset)
        if limit <= 0:
            return False
        page = await run.workflow.storage.read_events(run.workflow_id, run.run_id, self.offset, limit)
        if page is None or not page.events:
            return False
        for logged in page.events:
            event = WorkflowEvent.from_dict(logged.data, logged.offset)
            for sink in list(run._sinks):
                sink.push(event)
            self.offset = logged.offset + 1
        return True

    async def follow(self) -> None:
        run = self.run
        while True:
            if not await self.read():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_TAIL_WAIT):
                        await run.workflow.storage.wait_events(run.workflow_id, run.run_id, self.offset)


async def _stop(task: asyncio.Future[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
