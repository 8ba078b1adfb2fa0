"""`RemoteStream`: a server's `\\x1e`-framed event stream as a `WorkflowStream`-like object.

It yields `WorkflowEvent`s and resolves `result` (a `WorkflowResult`) and `usage` when
the stream ends. A call the server refused (it streams a failed `workflow-finish`
carrying the error) raises the same exception as the local call. An observing stream
reconnects by itself after a dropped connection, asking for the next offset, so it
loses nothing and sees nothing twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import httpx

from ..events import EMPTY_USAGE, WORKFLOW_FINISH, WorkflowEvent
from ..results import WorkflowResult
from ._http import error_from, raise_for

Opener = Callable[[int], Awaitable[httpx.Response]]
"""Opens the stream's HTTP answer; given the offset to read from (observing streams)."""

RECONNECT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)


class RemoteStream:
    """Events of a run served remotely; `await stream.result`, `await stream.usage`."""

    def __init__(self, run_id: str, open_stream: Opener, fetch_result: Callable[[], Awaitable[WorkflowResult]], *, offset: int | None):
        self.run_id = run_id
        self._open = open_stream
        self._fetch_result = fetch_result
        self._offset = offset  # None: not resumable by offset (a start or resume stream)
        self._events: list[WorkflowEvent] = []
        self._status = "running"
        loop = asyncio.get_running_loop()
        self._result: asyncio.Future[WorkflowResult] = loop.create_future()
        self._usage: asyncio.Future[dict[str, int]] = loop.create_future()
        self._reader: AsyncIterator[WorkflowEvent] | None = None
        self._response: httpx.Response | None = None
        self._left_early = False

    # -- reading --------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[WorkflowEvent]:
        if self._reader is None:
            self._reader = self._read()
            return self._reader
        return self._replay()

    async def _replay(self) -> AsyncIterator[WorkflowEvent]:
        """A second reader: what the first has read so far, then waits for the end."""
        for event in list(self._events):
            yield event
        await asyncio.shield(self._result)

    async def _read(self) -> AsyncIterator[WorkflowEvent]:
        try:
            async for event in self._records():
                self._events.append(event)
                yield event
            await self._settle()
        except GeneratorExit:
            self._left_early = True  # the run goes on; `result` then asks the server
            raise
        except BaseException as exc:
            self._fail(exc)
            raise

    async def _records(self) -> AsyncIterator[WorkflowEvent]:
        attempt = 0
        while True:
            try:
                async for event in self._one_connection():
                    attempt = 0
                    yield event
                return
            except (httpx.TransportError, _Truncated):
                if self._offset is None or attempt >= len(RECONNECT_DELAYS):
                    raise
                await asyncio.sleep(RECONNECT_DELAYS[attempt])
                attempt += 1

    async def _one_connection(self) -> AsyncIterator[WorkflowEvent]:
        response = await self._open(self._offset or 0)
        self._response = response
        try:
            if response.status_code >= 400:
                await response.aread()
                raise_for(response)
            buffer = b""
            async for chunk in response.aiter_raw():
                buffer += chunk
                *records, buffer = buffer.split(b"\x1e")
                for raw in records:
                    event = self._event(json.loads(raw))
                    if event is not None:
                        yield event
            if buffer.strip():
                raise _Truncated
        finally:
            self._response = None
            await response.aclose()

    def _event(self, data: dict[str, Any]) -> WorkflowEvent | None:
        offset = self._offset
        event = WorkflowEvent.from_dict(data, offset=offset)
        if offset is not None:
            self._offset = offset + 1
        if event.type == WORKFLOW_FINISH:
            payload = event.payload
            self._status = str(payload.get("workflowStatus", self._status))
            refusal = _refusal(payload) if len(self._events) <= 1 else None
            if refusal is not None:
                raise refusal
            usage = payload.get("output", {}).get("usage") if isinstance(payload.get("output"), dict) else None
            if isinstance(usage, dict) and not self._usage.done():
                self._usage.set_result({**EMPTY_USAGE, **usage})
        return event

    async def _settle(self) -> None:
        if not self._result.done():
            result = await self._fetch_result()
            self._status = result.status
            if not self._result.done():
                self._result.set_result(result)
        if not self._usage.done():
            self._usage.set_result(dict(EMPTY_USAGE))

    def _fail(self, exc: BaseException) -> None:
        for fut in (self._result, self._usage):
            if not fut.done():
                if isinstance(exc, Exception):
                    fut.set_exception(exc)
                    fut.exception()  # retrieved: the caller gets it from iteration already
                else:
                    fut.cancel()

    # -- the WorkflowStream surface ------------------------------------------------------
    @property
    def result(self) -> Awaitable[WorkflowResult]:
        """The run's `WorkflowResult` when the stream ends (reads the rest of the stream if needed)."""
        return self._wait(self._result)

    @property
    def usage(self) -> Awaitable[dict[str, int]]:
        """Token usage reported by the stream's `workflow-finish`."""
        return self._wait(self._usage)

    async def _wait(self, fut: asyncio.Future[Any]) -> Any:
        if not fut.done() and self._reader is None:
            async for _ in self:
                pass
        if not fut.done() and self._left_early:
            await self._settle()
        return await fut

    @property
    def status(self) -> str:
        """The run's status as this stream has seen it."""
        return self._status

    @property
    def events(self) -> list[WorkflowEvent]:
        """The events received so far (a copy)."""
        return list(self._events)

    async def __aenter__(self) -> RemoteStream:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        """Leaving early closes the connection; the run goes on on the server."""
        reader = self._reader
        if reader is not None and hasattr(reader, "aclose"):
            await reader.aclose()
        response = self._response
        if response is not None:
            await response.aclose()

    def __repr__(self) -> str:
        return f"<RemoteStream run={self.run_id!r} status={self._status!r}>"


def _refusal(payload: dict[str, Any]) -> Exception | None:
    """The error of a call the server refused before the run started: it streams a start and a
    failed finish carrying the error with its code (Mastra's shape), and nothing else."""
    error = payload.get("error")
    if payload.get("workflowStatus") != "failed" or not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return None
    issues = [{"field": i[0], "message": i[1]} for i in error.get("issues") or () if isinstance(i, list | tuple) and len(i) == 2]
    return error_from(400, {"error": error.get("message"), "code": error["code"], "issues": issues})


class _Truncated(Exception):
    """The answer ended in the middle of a record (a dropped connection)."""
