"""Calls the workflow lifecycle callbacks `on_start`, `on_finish` and `on_error`."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..lifecycle import WorkflowFinishInfo, WorkflowStartInfo
from ..request_context import RequestContext
from ..results import WorkflowResult

if TYPE_CHECKING:
    from ._state import RunExecution
    from .run import Run

log = logging.getLogger("stepstream")


async def call_on_start(run: Run, input_data: Any, state: dict[str, Any], rc: RequestContext) -> None:
    """Awaits `on_start`; what it raises propagates (the start is refused, nothing ran)."""
    callback = run.workflow.options.get("on_start")
    if callback is None:
        return
    info = WorkflowStartInfo(run.run_id, run.workflow_id, run.resource_id, rc, dict(state), input_data)
    out = callback(info)
    if inspect.isawaitable(out):
        await out


async def call_on_finish(run: Run, result: WorkflowResult, rs: RunExecution) -> None:
    """Awaits `on_finish`, then `on_error` after a failure; their errors are logged, not raised."""
    if result.status == "paused":
        return  # Mastra runs no lifecycle callback for a paused run: it is not over
    options = run.workflow.options
    wanted = [("on_finish", True), ("on_error", result.status in ("failed", "tripwire"))]
    callbacks: list[tuple[str, Callable[[WorkflowFinishInfo], Any]]] = []
    for name, ok in wanted:
        callback = options.get(name)
        if ok and callback is not None:
            callbacks.append((name, callback))
    if not callbacks:
        return
    info = WorkflowFinishInfo(
        result.status,
        result.run_id,
        result.workflow_id,
        rs.resource_id,
        rs.request_context,
        dict(result.state or {}),
        steps=dict(result.steps),
        result=result.result if result.status == "success" else None,
        error=result.error,
        step_execution_path=list(result.step_execution_path or []),
        input=result.input,
        tripwire=result.tripwire,
    )
    for name, callback in callbacks:
        try:
            out = callback(info)
            if inspect.isawaitable(out):
                await out
        except Exception:
            log.exception("workflow %r %s callback raised (run %r)", run.workflow_id, name, run.run_id)
