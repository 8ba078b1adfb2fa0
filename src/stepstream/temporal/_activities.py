"""The activities of stepstream on Temporal: a step attempt, and a batch of storage writes.

Both first do the writes the walk deferred (step records with their events, status
changes), each conditional on the execution's owner token: a run canceled or taken over
elsewhere refuses them, and the activity reports `fenced` without running anything.
The attempt then runs the step body in this worker, exactly as `LocalHost` does
(validation, a sync body in a thread, output validation), heartbeating meanwhile, so a
dead worker's step is retried on another one after the heartbeat timeout, and a cancel
reaches the step at its next await.

A retried activity may find its writes done already (the worker died after committing
them): events below the log's end are left out, and records are upserts, so nothing is
written twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from .._schema import to_json
from .._serialize import serialize_error
from ..engine._attempt import run_attempt
from ..engine._executor import LevelWalk
from ..engine._host import AttemptRequest
from ..engine._local import LocalHost, default_executor
from ..engine._state import RunExecution, Sink, _Attempt
from ..errors import NonRetryableError, ValidationError, WorkflowNotFoundError
from ..events import WorkflowEvent
from ..request_context import RequestContext
from ..results import StepResult
from ..step import Step
from ..storage.base import LoggedEvent, Storage
from ..workflow.builder import Workflow
from ._siblings import Siblings, siblings
from ._tracing import step_outcome, step_span

HEARTBEAT_SECONDS = 1.0
"""The longest gap between two heartbeats of a running step (a third of the timeout if shorter).
A cancel reaches a running step in the answer to a heartbeat, so this is also how late a
canceled agent goes on calling its model (with the worker's throttle, `create_worker`)."""


CANCEL_GRACE_SECONDS = 10.0
"""How long a canceled step may take to end (a sync step cannot be interrupted) before its
activity reports the cancel without its result."""


class _Collect(Sink):
    """The events a step emits in its activity (writer output): kept for the walk to number,
    or, when the walk hands the log's next offsets to this attempt (`live`), appended to the
    run's log as they come, so streams show them while the step runs."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        #: (storage, workflow id, run id, owner) when live
        self.live: tuple[Storage, str, str, str | None] | None = None
        #: the offset the next live event gets
        self.next = 0
        self.fenced = False
        self._buffer: list[dict[str, Any]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def go_live(self, storage: Storage, workflow_id: str, run_id: str, owner: str | None, offset: int) -> None:
        """Appends from `offset` on (after what an earlier try of this attempt appended)."""
        if activity.info().attempt > 1:
            page = await storage.read_events(workflow_id, run_id, limit=0)
            offset = max(offset, page.next_offset if page is not None else 0)
        self.live, self.next = (storage, workflow_id, run_id, owner), offset

    def push(self, event: WorkflowEvent) -> None:
        if self.live is None:
            self.events.append(event.to_dict())
            return
        self._buffer.append(event.to_dict())
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        """Appends what is buffered, in order, one batch per write."""
        assert self.live is not None
        storage, workflow_id, run_id, owner = self.live
        while self._buffer and not self.fenced:
            batch, self._buffer = self._buffer, []
            events = [LoggedEvent(self.next + i, data) for i, data in enumerate(batch)]
            if await storage.append_events(workflow_id, run_id, events, expected_owner=owner) is False:
                self.fenced = True  # another execution owns the run now
                return
            self.next += len(batch)

    async def close(self) -> None:
        """Waits for the live appends (a failed one fails the activity, which is retried)."""
        if self._flusher is not None:
            await self._flusher


async def apply_ops(storage: Storage, workflow_id: str, run_id: str, owner: str | None, ops: list[dict[str, Any]]) -> bool:
    """Does the walk's deferred writes in order; False (stopping there) if one is refused."""
    floor = 0
    if ops and (activity.info().attempt > 1 or ops[0].get("maybeDone")) and storage.keeps_events:
        page = await storage.read_events(workflow_id, run_id, limit=0)  # a retry: what the last attempt wrote stays
        floor = page.next_offset if page is not None else 0
    for op in ops:
        events = [LoggedEvent(offset, data) for offset, data in op.get("events") or () if offset >= floor]
        kind = op["op"]
        if kind == "step":
            record = StepResult.from_dict(op["record"])
            record.json_ready = True
            ok = await storage.save_step(workflow_id, run_id, op["key"], record, op.get("changes"), expected_owner=owner, events=events)
        elif kind == "run":
            ok = await storage.update_run(workflow_id, run_id, op["changes"], expected_owner=owner, events=events)
        elif kind == "events":
            ok = await storage.append_events(workflow_id, run_id, events, expected_owner=owner) if events else True
        else:
            await storage.delete_steps(workflow_id, run_id, op["keys"])
            ok = True
        if ok is False:
            return False
    return True


def locate(top: Workflow, prefix: str, step_id: str) -> tuple[Workflow, Step]:
    """The workflow level a step attempt runs in (from its record prefix `outer.each[2].`) and the step."""
    level = top
    for segment in prefix.split(".")[:-1]:
        nested = level.steps_by_id.get(segment.split("[", 1)[0])
        if not isinstance(nested, Workflow):
            raise _fatal(f"workflow {top.id!r} has no nested workflow at {prefix!r} on this worker")
        level = nested
    step = level.steps_by_id.get(step_id)
    if step is None:
        raise _fatal(f"workflow {level.id!r} has no step {step_id!r} on this worker (is the worker's code older?)")
    return level, step


def _fatal(message: str) -> ApplicationError:
    return ApplicationError(message, type="StepstreamWorkerMismatch", non_retryable=True)


class Activities:
    """The activities a worker of `app` runs (registered by `create_worker`)."""

    def __init__(self, app: Any):
        self.app = app

    def _workflow(self, workflow_id: str) -> Workflow:
        try:
            wf: Workflow = self.app.get_workflow(workflow_id)
        except WorkflowNotFoundError as exc:
            raise _fatal(f"this worker's app has no workflow {workflow_id!r}") from exc
        return wf

    @activity.defn(name="stepstream.write")
    async def write(self, args: dict[str, Any]) -> dict[str, Any]:
        """The walk's deferred writes (a status change, the final write of the execution)."""
        wf = self._workflow(args["workflowId"])
        storage = wf.storage
        if await apply_ops(storage, wf.id, args["runId"], args.get("owner"), args["ops"]):
            if args.get("logEnd"):
                page = await storage.read_events(wf.id, args["runId"], limit=0)
                return {"logEnd": page.next_offset if page is not None else 0}
            return {}
        out: dict[str, Any] = {"fenced": True}
        if args.get("load"):
            record = await storage.load_run(wf.id, args["runId"])
            out["status"] = record.status if record is not None else "deleted"
        return out

    @activity.defn(name="stepstream.attempt")
    async def attempt(self, args: dict[str, Any]) -> dict[str, Any]:
        """The deferred writes, then one attempt of one step body (heartbeating throughout)."""
        aborts: list[RunExecution] = []
        return await _heartbeating(aborts, self._attempt(args, aborts))

    async def _attempt(self, args: dict[str, Any], aborts: list[RunExecution]) -> dict[str, Any]:
        number = args.get("number")
        if number is None:  # scheduled by an older walk
            return await self._run(args, aborts, None)
        info = activity.info()
        with siblings(f"{info.workflow_id}/{info.workflow_run_id}") as sib:
            sib.arrived(number)
            try:
                return await self._run(args, aborts, sib)
            finally:
                sib.entered(number)

    async def _run(self, args: dict[str, Any], aborts: list[RunExecution], sib: Siblings | None) -> dict[str, Any]:
        top = self._workflow(args["workflowId"])
        if not await apply_ops(top.storage, top.id, args["runId"], args.get("owner"), args["ops"]):
            return {"fenced": True}
        level, step = locate(top, args["prefix"], args["stepId"])
        ex, sink = await self._execution(top, level, args)
        request = AttemptRequest(
            ex,
            step,
            args["key"],
            args["value"],
            resume_data=_resume_data(level, step, args.get("resumeData")),
            suspend_data=args.get("suspendData"),
            retry_count=int(args.get("retryCount") or 0),
            iteration=args.get("iteration"),
        )
        number = args.get("number")
        if sib is not None and number is not None:
            after = args.get("after")
            if after is not None:
                await sib.wait_entered(after)  # bodies enter in the walk's order, as in-process
            sib.watch(number, ex.rs.state, args.get("pending") or [])
        live = args.get("liveFrom")
        if live is not None and top.storage.keeps_events:
            await sink.go_live(top.storage, top.id, args["runId"], args.get("owner"), int(live))
        aborts.append(ex.rs)  # a cancel from now on interrupts the step (see `_heartbeating`)
        with step_span(args.get("trace"), args["key"], args["prefix"] + args["key"], args["value"]) as span:
            att, ran = await _timed(request, sib if number is not None else None, number or 0)
            await sink.close()
            if sink.fenced:
                return {"fenced": True}
            out = _attempt_json(ex, args["key"], att, sink)
            out["ranMs"] = ran
            if sink.live is not None:
                out["loggedTo"] = sink.next
            step_outcome(span, att.status, out["value"])
        return out

    async def _execution(self, top: Workflow, level: Workflow, args: dict[str, Any]) -> tuple[LevelWalk, _Collect]:
        """The step's level of the run, as the walk has it: records and input from storage
        (the deferred writes are done), state and request context from the walk."""
        storage = top.storage
        record = await storage.load_run(top.id, args["runId"])
        sink = _Collect()
        rs = RunExecution(
            run_id=args["runId"],
            workflow_id=top.id,
            storage=storage,
            request_context=RequestContext(args.get("requestContext") or {}),
            state=dict(args.get("state") or {}),
            records=dict(record.steps) if record is not None else {},
            sinks=[sink],
            resource_id=args.get("resourceId"),
            restarting=bool(args.get("restarting")),
        )
        rs.log = False
        rs.shared = False
        rs.app = self.app
        rs.host = LocalHost(default_executor(), rs)
        prefix = args["prefix"]
        init = args.get("init") if prefix else (record.input if record is not None else None)
        if level.validate_inputs:
            try:
                init = level._in.validate(init, "stored input")
            except ValidationError:
                pass
        return LevelWalk(rs, level, prefix, init, replay=True), sink


async def _timed(request: AttemptRequest, sib: Siblings | None, number: int) -> tuple[_Attempt, float]:
    """Runs the attempt; returns it and how long it ran (ms). With `sib`, the next sibling
    may enter its body once this one's first stretch has run, and its state updates reach
    the siblings running here when it ends."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    body = asyncio.ensure_future(run_attempt(request.ex.rs.host, request))  # type: ignore[arg-type]
    if sib is None:
        att = await body
        return att, (loop.time() - began) * 1000
    try:
        await asyncio.sleep(0)  # the body's first stretch runs before the next sibling's
        sib.entered(number)
        att = await body
    except BaseException:
        sib.ended_with(number, "canceled", None)
        raise
    sib.ended_with(number, att.status, att.state_updates)
    return att, (loop.time() - began) * 1000


def _resume_data(level: Workflow, step: Step, data: Any) -> Any:
    """The resume data as the claim validated it (it crossed Temporal as JSON)."""
    if data is None or not level.validate_inputs or step.resume_schema is None:
        return data
    try:
        return step._resume.validate(data, "Invalid resume data")
    except ValidationError:
        return data


async def _heartbeating(aborts: list[RunExecution], work: Any) -> dict[str, Any]:
    """Awaits the activity's work, heartbeating. A cancel of the activity aborts the step
    (`aborts` holds its run state once it runs), which may still return its own result."""
    task: asyncio.Task[dict[str, Any]] = asyncio.ensure_future(work)
    info = activity.info()
    every = HEARTBEAT_SECONDS
    if info.heartbeat_timeout is not None:
        every = min(every, max(info.heartbeat_timeout.total_seconds() / 3, 0.05))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            if not info.is_local:
                activity.heartbeat()
    except asyncio.CancelledError:
        if not aborts:
            task.cancel()  # not running the step yet: stop here
        for rs in aborts:
            rs.request_abort()  # interrupts the step at its await: the attempt ends canceled
        await asyncio.wait({task}, timeout=CANCEL_GRACE_SECONDS)
        if task.done() and not task.cancelled() and task.exception() is None:
            return task.result()
        raise


def _attempt_json(ex: LevelWalk, key: str, att: _Attempt, sink: _Collect) -> dict[str, Any]:
    """The attempt as the walk takes it back (`TemporalHost._attempt_of`)."""
    rs = ex.rs
    out: dict[str, Any] = {
        "status": att.status,
        "payload": to_json(att.payload),
        "stateUpdates": to_json(att.state_updates) if att.state_updates else None,
        "labels": att.labels,
        "retryable": att.retryable,
        "events": sink.events,
    }
    if att.status == "failed":
        exc = att.value
        if att.retryable and isinstance(exc, ValidationError):
            ex._located(exc, key)
        out["value"] = serialize_error(exc)
        out["nonRetryable"] = isinstance(exc, NonRetryableError)
    else:
        out["value"] = att.value
    if rs.usage:
        out["usage"] = dict(rs.usage)
    if rs.request_context._version:
        out["requestContext"] = to_json(rs.request_context.all)
    if rs.aborted:
        out["aborted"] = True
    return out
