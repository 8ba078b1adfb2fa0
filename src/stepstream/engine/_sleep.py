"""Sleep nodes (`sleep`, `sleep_until`): a `waiting` record, a wait the host can cut short, then a success.

A sleep function that raises, or returns what no sleep takes, fails the sleep (and the run) instead.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from ..events import STEP_RESULT, STEP_WAITING
from ..results import StepResult
from ..workflow._sleep_time import duration_ms, until_ms
from ..workflow.plan import SleepNode
from . import _intercept as intercept
from ._context import EngineStepContext

if TYPE_CHECKING:
    from ._executor import LevelWalk


async def run_sleep(ex: LevelWalk, node: SleepNode, value: Any) -> tuple[str, Any]:
    key = node.id
    if ex.replay:
        prev = ex.steps.get(key)
        if prev is not None and prev.status == "success":
            return "success", prev.output
    rs = ex.rs
    host = rs.host
    name = ex.prefix + key
    try:
        seconds = await sleep_seconds(ex, node, value)
    except Exception as exc:
        return await _failed(ex, node, value, exc)
    started = host.now_ms()
    if rs.emitting:
        rs.emit(STEP_WAITING, {"stepName": name, "id": name, "payload": to_json(value), "startedAt": started, "status": "waiting"})
    top = not ex.prefix
    await ex.save(key, StepResult("waiting", value, started_at=started))
    if top:
        await ex.set_status("waiting")
    if rs.interceptors:
        intercept.sleep_started(ex, node, seconds)
    canceled = await host.wait(seconds)
    if rs.interceptors:
        intercept.sleep_ended(ex, node, "canceled" if canceled else "success")
    if top and not canceled:
        await ex.set_status("running")
    if canceled:
        return "canceled", None
    record = StepResult("success", value, value, started_at=started, ended_at=host.now_ms())
    event = None
    if rs.emitting:  # a sleep's result event carries its output and no payload (Mastra)
        payload = {"stepName": name, "id": name, "status": "success", "output": to_json(value), "endedAt": record.ended_at}
        event = rs.emit(STEP_RESULT, payload, deliver=False)
    await ex.save(key, record, event)
    return "success", value


async def _failed(ex: LevelWalk, node: SleepNode, value: Any, exc: Exception) -> tuple[str, Any]:
    """Ends the sleep `failed` when its function raised or returned what no sleep takes, as a
    raising map function or loop condition does (Mastra has no catch there: its run stays running)."""
    if ex.rs.aborted:  # a function that called abort() cancels the run, whatever it raised next
        return "canceled", None
    host = ex.rs.host
    now = host.now_ms()
    record = StepResult("failed", value, error=exc, started_at=now, ended_at=now)
    await ex.save(node.id, record, ex._record_event(ex.prefix + node.id, host.new_call_id(), record, "failed"))
    ex.error = exc
    return "failed", exc


async def sleep_seconds(ex: LevelWalk, node: SleepNode, value: Any) -> float:
    """The seconds to wait, from the node's value or its function's result (read by the same
    rules as the builder's, `workflow._sleep_time`); 0 for a past time or a negative duration."""
    until = node.until is not None
    target: Any = node.until if until else node.duration
    where = f"{'sleep_until' if until else 'sleep'} {ex.prefix + node.id!r} of workflow {ex.workflow.id!r}"
    if callable(target):
        ctx = EngineStepContext(ex, None, node.id, value, retry_count=-1)
        target = await ex.rs.host.call(target, ctx)
        where = f"the result of the function of {where}"
    if until:
        seconds = until_ms(target, where) / 1000 - ex.rs.host.now_ms() / 1000
    else:
        seconds = duration_ms(target, where) / 1000
    return seconds if seconds > 0 and math.isfinite(seconds) else 0.0
