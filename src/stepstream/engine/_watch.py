"""`run.watch(callback)`: Mastra's watch events, which differ from the stream's.

A watcher gets the step events (start, result, suspended, waiting, progress,
writer output), `workflow-canceled`, and after every step result a
`workflow-step-finish` event `{id, stepCallId?, metadata}`; it gets no
`workflow-start` or `workflow-finish`, and step payloads carry `id` but no
`stepName`. Writer output reaches watchers always (Mastra gives it to them
only while a `stream()` of the run is open).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from ..events import STEP_FINISH, STEP_OUTPUT, STEP_RESULT, WORKFLOW_FINISH, WORKFLOW_START, WorkflowEvent
from ._state import Sink

log = logging.getLogger("stepstream")

_NOT_WATCHED = frozenset({WORKFLOW_START, WORKFLOW_FINISH})


def watch_events(event: WorkflowEvent) -> list[WorkflowEvent]:
    """The watch events for one stream event (none, the event reshaped, or two)."""
    if event.raw is not None or event.type == STEP_OUTPUT:
        return [event]
    if event.type in _NOT_WATCHED:
        return []
    payload = {k: v for k, v in event.payload.items() if k != "stepName"}
    out = [WorkflowEvent(event.type, event.run_id, payload, event.from_)]
    if event.type == STEP_RESULT:
        finish: dict[str, Any] = {"id": payload.get("id")}
        if "stepCallId" in payload:
            finish["stepCallId"] = payload["stepCallId"]
        finish["metadata"] = {}
        out.append(WorkflowEvent(STEP_FINISH, event.run_id, finish))
    return out


class Watcher(Sink):
    """Calls a watch callback (sync or async) with each watch event; its errors are logged."""

    def __init__(self, callback: Callable[[WorkflowEvent], Any]):
        self.callback = callback
        self.pending: set[asyncio.Future[Any]] = set()

    def push(self, event: WorkflowEvent) -> None:
        for watched in watch_events(event):
            self._call(watched)

    def _call(self, event: WorkflowEvent) -> None:
        try:
            out = self.callback(event)
            if inspect.isawaitable(out):
                fut = asyncio.ensure_future(out)
                self.pending.add(fut)
                fut.add_done_callback(self._settled)
        except Exception:
            log.exception("a watch callback raised")

    def _settled(self, fut: asyncio.Future[Any]) -> None:
        self.pending.discard(fut)
        if not fut.cancelled() and (exc := fut.exception()) is not None:
            log.error("a watch callback raised", exc_info=exc)
