"""The engine's side of interceptors: which ones an execution gets, and their inputs.

The walk calls these helpers only when `RunExecution.interceptors` is not empty, so an
execution without interceptors pays one empty-tuple check per hook point. The
inputs carry JSON data and ids (see `stepstream.interceptors`); nothing here hands
an interceptor the walk itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import tracing
from .._raw_json import RawJSON
from .._schema import to_json
from .._serialize import serialize_error
from .._suspend_meta import strip_meta
from ..interceptors import (
    CloseExecutionInput,
    ConcurrencyInput,
    ConditionsInput,
    EndExecutionInput,
    EndNodeInput,
    EndSleepInput,
    EndStepInput,
    Entry,
    ExecutionInterceptor,
    Interceptor,
    LoopConditionInput,
    Operation,
    StartExecutionInput,
    StartNodeInput,
    StartSleepInput,
    StartStepInput,
)
from ..results import StepResult, typed_input
from ..workflow.builder import Workflow
from ..workflow.plan import ConditionalNode, EntryOptions, ForeachNode, LoopNode, Node, ParallelNode, SleepNode

if TYPE_CHECKING:
    from ..step import Step
    from ._executor import LevelWalk
    from ._plan import ExecutionPlan
    from ._state import RunExecution, _Attempt
    from .run import Run


def configured(executor: Any) -> tuple[Interceptor, ...]:
    """The executor's interceptors, then the OpenTelemetry one when tracing may be on
    (unless the executor has its own tracing interceptor)."""
    mine: tuple[Interceptor, ...] = tuple(getattr(executor, "interceptors", ()) or ())
    default = tracing.default_interceptors()
    if default and any(getattr(i, "is_tracing", False) for i in mine):
        default = ()
    return mine + default if mine else default


def open_execution(candidates: tuple[Interceptor, ...], start: StartExecutionInput) -> tuple[ExecutionInterceptor, ...]:
    """The execution interceptors of one execution (those that want it)."""
    found = (i.intercept_execution(start) for i in candidates)
    return tuple(x for x in found if x is not None)


def open_for(
    run: Run,
    rs: RunExecution,
    candidates: tuple[Interceptor, ...],
    plan: ExecutionPlan,
    input_data: Any,
    tracing_options: Mapping[str, Any] | None,
) -> None:
    """Opens the interceptors of one execution of `run`; keeps the trace they record in."""
    rs.interceptors = open_execution(candidates, start_input(run, plan, input_data, rs.request_context.all, tracing_options))
    rs.trace = trace_of(rs.interceptors)
    rs.trace_stored = rs.trace is None


def start_input(
    run: Run, plan: ExecutionPlan, input_data: Any, request_context: Mapping[str, Any], tracing_options: Mapping[str, Any] | None
) -> StartExecutionInput:
    """What `intercept_execution` learns of one execution (any executor can build it from its plan)."""
    operation: Operation = "start"
    if plan.time_travel is not None:
        operation = "time_travel"
    elif plan.restarting:
        operation = "restart"
    elif plan.targets:
        operation = "resume"
        input_data = plan.targets[0].resume_data
    policy = run.tracing_policy or run.workflow.tracing_policy
    return StartExecutionInput(
        workflow_id=run.workflow_id,
        run_id=run.run_id,
        resource_id=run.resource_id,
        operation=operation,
        input=to_json(typed_input(input_data)),
        tracing_options=dict(tracing_options or {}),
        request_context=request_context,
        tracing_context=plan.tracing_context,
        internal_spans=int(policy.get("internal", 0)) if policy else 0,
    )


def trace_of(hooks: tuple[ExecutionInterceptor, ...]) -> tuple[str, str] | None:
    """(trace id, span id) of the first execution interceptor that records a trace."""
    for i in hooks:
        if i.trace_id is not None and i.span_id is not None:
            return (i.trace_id, i.span_id)
    return None


def _error(value: Any) -> tuple[Mapping[str, Any] | None, BaseException | None]:
    """A failure as (serialized error, live exception)."""
    if value is None:
        return None, None
    return serialize_error(value), value if isinstance(value, BaseException) else None


def entry(options: EntryOptions | None) -> Entry | None:
    if not options:
        return None
    return Entry(options.id, options.description, to_json(options.metadata) if options.metadata is not None else None)


# -- execution ---------------------------------------------------------------------------
def execution_ended(rs: RunExecution, status: str, result: Any, error: Any) -> None:
    inp = EndExecutionInput(status, to_json(result) if status == "success" else None, error, dict(rs.usage))
    for i in rs.interceptors:
        i.end_execution(inp)


def execution_closed(rs: RunExecution, exception: BaseException | None) -> None:
    inp = CloseExecutionInput(exception)
    for i in rs.interceptors:
        i.close_execution(inp)


# -- steps -------------------------------------------------------------------------------
def step_started(ex: LevelWalk, step: Step, value: Any, index: int | None = None) -> None:
    nested = step.id if isinstance(step, Workflow) else None
    options = getattr(step, "entry", None)
    inp = StartStepInput(ex.prefix + step.id, step.id, ex.prefix, value, index, entry(options) if options else None, nested)
    for i in ex.rs.interceptors:
        i.start_step(inp)


def step_ended(ex: LevelWalk, key: str, record: StepResult) -> None:
    status = record.status
    error, exception = _error(record.error) if status == "failed" else (None, None)
    suspended = strip_meta(record.suspend_payload) if status == "suspended" else None
    iteration = record.metadata.get("iterationCount") if record.metadata else None
    # positional: this runs for every step while tracing is on
    inp = EndStepInput(
        ex.prefix + key, key, ex.prefix, status, record.output, suspended, error, exception, None, record.resumed_at is not None, iteration
    )
    for i in ex.rs.interceptors:
        i.end_step(inp)


def item_started(ex: LevelWalk, step: Step, value: Any, index: int) -> None:
    """`start_step` for one foreach item (the check is here: a foreach item costs far more than a call)."""
    if ex.rs.interceptors:
        step_started(ex, step, value, index)


def item_ended(ex: LevelWalk, key: str, index: int, att: _Attempt) -> None:
    if not ex.rs.interceptors:
        return
    status, value = att.status, att.value
    error, exception = _error(value) if status == "failed" else (None, None)
    inp = EndStepInput(
        path=ex.prefix + key,
        step_id=key,
        prefix=ex.prefix,
        status=status,
        output=value if status == "success" else None,
        suspend_payload=strip_meta(value) if status == "suspended" else None,
        error=error,
        exception=exception,
        foreach_index=index,
    )
    for i in ex.rs.interceptors:
        i.end_step(inp)


# -- parallel, conditional, loops, sleep --------------------------------------------------
def node_started(ex: LevelWalk, node: Node, value: Any) -> StartNodeInput | None:
    """Calls `start_node` for a composite node that runs; None for a replayed one."""
    if ex.replayed(node):
        return None
    concurrency = items = None
    if isinstance(node, ParallelNode):
        kind: Any = "parallel"
    elif isinstance(node, ConditionalNode):
        kind = "conditional"
    elif isinstance(node, LoopNode):
        kind = node.kind
    elif isinstance(node, ForeachNode):
        kind = "foreach"
        concurrency = node.concurrency if not callable(node.concurrency) else None  # a function's: `concurrency_resolved`
        prev = ex.steps.get(node.step.id) if ex.replay else None
        listed = prev.payload if prev is not None and prev.status == "suspended" else value
        items = len(listed) if isinstance(listed, (list, tuple, RawJSON)) else None
    else:
        return None
    inp = StartNodeInput(kind, ex.prefix, node.ids, entry(node.entry), concurrency, items)
    for i in ex.rs.interceptors:
        i.start_node(inp)
    return inp


def node_ended(ex: LevelWalk, started: StartNodeInput, status: str | None, exception: BaseException | None = None) -> None:
    error = None
    if status == "failed":
        error, exception = _error(ex.error)
    inp = EndNodeInput(started.kind, started.prefix, started.step_ids, status, error, exception)
    for i in ex.rs.interceptors:
        i.end_node(inp)


def sleep_started(ex: LevelWalk, node: SleepNode, seconds: float) -> None:
    until, duration = node.until, node.duration
    inp = StartSleepInput(
        path=ex.prefix + node.id,
        step_id=node.id,
        prefix=ex.prefix,
        seconds=seconds,
        duration_ms=float(duration) if until is None and isinstance(duration, (int, float)) else None,
        until=until.isoformat() if until is not None and not callable(until) else None,
        kind="sleep" if until is None else "sleep_until",
        dynamic=callable(until) or callable(duration),
        entry=entry(node.entry),
    )
    for i in ex.rs.interceptors:
        i.start_sleep(inp)


def sleep_ended(ex: LevelWalk, node: SleepNode, status: str) -> None:
    inp = EndSleepInput(ex.prefix + node.id, status)
    for i in ex.rs.interceptors:
        i.end_sleep(inp)


def conditions_evaluated(ex: LevelWalk, node: ConditionalNode, verdicts: list[bool]) -> None:
    inp = ConditionsInput(ex.prefix, node.ids, tuple(bool(v) for v in verdicts))
    for i in ex.rs.interceptors:
        i.conditions_evaluated(inp)


def loop_condition_checked(ex: LevelWalk, node: LoopNode, iteration: int, holds: bool) -> None:
    inp = LoopConditionInput(ex.prefix + node.step.id, node.kind, iteration, holds)
    for i in ex.rs.interceptors:
        i.loop_condition_checked(inp)


def concurrency_resolved(ex: LevelWalk, node: ForeachNode, concurrency: int) -> None:
    inp = ConcurrencyInput(ex.prefix + node.step.id, concurrency)
    for i in ex.rs.interceptors:
        i.concurrency_resolved(inp)


async def walk_node(ex: LevelWalk, node: Node, value: Any) -> tuple[str, Any]:
    """`ex._walk_node` between the interceptors' `start_node` and `end_node`."""
    started = node_started(ex, node, value)
    if started is None:
        return await ex._walk_node(node, value)
    try:
        status, out = await ex._walk_node(node, value)
    except BaseException as exc:
        node_ended(ex, started, None, exc)
        raise
    node_ended(ex, started, status)
    return status, out
