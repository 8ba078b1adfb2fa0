"""Driving one execution plan in this process, and settling the run when the walk ends.

`drive` sets up what every level of the walk shares (`RunExecution`: storage, sinks,
interceptors, the executor's host), walks the top level (`_executor.LevelWalk`), then
settles: the run's result, its final write (fenced by the owner token), its closing
events, and `on_finish`.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._raw_json import RawJSON
from .._schema import to_json
from .._serialize import serialize_error
from .._suspend_meta import strip_meta
from ..errors import RunStateError, StepstreamError, StorageError, ValidationError
from ..events import EMPTY_USAGE, WORKFLOW_CANCELED, WORKFLOW_FINISH, WORKFLOW_PAUSED, WORKFLOW_START, WorkflowEvent
from ..request_context import RequestContext
from ..results import WorkflowResult
from ..storage.base import RunChanges, RunRecord
from ..types import TERMINAL_STATUSES
from ..workflow.plan import ForeachNode
from . import _intercept as intercept
from ._executor import LevelWalk
from ._foreach_items import show_items, views_of
from ._lifecycle import call_on_finish
from ._local import default_executor
from ._options import _Options
from ._plan import ExecutionPlan
from ._state import Fenced, RunExecution, public_labels
from ._step_events import NO_RESULT, RunFinished

if TYPE_CHECKING:
    from .run import Run


async def drive(
    run: Run,
    plan: ExecutionPlan,
    input_data: Any,
    rc: RequestContext,
    tracing_options: Mapping[str, Any] | None,
    opts: _Options,
    claim: RunRecord | None = None,
) -> WorkflowResult:
    """Walks one execution: `input_data` and `rc` are the plan's input and request
    context as the caller gave them (a typed input, a live `RequestContext`); `claim`
    is the run's insert, deferred to its first write (`RunState.claim`)."""
    rs = _run_state(run, plan, input_data, rc, tracing_options)
    rs.claim = claim
    run._active = rs
    run._idle.busy = True
    run.status = "running"
    try:
        if rs.emitting:
            rs.emit(WORKFLOW_START, {"workflowId": run.workflow_id})
        return await _walk(run, rs, plan, input_data, opts)
    finally:
        rs.host.close()
        rs.stop_flushing()
        if rs.interceptors:
            intercept.execution_closed(rs, sys.exc_info()[1])
        run._active = None
        run._idle.set()


def _run_state(
    run: Run, plan: ExecutionPlan, input_data: Any, rc: RequestContext, tracing_options: Mapping[str, Any] | None
) -> RunExecution:
    """What every level of the walk shares, with the execution's interceptors and the executor's host."""
    wf = run.workflow
    rs = RunExecution(
        run_id=run.run_id,
        workflow_id=wf.id,
        storage=wf.storage,
        request_context=rc,
        state=dict(plan.state),
        records=dict(plan.records),
        sinks=run._sinks,
        resource_id=run.resource_id,
        restarting=plan.restarting,
    )
    executor = wf.executor or default_executor()
    candidates = intercept.configured(executor)
    if candidates:
        intercept.open_for(run, rs, candidates, plan, input_data, tracing_options)
    rs.owner = plan.owner
    rs.next_offset = plan.next_offset
    rs.app = wf.app
    rs.host = executor.host(rs)
    if plan.stored_labels:
        rs.stored_labels = dict(plan.stored_labels)
    if plan.canceled:
        rs.abort_event.set()
    return rs


async def _walk(run: Run, rs: RunExecution, plan: ExecutionPlan, input_data: Any, opts: _Options) -> WorkflowResult:
    """Walks the top level, stores the outcome and tells this process's readers."""
    final: list[WorkflowEvent] = []
    targets, time_travel = plan.walk_targets(), plan.walk_time_travel()
    ex = LevelWalk(rs, run.workflow, "", input_data, replay=plan.replay, targets=targets, time_travel=time_travel, per_step=plan.per_step)
    try:
        try:
            status, value = await ex.run(_first_value(run, plan.input))
        except StepstreamError as exc:
            status, value = "failed", None
            ex.error = exc
        await show_items(ex)
        result = _result(run, rs, ex, status, value, input_data)
        result.include_state, result.include_resume_labels = opts.include_state, opts.include_resume_labels
        output = to_json(result.result)  # once, for the closing event and the stored run
        final = _finish_events(rs, result, output)  # numbered now, stored with the final status
        await _persist(run, rs, result, output, ex.labels if result.status == "suspended" else {})
    except Fenced:
        rs.discard(final)  # refused with the final status: never stored, never shown
        result = await _fenced(run, rs)
        final = _finish_events(rs, result, to_json(result.result))
    _finished(rs, result, final)
    await call_on_finish(run, result, rs)
    if result.status == "failed":
        _drop_locals(ex, rs)
    return result


def _drop_locals(ex: LevelWalk, rs: RunExecution) -> None:
    """A failed run's exceptions keep their tracebacks (to print, to serialize), not the
    locals of their frames: the frame of the step that raised holds the walk, so the run's
    whole state stayed in a reference cycle until a collection found it (a full one, once a
    long run's state had reached the oldest generation)."""
    seen: set[int] = set()
    for error in (ex.error, *(r.error for r in rs.records.values() if r.status == "failed")):
        exc = error
        while isinstance(exc, BaseException) and id(exc) not in seen:
            seen.add(id(exc))
            traceback.clear_frames(exc.__traceback__)
            exc = exc.__cause__ or exc.__context__


def _first_value(run: Run, value: Any) -> Any:
    """The value the walk's first node gets: the run's input. A resumed run's, read as its
    text (`RawJSON`), stays unparsed for a foreach that comes first (a resume of one of its
    items reads one item of it); any other node gets it parsed."""
    graph = run.workflow.graph
    if type(value) is RawJSON and not (graph and type(graph[0]) is ForeachNode):
        return value.value
    return value


def _result(run: Run, rs: RunExecution, ex: LevelWalk, status: str, value: Any, input_data: Any) -> WorkflowResult:
    result_value = None
    if status == "bailed":
        status, result_value = "success", value
    elif status == "success":
        result_value = value
    wf = run.workflow
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
    steps = ex.steps
    return WorkflowResult(
        status,  # type: ignore[arg-type]
        run_id=run.run_id,
        workflow_id=run.workflow_id,
        steps=dict(steps),
        input=input_data,
        result=result_value,
        error=error,
        suspended=suspended,
        suspend_payload=payloads,
        state=dict(rs.state),
        step_execution_path=list(ex.executed),
        resume_labels=public_labels(labels),
        trace_id=rs.trace[0] if rs.trace is not None else None,
        span_id=rs.trace[1] if rs.trace is not None else None,
    )


async def _persist(run: Run, rs: RunExecution, result: WorkflowResult, output: Any, labels: dict[str, Any]) -> None:
    wf = run.workflow
    changes: RunChanges = {
        "status": result.status,
        "result": output,
        "error": result.error,
        "suspended": result.suspended,
        "resume_labels": to_json(labels),  # stored with each label's full path
        "state": dict(rs.state),
        "request_context": rs.request_context.stored(),
    }
    if rs.trace is not None and result.status == "suspended":
        changes["tracing_context"] = {"traceId": rs.trace[0], "spanId": rs.trace[1]}
    storage = wf.storage
    written: bool | None
    try:
        if rs.deferred is not None:
            key, record = rs.deferred
            rs.deferred = None
            written = await rs.host.save_step(key, record, changes)  # in memory: one call, no await
        else:
            written = await rs.write(lambda events: storage.update_run(wf.id, run.run_id, changes, expected_owner=rs.owner, events=events))
    except Exception as exc:
        raise StorageError(
            f"Run {run.run_id!r} of workflow {wf.id!r} ended {result.status!r} but its final status could not be stored: {exc}"
        ) from exc
    if written is False:
        raise Fenced
    run.status = result.status
    run._views = views_of(result.steps)
    if result.status in TERMINAL_STATUSES:
        wf._runs.pop(run.run_id, None)


async def _fenced(run: Run, rs: RunExecution) -> WorkflowResult:
    """This execution lost the run (canceled or restarted by another process): it wrote
    nothing more. A cancel ends it as canceled; a takeover is an error for the caller."""
    wf = run.workflow
    rs.request_abort()
    record = await wf.storage.load_run(wf.id, run.run_id)
    if record is not None and record.status == "canceled":
        run.status = "canceled"
        result = run.result_from_record(record)
        wf._runs.pop(run.run_id, None)
        return result
    if record is None:
        raise RunStateError(f"Run {run.run_id!r} of workflow {wf.id!r} was deleted while it ran; this execution stopped")
    raise RunStateError(
        f"Run {run.run_id!r} of workflow {wf.id!r} was taken over by another execution (it is {record.status!r} there); "
        "this one stopped without writing anything more"
    )


def _finish_events(rs: RunExecution, result: WorkflowResult, output: Any) -> list[WorkflowEvent]:
    """The run's closing events, numbered but not yet delivered (`output`: the result as JSON)."""
    if not rs.emitting:
        return []
    events: list[WorkflowEvent] = []
    if result.status == "canceled":
        events.append(rs.emit(WORKFLOW_CANCELED, {}, deliver=False))
    elif result.status == "paused":
        events.append(rs.emit(WORKFLOW_PAUSED, {}, deliver=False))
    elif rs.quiet:  # the log is the only reader: an entry that builds its JSON when read
        RunFinished(rs, result.status, _usage(rs) if rs.usage else None, output if result.status == "success" else NO_RESULT)
        return events
    usage = _usage(rs)
    payload: dict[str, Any] = {"workflowStatus": result.status, "output": {"usage": usage}, "metadata": {}}
    if result.status == "success":
        payload["finalWorkflowResult"] = output
    events.append(rs.emit(WORKFLOW_FINISH, payload, deliver=False))
    return events


def _usage(rs: RunExecution) -> dict[str, int]:
    """The run's token usage as its `workflow-finish` event shows it."""
    usage = dict(EMPTY_USAGE)
    for key, value in rs.usage.items():
        usage[key] = usage.get(key, 0) + value
    return usage


def _finished(rs: RunExecution, result: WorkflowResult, final: list[WorkflowEvent]) -> None:
    """Ends the run span, then delivers the closing events and the result to this process's readers."""
    if rs.interceptors:
        intercept.execution_ended(rs, result.status, result.result, result.error)
    for event in final:
        rs.release(event)
    for sink in list(rs.sinks):
        sink.finished(result, dict(rs.usage))
