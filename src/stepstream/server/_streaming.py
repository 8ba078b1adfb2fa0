"""Mastra's stream framing: each event's JSON followed by `\\x1e`, sent the moment it happens.

Records ready at the same moment (a step's result and the next step's start) go out in one
write, and the run's finish goes with the end of the answer: the same bytes as Mastra's,
in fewer writes (a client splits records at the separator, never at chunk boundaries),
and each write costs the server a system call and its loopback peer a wake-up.

A stream answers 200 at once. A call the engine refuses before the run starts
(invalid input or resume data, a run that is not suspended, an unknown step)
still answers 200, as Mastra does: a `workflow-start` then a failed
`workflow-finish` whose payload carries the error, and nothing changes in
storage. Any other error (on `observe`, which starts nothing, or once records
went out) says nothing about the run, so it is not dressed up as the run's
finish: the answer is cut short (no final chunk), which every HTTP client
reports as a broken stream, and the server logs the error. A client that
disconnects only stops its own copy of the events: the run goes on, and
`observe` can read it again from any offset. Non-finite floats are written as
`null`, as `JSON.stringify` writes them.

A client that sends the `X-Stepstream-Offsets` request header (stepstream's own client) gets
each logged event's offset in the run's event log before its JSON, as `<offset>\x1f<json>\x1e`,
so it can reconnect with `observe` from the next one. Mastra's clients never send it, so what
they read is unchanged; a record with no offset (a refusal, a storage without a log) has no prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Protocol

from pydantic_core import to_json
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .._serialize import serialize_error
from ..errors import StepstreamError
from ..events import EMPTY_USAGE, WORKFLOW_FINISH, WORKFLOW_START, WorkflowEvent

SEPARATOR = "\x1e"
_SEPARATOR = SEPARATOR.encode()
#: Separates an event's log offset from its JSON, for clients that ask for offsets (JSON text
#: never holds a raw control character, so the first one in a record is this one).
OFFSET_SEPARATOR = "\x1f"
OFFSETS_HEADER = "x-stepstream-offsets"
STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
_RAW_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), *((k.encode(), v.encode()) for k, v in STREAM_HEADERS.items())]
_START = {"type": "http.response.start", "status": 200, "headers": _RAW_HEADERS}


class StreamFailed(Exception):
    """The server could not stream a run's events (the run did not fail): raised out of the
    ASGI app, so the server logs it and cuts the answer short rather than ending it cleanly."""


class EventSource(Protocol):
    """What a stream route reads: a `WorkflowStream` or an observed one."""

    run_id: str

    def __aiter__(self) -> AsyncIterator[WorkflowEvent]: ...

    def batches(self) -> AsyncIterator[list[WorkflowEvent]]: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, et: Any, ev: Any, tb: Any) -> Any: ...


def record(data: dict[str, Any]) -> bytes:
    """One framed record (compact JSON, as `JSON.stringify` writes it: NaN and infinities as `null`)."""
    return to_json(data, serialize_unknown=True, inf_nan_mode="null") + _SEPARATOR


def event_record(event: WorkflowEvent) -> bytes:
    """`record(event.to_dict())` in one pass: the payload is encoded straight to bytes."""
    if event.raw is not None:
        return record(event.to_dict())
    data = {"type": event.type, "runId": event.run_id, "from": event.from_, "payload": event.payload}
    return to_json(data, serialize_unknown=True, inf_nan_mode="null") + _SEPARATOR


def offset_record(event: WorkflowEvent) -> bytes:
    """`event_record(event)`, preceded by the event's log offset and `\x1f` when it has one."""
    data = event_record(event)
    return data if event.offset is None else b"%d\x1f%b" % (event.offset, data)


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


async def _frames(
    source: EventSource, workflow_id: str, refusable: bool, offsets: bool = False
) -> AsyncGenerator[tuple[bytes, bool], None]:
    """The records of each batch of events as one chunk, and whether it ends with the run's finish.

    An error before the first record of a call that starts something (`refusable`) is the
    call's refusal, streamed as Mastra does; any other error propagates, cutting the answer short."""
    sent = False
    encode = offset_record if offsets else event_record
    async with source:
        try:
            async for batch in source.batches():
                sent = True
                yield b"".join([encode(event) for event in batch]), batch[-1].type == WORKFLOW_FINISH
        except Exception as exc:
            if sent or not refusable:
                raise StreamFailed(f"The events of run {source.run_id!r} of workflow {workflow_id!r} could not be streamed") from exc
            yield b"".join(refused_records(source.run_id, workflow_id, exc)), True


class EventStream(Response):
    """A `text/plain` chunked answer carrying the run's events as they happen.

    Plain ASGI rather than Starlette's `StreamingResponse`, whose per-stream task group is
    most of a stream's cost in the server: one small task waits for the client to hang up
    and then cancels the stream (the run itself goes on; see the module docstring)."""

    media_type = "text/plain; charset=utf-8"

    def __init__(self, source: EventSource, workflow_id: str, refusable: bool = True, offsets: bool = False):
        self.status_code = 200
        self.background = None
        self.raw_headers = list(_RAW_HEADERS)
        self._frames = _frames(source, workflow_id, refusable, offsets)
        self._streaming = False
        self._hung_up = False

    async def _watch(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if self._streaming:
            self._hung_up = True
            task.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        assert task is not None
        await send({**_START, "headers": self.raw_headers})
        self._streaming = True
        watcher = asyncio.get_running_loop().create_task(self._watch(receive, task))
        held = b""  # the run's finish goes out with the end of the answer, in one write
        try:
            async for chunk, last in self._frames:
                if held:
                    await send({"type": "http.response.body", "body": held, "more_body": True})
                    held = b""
                if last:
                    held = chunk
                else:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except asyncio.CancelledError:
            if not self._hung_up or task.uncancel() > 0:
                raise
            await self._frames.aclose()
            return
        except OSError:  # an ASGI 2.4 server's `send` after the client hung up
            await self._frames.aclose()
            return
        finally:
            self._streaming = False
            watcher.cancel()
        await send({"type": "http.response.body", "body": held, "more_body": False})


def stream_response(source: EventSource, workflow_id: str, *, refusable: bool = True, offsets: bool = False) -> Response:
    """The answer of a stream route (see `EventStream`); `refusable=False` for a stream that
    starts nothing (`observe`), whose errors are never streamed as a failed finish;
    `offsets=True` puts each event's log offset before its record (see the module docstring)."""
    return EventStream(source, workflow_id, refusable, offsets)
