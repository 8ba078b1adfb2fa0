"""The control-flow nodes of the walk: parallel, branch, and the `dowhile`/`dountil` loops.

Each runs its steps through the `LevelWalk` of its level (`ex.run_step`) and settles
their outcomes into the node's one outcome. Conditions are user functions the host
calls (in a worker thread when they are sync).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ValidationError
from ..results import StepResult
from ..step import Step
from ..workflow.builder import Workflow
from ..workflow.plan import ConditionalNode, LoopNode, ParallelNode
from . import _intercept as intercept
from ._context import EngineStepContext

if TYPE_CHECKING:
    from ._executor import LevelWalk

log = logging.getLogger("stepstream")

T = TypeVar("T")


#: True inside the branches `together` runs side by side: what each numbers in the run's log
#: interleaves with the others', so a host must not hand one of them the log's next offsets
#: for output it appends while it runs (the Temporal host's live output).
SIDE_BY_SIDE: ContextVar[bool] = ContextVar("stepstream_side_by_side", default=False)


async def together(coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Runs `coros` as tasks at once; their results in order, or the first exception (like
    `asyncio.gather`, also for a task cancelled by someone else). Unlike gather, nothing keeps
    the tasks once they finished: gather's future holds every child until the waiting task
    next yields to the loop, so a fan-out that ended an execution left its W finished tasks
    to be freed by the caller's next call (measured: a resume after a 10,000-item foreach's
    start paid ~9 ms freeing them). A `TaskGroup` lets each go as it finishes; on
    the first exception it also cancels the others, where gather left them running."""
    tasks: list[asyncio.Task[T]] = []
    error: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            side_by_side = SIDE_BY_SIDE.set(True)  # (each task keeps the context it was created in)
            try:
                tasks = [group.create_task(coro) for coro in coros]
            finally:
                SIDE_BY_SIDE.reset(side_by_side)
    except BaseExceptionGroup as grouped:
        error = grouped.exceptions[0]
    if error is not None:
        raise error  # outside the handler: its context stays its own, not the group
    return [task.result() for task in tasks]  # a cancelled task raises CancelledError here


async def run_parallel(ex: LevelWalk, node: ParallelNode, value: Any) -> tuple[str, Any]:
    results = await together(ex.run_step(s, value, ex.replay) for s in node.steps)
    return settle(ex, node.steps, results, node.allow_failure)


def settle(
    ex: LevelWalk, steps: tuple[Step, ...] | list[Step], results: list[tuple[str, Any]], allow_failure: bool = False
) -> tuple[str, Any]:
    output: dict[str, Any] = {}
    statuses = set()
    bail: Any = None
    failed = False
    first_error: Any = None
    for s, (status, out) in zip(steps, results, strict=True):
        statuses.add(status)
        if status == "success":
            output[s.id] = out
        elif status == "failed" and allow_failure:
            output[s.id] = None
        elif status == "failed" and not failed:
            failed, first_error = True, out
        elif status == "bailed" and bail is None:
            bail = out
    if failed:
        ex.error = first_error
        return "failed", None
    if "bailed" in statuses:
        return "bailed", bail
    if "suspended" in statuses:
        _in_step_order(ex, steps)
        return "suspended", None
    if "canceled" in statuses or ex.rs.aborted:
        return "canceled", None
    return "success", output


def _in_step_order(ex: LevelWalk, steps: tuple[Step, ...] | list[Step]) -> None:
    """Lists the node's suspended steps in the order of its steps, as Mastra does, not in the
    order they suspended in: sync steps on worker threads finish in any order."""
    order = {s.id: i for i, s in enumerate(steps)}
    ex.suspended.sort(key=lambda path: order.get(path[0], -1))
    payloads = ex.suspend_payloads
    ex.suspend_payloads = {k: payloads[k] for k in sorted(payloads, key=lambda k: order.get(k, -1))}


async def run_conditional(ex: LevelWalk, node: ConditionalNode, value: Any) -> tuple[str, Any]:
    chosen = [s for _, s in node.branches if s.id in ex.steps] if ex.replay else []
    if ex.time_travel is not None:
        chosen += [s for _, s in node.branches if s.id == ex.time_travel[0] and s not in chosen]
    if not chosen:
        cond_input = _condition_input(ex, node.branches[0][1], value)
        verdicts = await together(check(ex, cond, s.id, cond_input, None) for cond, s in node.branches)
        chosen = [s for (_, s), ok in zip(node.branches, verdicts, strict=True) if ok]
        if ex.rs.interceptors:
            intercept.conditions_evaluated(ex, node, verdicts)
    if not chosen:
        return "success", {}
    results = await together(ex.run_step(s, value, ex.replay) for s in chosen)
    return settle(ex, chosen, results)


def _condition_input(ex: LevelWalk, step: Step, value: Any) -> Any:
    schema = step._in
    if schema.adapter is None or not ex.workflow.validate_inputs:
        return value
    try:
        return schema.validate(value, "condition input")
    except ValidationError:
        return value


async def check(ex: LevelWalk, cond: Callable[..., Any], key: str, value: Any, iteration: int | None) -> bool:
    ctx = EngineStepContext(ex, None, key, value, retry_count=-1, iteration_count=iteration)
    try:
        return bool(await ex.rs.host.call(cond, ctx))
    except Exception as exc:
        if iteration is not None:
            raise
        log.warning(
            "WORKFLOW_CONDITION_EVALUATION_FAILED: a condition of %r in workflow %r run %r raised %r; treated as false",
            key,
            ex.workflow.id,
            ex.rs.run_id,
            exc,
        )
        return False


async def run_loop(ex: LevelWalk, node: LoopNode, value: Any) -> tuple[str, Any]:
    step = node.step
    iteration = 1
    replay = ex.replay
    prev = ex.steps.get(step.id) if replay else None
    if prev is not None and prev.status == "success":
        iteration = (prev.metadata or {}).get("iterationCount", 1)
        value = prev.output
        status = "success"
    else:
        if prev is not None and prev.status == "suspended":
            iteration = (prev.metadata or {}).get("iterationCount", 1)
        status, value = await ex.run_step(step, value, replay, iteration)
    # The resume data belongs to the iteration that suspended; later iterations run fresh.
    ex.targets.pop(step.id, None)
    while status == "success":
        if ex.rs.aborted:
            return "canceled", None
        try:
            holds = await check(ex, node.condition, step.id, _condition_input_out(ex, step, value), iteration)
        except Exception as exc:
            if ex.rs.aborted:  # a condition that called abort() cancels the run, whatever it raised next
                return "canceled", None
            return await _loop_condition_failed(ex, step, value, iteration, exc)
        if ex.rs.interceptors:
            intercept.loop_condition_checked(ex, node, iteration, holds)
        if holds != (node.kind == "dowhile"):
            return "success", value
        if ex.rs.aborted:
            return "canceled", None
        iteration += 1
        if isinstance(step, Workflow):
            await clear_nested(ex, step.id)
        status, value = await ex.run_step(step, value, False, iteration)
    return status, value


async def clear_nested(ex: LevelWalk, key: str) -> None:
    """Drops the records of a nested workflow's previous pass (a new loop iteration
    starts clean, so a restart never replays a stale iteration)."""
    rs = ex.rs
    prefix = ex.prefix + key + "."
    stale = [k for k in rs.records if k.startswith(prefix)]
    if stale:
        for k in stale:
            del rs.records[k]
        await rs.host.delete_steps(stale)


def _condition_input_out(ex: LevelWalk, step: Step, value: Any) -> Any:
    schema = step._out
    if schema.adapter is None:
        return value
    try:
        return schema.validate(value, "condition input")
    except ValidationError:
        return value


async def _loop_condition_failed(ex: LevelWalk, step: Step, value: Any, iteration: int, exc: Exception) -> tuple[str, Any]:
    prev = ex.steps.get(step.id)
    record = StepResult(
        "failed",
        prev.payload if prev is not None else value,
        error=exc,
        started_at=prev.started_at if prev is not None else ex.rs.host.now_ms(),
        ended_at=ex.rs.host.now_ms(),
        metadata={"iterationCount": iteration},
    )
    await ex.save(step.id, record, ex._record_event(ex.prefix + step.id, ex.rs.host.new_call_id(), record, "failed"))
    ex.error = exc
    return "failed", exc
