"""Mastra's stream framing: each event's JSON followed by `\\x1e`, flushed as its own chunk.

A stream answers 200 at once. A call the engine refuses before the run starts
(invalid input or resume data, a run that is not suspended, an unknown step)
still answers 200, as Mastra does: a `workflow-start` then a failed
`workflow-finish` whose payload carries the error, and nothing changes in
storage. A client that disconnects only stops its own copy of the events: the
run goes on, and `observe` can read it again from any offset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from pydantic_core import to_json
from starlette.responses import StreamingResponse

from .._serialize import serialize_error
from ..errors import StepstreamError
from ..events import EMPTY_USAGE, WORKFLOW_FINISH, WORKFLOW_START, WorkflowEvent

SEPARATOR = "\x1e"
_SEPARATOR = SEPARATOR.encode()
STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


class EventSource(Protocol):
    """What a stream route reads: a `WorkflowStream` or an observed one."""

    run_id: str

    def __aiter__(self) -> AsyncIterator[WorkflowEvent]: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, et: Any, ev: Any, tb: Any) -> Any: ...


def record(data: dict[str, Any]) -> bytes:
    """One framed record (compact JSON, as `JSON.stringify` writes it)."""
    return to_json(data, serialize_unknown=True) + _SEPARATOR


def refused_records(run_id: str, workflow_id: str, exc: BaseException) -> list[bytes]:
    """What Mastra streams when the call is refused: a start and a failed finish carrying the error."""
    error = serialize_error(exc) or {}
    if isinstance(exc, StepstreamError):
        error.setdefault("code", exc.code)
    start = {"type": WORKFLOW_START, "runId": run_id, "from": "WORKFLOW", "payload": {"workflowId": workflow_id}}
    finish = {
        "type": WORKFLOW_FINISH,
        "runId": run_id,
        "from": "WORKFLOW",
        "payload": {"workflowStatus": "failed", "error": error, "output": {"usage": dict(EMPTY_USAGE)}, "metadata": {}},
    }
    return [record(start), record(finish)]


async def _frames(source: EventSource, workflow_id: str) -> AsyncIterator[bytes]:
    sent = False
    async with source:
        try:
            async for event in source:
                sent = True
                yield record(event.to_dict())
        except Exception as exc:
            for chunk in refused_records(source.run_id, workflow_id, exc)[1 if sent else 0 :]:
                yield chunk


def stream_response(source: EventSource, workflow_id: str) -> StreamingResponse:
    """A `text/plain` chunked answer carrying the run's events, one flushed record each."""
    return StreamingResponse(_frames(source, workflow_id), media_type="text/plain; charset=utf-8", headers=STREAM_HEADERS)
