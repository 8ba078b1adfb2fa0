"""The walk inside a Temporal workflow: one stepstream execution, driven through a host.

The workflow rebuilds the execution from the plan the claim made (`ExecutionPlan`), then
walks it with the engine's own `LevelWalk` on a `TemporalHost`:

- a step attempt is an activity (`stepstream.attempt`) on any worker of the task queue;
- waits are Temporal timers (`workflow.wait_condition` with a timeout, ended by a cancel);
- the clock and ids come from `workflow.now()` and `workflow.uuid4()`;
- conditions, map, sleep and concurrency functions run inline (they must be deterministic);
- storage writes are activities too, and the cheap ones travel with the next activity:
  a step's record and its events are written by the activity of the step that follows
  (before its body runs) or by the one that ends the execution, so a step costs one
  activity, as a plain Temporal activity chain does.

Nothing here reads a clock, draws a random number or touches storage, so a worker that
replays the workflow's history (after another worker died) walks to the same place.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError, is_cancelled_exception
from temporalio.workflow import ActivityCancellationType

from .._schema import to_json
from ..engine._claim import stored_input
from ..engine._drive import _finish_events, _result
from ..engine._executor import LevelWalk
from ..engine._flow import SIDE_BY_SIDE
from ..engine._host import AttemptRequest
from ..engine._plan import ExecutionPlan
from ..engine._state import Fenced, RunExecution, _Attempt
from ..engine.run import Run
from ..errors import StepstreamError
from ..events import WORKFLOW_START, WorkflowEvent
from ..request_context import RequestContext
from ..results import StepResult
from ..storage.base import LoggedEvent, RunChanges
from ..types import RunStatus
from ._errors import rebuild_error
from ._order import Ordering

ATTEMPT = "stepstream.attempt"
WRITE = "stepstream.write"


class WalkConfig:
    """The activity options the walk schedules with (from `TemporalExecutor`, via the workflow input)."""

    def __init__(self, data: dict[str, Any]):
        self.step_timeout = timedelta(seconds=float(data.get("stepTimeout", 3600)))
        self.heartbeat_timeout = timedelta(seconds=float(data.get("heartbeatTimeout", 30)))
        self.write_timeout = timedelta(seconds=float(data.get("writeTimeout", 60)))
        self.retry = RetryPolicy(maximum_attempts=int(data.get("maxAttempts", 10)), initial_interval=timedelta(milliseconds=200))
        self.local_steps = bool(data.get("localSteps", False))


class TemporalRunState(RunExecution):
    """A `RunExecution` whose events wait for the next write (no flush timer: that would be a
    Temporal timer per quiet spell); every write is an activity, so none is late for long."""

    @property
    def _thread(self) -> int:
        """Always the current thread: Temporal runs a workflow's activations on any of its
        threads (one at a time), so no emit is "from another thread" here."""
        return threading.get_ident()

    @_thread.setter
    def _thread(self, value: int) -> None:
        pass

    def start_flush_timer(self) -> None:
        """None: the next activity takes the events (a timer's flush would be storage I/O in
        the workflow, which Temporal's event loop cannot do)."""

    def _log(self, event: WorkflowEvent, wire: dict[str, Any]) -> None:
        event.offset = self.next_offset
        self.next_offset += 1
        self.pending.append(LoggedEvent(event.offset, wire))

    def relay(self, wire: dict[str, Any]) -> None:
        """An event a step emitted in its activity (writer output): numbered here, in walk order."""
        event = WorkflowEvent.from_dict(wire)
        if self.log:
            self._log(event, wire)
        self._send(event, True)

    def take(self) -> list[list[Any]]:
        """The pending events as JSON (`[offset, data]`), leaving none pending."""
        events, self.pending = self.pending, []
        return [[e.offset, e.data] for e in events]


class TemporalHost:
    """The host of a walk inside a Temporal workflow (see the module docstring)."""

    def __init__(self, rs: TemporalRunState, config: WalkConfig):
        self.rs = rs
        self.config = config
        #: writes not done yet, in walk order; the next activity does them first
        self.ops: list[dict[str, Any]] = []
        #: the run span's ids (the step spans' parent without Temporal's interceptor)
        self.trace: dict[str, Any] | None = None
        #: the run's status when the last flush was refused (None: it was not)
        self.fenced_status: str | None = None
        #: an activity carrying writes is in flight: writes go in log order, so no other
        #: activity takes any until it ends (parallel steps' events wait for the next one)
        self.carrying = False
        #: the next writes may have been done by an activity that did not report back
        self.maybe_done = False
        #: numbers the attempts; hands their results back in the in-process order (`_order`)
        self.order = Ordering()

    def now_ms(self) -> int:
        return int(workflow.now().timestamp() * 1000)

    def new_call_id(self) -> str:
        return str(workflow.uuid4())

    def requeue(self, ops: list[dict[str, Any]]) -> None:
        """Writes an activity carried but may not have done (it failed or was canceled): the next
        activity does them again (`maybeDone`: it leaves out the events the log holds already)."""
        if ops:
            self.ops[:0] = ops
            self.maybe_done = True

    def take_ops(self) -> list[dict[str, Any]]:
        """The deferred writes, then the pending events on their own, as one list of ops."""
        ops, self.ops = self.ops, []
        if ops and self.maybe_done:
            self.maybe_done = False
            ops[0] = {**ops[0], "maybeDone": True}
        events = self.rs.take()
        if events:
            ops.append({"op": "events", "events": events})
        return ops

    async def attempt(self, request: AttemptRequest) -> _Attempt:
        rs = self.rs
        ex = request.ex
        args = {
            "workflowId": rs.workflow_id,
            "levelId": request.workflow_id,
            "runId": rs.run_id,
            "owner": rs.owner,
            "ops": [] if self.carrying else self.take_ops(),
            "prefix": ex.prefix,
            "key": request.key,
            "stepId": request.step.id,
            "value": request.value,
            "init": to_json(ex.init_data) if ex.prefix else None,
            "resumeData": to_json(request.resume_data),
            "suspendData": request.suspend_data,
            "retryCount": request.retry_count,
            "iteration": request.iteration,
            "state": rs.state,
            "requestContext": rs.request_context.all,
            "restarting": rs.restarting,
            "resourceId": rs.resource_id,
            "trace": self.trace,
        }
        carrier = bool(args["ops"])
        if rs.log and not self.order.inflight and not self.carrying and not SIDE_BY_SIDE.get():
            # The only activity in flight, and the walk numbers nothing until it reports (no
            # sibling of a parallel or foreach runs beside it): its writer output takes the
            # log's next offsets, appended live (`_Collect`).
            args["liveFrom"] = rs.next_offset
        self.carrying = self.carrying or carrier
        number, args["after"], args["pending"] = self.order.begin()
        args["number"] = number
        try:
            handle = self._start(ATTEMPT, args, self.config.step_timeout, heartbeat=True)
            # A cancel of the run cancels the activity; the step may still return its own result.
            await workflow.wait_condition(lambda: handle.done() or rs.aborted)
            if not handle.done():
                handle.cancel()
            out = await handle
            if carrier:
                self.carrying = False
                carrier = False
            await self.order.reported(number, out.get("ranMs"))
        except (ActivityError, CancelledError) as exc:
            self.requeue(args["ops"])
            failed: BaseException | None = exc
        else:
            failed = None
        finally:
            self.order.taken_back(number)
            if carrier:
                self.carrying = False
        if failed is not None:
            if "liveFrom" in args:
                await self._resync()  # the failed attempt may have appended output live
            return self._attempt_error(failed, request)
        if out.get("fenced"):
            raise Fenced
        return self._attempt_of(out)

    def _start(self, name: str, args: dict[str, Any], timeout: timedelta, *, heartbeat: bool = False) -> Any:
        """Schedules an activity (a local one with `local_steps`); returns its handle."""
        config = self.config
        if config.local_steps:
            return workflow.start_local_activity(
                name,
                args,
                start_to_close_timeout=timeout,
                retry_policy=config.retry,
                cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        return workflow.start_activity(
            name,
            args,
            start_to_close_timeout=timeout,
            heartbeat_timeout=config.heartbeat_timeout if heartbeat else None,
            retry_policy=config.retry,
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )

    def _attempt_error(self, exc: BaseException, request: AttemptRequest) -> _Attempt:
        payload = to_json(request.value)
        if is_cancelled_exception(exc):
            return _Attempt("canceled", None, payload)
        cause = exc.__cause__ or exc
        message = f"Step {request.path!r} could not run on Temporal: {cause}"
        return _Attempt("failed", rebuild_error({"message": message, "name": type(cause).__name__}, True), payload)

    def _attempt_of(self, out: dict[str, Any]) -> _Attempt:
        rs = self.rs
        logged_to = out.get("loggedTo")
        if logged_to is not None:
            rs.next_offset = max(rs.next_offset, int(logged_to))  # the activity appended its events
        for wire in out.get("events") or ():
            rs.relay(wire)
        for key, value in (out.get("usage") or {}).items():
            rs.usage[key] = rs.usage.get(key, 0) + int(value)
        context = out.get("requestContext")
        if context is not None:
            for key, value in context.items():
                rs.request_context.set(key, value)
        if out.get("aborted"):
            rs.request_abort()
        value = out.get("value")
        if out["status"] == "failed":
            value = rebuild_error(value, bool(out.get("nonRetryable")))
        att = _Attempt(out["status"], value, out.get("payload"), out.get("stateUpdates"), out.get("labels"))
        att.retryable = bool(out.get("retryable"))
        return att

    async def call(self, fn: Callable[[Any], Any], ctx: Any, *, inline: bool = False) -> Any:
        out = fn(ctx)
        if hasattr(out, "__await__"):
            out = await out
        return out

    async def wait(self, seconds: float) -> bool:
        rs = self.rs
        if seconds <= 0:
            return rs.aborted
        try:
            await workflow.wait_condition(lambda: rs.abort_event.is_set(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def save_now(self, key: str, record: StepResult, changes: RunChanges | None) -> bool | None:
        return None  # a write is an activity's op: `save_step` queues it

    async def save_step(self, key: str, record: StepResult, changes: RunChanges | None) -> bool:
        self.ops.append({"op": "step", "key": key, "record": record.to_dict(), "changes": changes, "events": self.rs.take()})
        return True

    async def set_run_status(self, status: RunStatus) -> bool:
        self.ops.append({"op": "run", "changes": {"status": status}, "events": self.rs.take()})
        return await self.flush()

    async def delete_steps(self, keys: list[str]) -> None:
        self.ops.append({"op": "delete", "keys": list(keys)})

    async def flush(self, *, load: bool = False) -> bool:
        """Does the deferred writes now (one activity); False if another execution owns the run.
        With `load`, a refused write also says what the run is now (`self.fenced_status`)."""
        out = await self._write({"load": load})
        self.fenced_status = out.get("status")
        return not out.get("fenced")

    async def _write(self, options: dict[str, Any]) -> dict[str, Any]:
        """The deferred writes, in one `WRITE` activity (after any activity carrying writes)."""
        rs = self.rs
        if self.carrying:
            await workflow.wait_condition(lambda: not self.carrying)
        args = {"workflowId": rs.workflow_id, "runId": rs.run_id, "owner": rs.owner, "ops": self.take_ops(), **options}
        self.carrying = True
        try:
            out: dict[str, Any] = await self._start(WRITE, args, self.config.write_timeout)
        finally:
            self.carrying = False
        return out

    async def _resync(self) -> None:
        """Does the deferred writes and numbers the next events after the log's end (an
        attempt that failed after appending output live did not say how far it got)."""
        out = await self._write({"logEnd": True})
        if out.get("fenced"):
            raise Fenced
        self.rs.next_offset = max(self.rs.next_offset, int(out.get("logEnd") or 0))

    def mark_running(self, key: str, record: StepResult) -> None:
        """No `running` record on Temporal: the step's start event is written when its activity starts."""

    async def settle_running(self, key: str) -> None:
        return None

    async def pace(self) -> None:
        return None

    def close(self) -> None:
        return None


async def walk(app: Any, data: dict[str, Any], control: Any) -> dict[str, Any]:
    """Walks one execution (the Temporal workflow's body); returns what the caller rebuilds
    the result from: the result's JSON, the usage, and the final status write's outcome."""
    plan = ExecutionPlan.from_dict(data["plan"])
    wf = app.get_workflow(plan.workflow_id)
    run = Run(wf, plan.run_id, "running", data.get("resourceId"))
    input_data = stored_input(wf, plan.input)
    rs = TemporalRunState(
        run_id=plan.run_id,
        workflow_id=wf.id,
        storage=wf.storage,
        request_context=RequestContext(plan.request_context),
        state=dict(plan.state),
        records=dict(plan.records),
        sinks=[],
        resource_id=data.get("resourceId"),
        restarting=plan.restarting,
    )
    rs.log = bool(data.get("log", rs.log))
    rs.shared = False
    rs.owner = plan.owner
    rs.next_offset = plan.next_offset
    rs.app = app
    host = TemporalHost(rs, WalkConfig(data.get("config") or {}))
    host.trace = data.get("trace")
    if host.trace is not None:  # stored with the first write, so a restart continues the trace
        rs.trace = (str(host.trace["traceId"]), str(host.trace["spanId"]))
        rs.trace_stored = False
    rs.host = host
    rs.stored_labels = dict(plan.stored_labels)
    control.rs = rs
    if plan.canceled or control.canceled:
        rs.abort_event.set()
    task = asyncio.create_task(_walk(run, rs, host, plan, input_data))
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            rs.request_abort()  # the Temporal execution was canceled: the walk ends canceled


async def _walk(run: Run, rs: TemporalRunState, host: TemporalHost, plan: ExecutionPlan, input_data: Any) -> dict[str, Any]:
    wf = run.workflow
    if rs.emitting:
        rs.emit(WORKFLOW_START, {"workflowId": wf.id})
    ex = LevelWalk(
        rs, wf, "", input_data, replay=plan.replay, targets=plan.walk_targets(), time_travel=plan.walk_time_travel(), per_step=plan.per_step
    )
    try:
        try:
            status, value = await ex.run(plan.input)
        except StepstreamError as exc:
            status, value = "failed", None
            ex.error = exc
        result = _result(run, rs, ex, status, value, input_data)
        _finish_events(rs, result, to_json(result.result))
        written = await _persist(rs, host, result, ex.labels if result.status == "suspended" else {})
    except Fenced:
        written = False
        rs.take()  # refused: the final events were never stored
        await host.flush(load=True)
    out = result_json(rs, result) if written else {"fenced": host.fenced_status or "deleted"}
    return out


async def _persist(rs: TemporalRunState, host: TemporalHost, result: Any, labels: dict[str, Any]) -> bool:
    """The run's final write (`Run._persist`'s, as an activity): the last step's record, if
    it was held for it, with the final status and the closing events."""
    changes: RunChanges = {
        "status": result.status,
        "result": to_json(result.result),
        "error": result.error,
        "suspended": result.suspended,
        "resume_labels": to_json(labels),
        "state": dict(rs.state),
        "request_context": to_json(rs.request_context.all),
    }
    if host.trace is not None and result.status == "suspended":
        changes["tracing_context"] = dict(host.trace)  # a resume continues the trace (a link to this run span)
    if rs.deferred is not None:
        key, record = rs.deferred
        rs.deferred = None
        host.ops.append({"op": "step", "key": key, "record": record.to_dict(), "changes": changes, "events": rs.take()})
    else:
        host.ops.append({"op": "run", "changes": changes, "events": rs.take()})
    return await host.flush(load=True)


def result_json(rs: RunExecution, result: Any) -> dict[str, Any]:
    """What the walk hands back: the result's JSON (with state and labels), and the usage."""
    result.include_state = result.include_resume_labels = True
    return {"result": result.to_dict(), "usage": dict(rs.usage)}
