"""One attempt of one step body, in this process (what `LocalHost.attempt` runs).

Validates the input (and the request context), calls `execute` (a sync one in a
worker thread unless the step is `inline`), validates the output, and turns the
outcome into an `_Attempt`. Retries are the walk's decision, not this module's.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from ..errors import BailSignal, SuspendSignal
from ._context import EngineStepContext
from ._state import _Attempt

if TYPE_CHECKING:
    from ..step import Step
    from ._executor import LevelWalk
    from ._host import AttemptRequest
    from ._local import LocalHost

_AWAITABLE: dict[type, bool] = {}


def _is_awaitable(value: Any) -> bool:
    """`inspect.isawaitable`, cached by type (steps return the same few types over and over)."""
    kind = type(value)
    known = _AWAITABLE.get(kind)
    if known is None:
        known = _AWAITABLE[kind] = hasattr(kind, "__await__") or asyncio.iscoroutine(value)
    return known


IN_FAILED = "Step input validation failed"
IN_CODE = "WORKFLOW_STEP_INPUT_VALIDATION_FAILED"
OUT_FAILED = "Step output validation failed"
OUT_CODE = "WORKFLOW_STEP_OUTPUT_VALIDATION_FAILED"
"""The messages and codes of a step's input and output validation errors (every path of an attempt)."""


def attempt_error(
    ex: LevelWalk,
    step: Step,
    key: str,
    exc: BaseException,
    payload: Any,
    state_updates: dict[str, Any] | None,
    task: asyncio.Task[Any] | None,
) -> _Attempt:
    """What an attempt that raised produced: a suspend, a bail, a cancel by the run's abort
    (`task`: the attempt's task, registered as interruptible), or a failure the walk may
    retry. Anything else (a cancel from outside, KeyboardInterrupt) is raised again."""
    if isinstance(exc, SuspendSignal):
        return ex._suspended_attempt(step, exc, to_json(payload), state_updates)
    if isinstance(exc, BailSignal):
        return ex._bailed_attempt(key, exc, to_json(payload), state_updates)
    if isinstance(exc, asyncio.CancelledError):
        if not ex.rs.aborted or task is None:
            raise exc
        task.uncancel()
        return _Attempt("canceled", None, to_json(payload))
    if not isinstance(exc, Exception):
        raise exc
    failed = _Attempt("failed", exc, to_json(payload))
    failed.retryable = True
    return failed


async def run_attempt(host: LocalHost, req: AttemptRequest) -> _Attempt:
    ex = req.ex
    step = req.step
    rs = ex.rs
    validate = ex.workflow.validate_inputs
    ctx: EngineStepContext[Any, Any] = EngineStepContext(
        ex, step, req.key, req.value, req.resume_data, req.suspend_data, req.retry_count, req.iteration, rs.restarting
    )
    payload = req.value
    task = None
    try:
        if validate:
            payload = step._in.validate(req.value, IN_FAILED, code=IN_CODE)
            ctx.input_data = payload
            if step._rc is not None:
                ex._check_request_context(step)
        if step.is_async or step.inline:
            out = step.execute(ctx)
        else:
            out = await host.executor.in_thread(step.execute, ctx)
        if step.is_async or _is_awaitable(out):
            task = asyncio.current_task(host._loop)
            if task is not None:
                rs.interruptible.add(task)
            out = await out
        if validate and step._out.adapter is not None:
            out = step._out.validate(out, OUT_FAILED, code=OUT_CODE)
        # Settled data travels as JSON: the next step validates it into its own
        # schema, exactly as after a reload from storage.
        # The input is JSON already: dumped again only when validation made something else of it.
        data = req.value if payload is req.value else step._in.dump(payload)
        return _Attempt("success", step._out.storable(out, "Step %r output", req.key), data, ctx.state_updates)
    except BaseException as exc:
        return attempt_error(ex, step, req.key, exc, payload, ctx.state_updates, task)
    finally:
        if task is not None:
            rs.interruptible.discard(task)
