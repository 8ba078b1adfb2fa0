"""Sleep nodes (`sleep`, `sleep_until`): a `waiting` record, a wait the host can cut short, then a success."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from ..events import STEP_RESULT, STEP_WAITING
from ..results import StepResult
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
    seconds = await sleep_seconds(ex, node, value)
    started = host.now_ms()
    name = ex.prefix + key
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


async def sleep_seconds(ex: LevelWalk, node: SleepNode, value: Any) -> float:
    target: Any = node.duration if node.until is None else node.until
    if callable(target):
        ctx = EngineStepContext(ex, None, node.id, value, retry_count=-1)
        target = await ex.rs.host.call(target, ctx)
    if isinstance(target, datetime):
        when = target if target.tzinfo else target.replace(tzinfo=UTC)
        seconds = when.timestamp() - ex.rs.host.now_ms() / 1000
    else:
        try:
            seconds = float(target) / 1000
        except (TypeError, ValueError):
            seconds = 0.0
    return seconds if seconds > 0 and math.isfinite(seconds) else 0.0
