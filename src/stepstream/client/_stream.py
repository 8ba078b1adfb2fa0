"""`RemoteStream`: a server's `\\x1e`-framed event stream as a `WorkflowStream`-like object.

It yields `WorkflowEvent`s and resolves `result` (a `WorkflowResult`) and `usage` when
the stream ends. A call the server refused (it streams a failed `workflow-finish`
carrying the error) raises the same exception as the local call. An observing stream
reconnects by itself after a dropped connection, asking for the next offset, so it
loses nothing and sees nothing twice.

As with the local stream, readers share one buffer: every reader gets the events so far,
then new ones, and a reader that stops (`break`) stops nothing. The connection is read
on demand, by whichever reader (or `result`) needs the next event, one at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import httpx

from ..events import EMPTY_USAGE, STEP_RESULT, STEP_SUSPENDED, WORKFLOW_CANCELED, WORKFLOW_FINISH, WorkflowEvent
from ..results import WorkflowResult
from ._http import RemoteError, error_from, raise_for

Opener = Callable[[int], Awaitable[httpx.Response]]
"""Opens the stream's HTTP answer; given the offset to read from (observing streams)."""

Observer = Callable[[int], "RemoteStream"]
"""The run's `observe_stream(offset)`: how a stream left early follows the run to its end."""

RECONNECT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)
#: Statuses a run stays in until a start or resume of it ends (polled after leaving early)
_UNSETTLED = frozenset({"pending", "running", "waiting"})


class RemoteStream:
    """Events of a run served remotely; `await stream.result`, `await stream.usage`."""

    def __init__(
        self,
        run_id: str,
        open_stream: Opener,
        fetch_result: Callable[[], Awaitable[WorkflowResult]],
        *,
        offset: int | None,
        observe: Observer | None = None,
    ):
        self.run_id = run_id
        self._open = open_stream
        self._fetch_result = fetch_result
        self._observing = offset is not None  # an observe stream: resumable by offset
        self._offset = offset  # the next event's offset in the run's log, when known
        self._observe = observe
        self._events: list[WorkflowEvent] = []
        self._status = "running"
        loop = asyncio.get_running_loop()
        self._result: asyncio.Future[WorkflowResult] = loop.create_future()
        self._usage: asyncio.Future[dict[str, int]] = loop.create_future()
        self._source: AsyncGenerator[WorkflowEvent, None] | None = None
        self._response: httpx.Response | None = None
        self._pull = asyncio.Lock()  # one reader at a time reads the connection
        self._follow_lock = asyncio.Lock()
        self._ended = False  # the connection gave its last event (or failed)
        self._error: Exception | None = None
        self._left_early = False  # the caller left before the end: the run goes on on the server

    # -- reading --------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[WorkflowEvent]:
        return self._read()

    async def _read(self) -> AsyncIterator[WorkflowEvent]:
        index = 0
        while index < len(self._events) or await self._more(index):
            yield self._events[index]
            index += 1

    async def _more(self, index: int) -> bool:
        """Waits for an event past `index`: reads the next one from the connection unless another
        reader already did. False once the stream ended (or was left early)."""
        async with self._pull:
            if index < len(self._events):
                return True
            if self._error is not None:
                raise self._error
            if self._ended or self._left_early:
                return False
            if self._source is None:
                self._source = self._records()
            try:
                event = await anext(self._source)
            except StopAsyncIteration:
                event = None
            except Exception as exc:
                self._ended = True
                if self._left_early:
                    return False  # the caller closed the connection under us
                self._error = exc
                self._fail(exc)
                raise
            except BaseException:
                self._ended = self._left_early = True  # canceled: the run goes on; `result` follows it
                raise
            if event is None:
                self._ended = True
                await self._settle()
                return False
            self._events.append(event)
            return True

    async def _records(self) -> AsyncGenerator[WorkflowEvent, None]:
        attempt = 0
        while True:
            try:
                async for event in self._one_connection():
                    attempt = 0
                    yield event
                return
            except (httpx.TransportError, _Truncated):
                if not self._observing or self._left_early or attempt >= len(RECONNECT_DELAYS):
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
                    event = self._event(raw)
                    if event is not None:
                        yield event
            if buffer.strip():
                raise _Truncated
        finally:
            self._response = None
            await response.aclose()

    def _event(self, raw: bytes) -> WorkflowEvent | None:
        """A record as an event, numbered by the offset the server put before it (`<n>\\x1f`),
        or counted from the offset an observing stream asked for."""
        head, marked, body = raw.partition(b"\x1f")
        offset = int(head) if marked else self._offset if self._observing else None
        event = WorkflowEvent.from_dict(json.loads(body if marked else raw), offset=offset)
        if offset is not None:
            self._offset = offset + 1
        self._saw(event)
        return event

    def _saw(self, event: WorkflowEvent) -> None:
        """Keeps `status` as the local stream does, and takes the usage and any refusal from the finish."""
        kind, payload = event.type, event.payload
        if kind == STEP_SUSPENDED:
            self._status = "suspended"
        elif kind == STEP_RESULT and payload.get("status") == "failed":
            self._status = "failed"
        elif kind == WORKFLOW_CANCELED:
            self._status = "canceled"
        elif kind == WORKFLOW_FINISH:
            self._status = str(payload.get("workflowStatus", self._status))
            refusal = _refusal(payload) if len(self._events) <= 1 else None
            if refusal is not None:
                raise refusal
            output = payload.get("output")
            usage = output.get("usage") if isinstance(output, dict) else None
            if isinstance(usage, dict) and not self._usage.done():
                self._usage.set_result({**EMPTY_USAGE, **usage})

    async def _settle(self, result: WorkflowResult | None = None) -> None:
        """Resolves `result` (read from the server unless given) and `usage`; an error reading
        the result is the stream's error."""
        if not self._result.done():
            try:
                result = result if result is not None else await self._fetch_result()
            except Exception as exc:
                self._error = exc
                self._fail(exc)
                raise
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

    # -- after the caller stopped reading --------------------------------------------------
    async def _finish(self) -> None:
        """Reads the rest of the stream (the caller may have stopped reading it, with `break`);
        if the connection was closed early, follows the run on the server to its end."""
        try:
            while await self._more(len(self._events)):
                pass
        except Exception:
            return  # the futures carry the error
        if not self._result.done():
            await self._follow()

    async def _follow(self) -> None:
        """The outcome of a stream left early: the run's events from the next offset until it
        settles (their finish carries the usage), else its stored status polled until then."""
        async with self._follow_lock:
            if self._result.done():
                return
            try:
                result, usage = await self._observe_rest()
            except Exception as exc:
                self._fail(exc)
                return
            if usage is not None and not self._usage.done():
                self._usage.set_result(usage)
            await self._settle(result)

    async def _observe_rest(self) -> tuple[WorkflowResult, dict[str, int] | None]:
        offset = self._offset
        if offset is not None and self._observe is not None:
            observed = self._observe(offset)
            try:
                async for _ in observed:
                    pass
                return await observed.result, await observed.usage
            except RemoteError as exc:
                if exc.status != 501:  # a storage with no event log: poll instead
                    raise
        delay = 0.05
        while True:
            result = await self._fetch_result()
            if result.status not in _UNSETTLED:
                return result, None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    # -- the WorkflowStream surface ------------------------------------------------------
    @property
    def result(self) -> Awaitable[WorkflowResult]:
        """The run's `WorkflowResult` when the stream ends (reads the rest of the stream if needed;
        after an early exit, follows the run on the server: it went on there)."""
        return self._wait(self._result)

    @property
    def usage(self) -> Awaitable[dict[str, int]]:
        """Token usage reported by the stream's `workflow-finish`."""
        return self._wait(self._usage)

    async def _wait(self, fut: asyncio.Future[Any]) -> Any:
        if not fut.done():
            await self._finish()
        return await fut

    @property
    def status(self) -> str:
        """The run's status as this stream has seen it (the result's, once `result` resolved)."""
        return self._status

    @property
    def events(self) -> list[WorkflowEvent]:
        """The events received so far (a copy)."""
        return list(self._events)

    async def __aenter__(self) -> RemoteStream:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        """Leaving early closes the connection; the run goes on on the server, and `result` and
        `usage` still give this call's outcome (or the error that refused it), as locally. An
        observing stream is only a reader: its `result` is canceled, as a local observer's."""
        if self._source is None or self._ended:
            return  # nothing opened yet (`result` would run it all), or nothing left to close
        if not self._observing and (et is None or issubclass(et, Exception)):
            # A refusal is a start then a failed finish: read that far, so `result` raises it.
            try:
                while len(self._events) < 2 and await self._more(len(self._events)):
                    pass
            except Exception:
                return
        self._left_early = True
        response = self._response
        if response is not None:
            await response.aclose()  # ends a read another task may be making
        if not self._pull.locked():
            await self._source.aclose()
        if self._observing:  # only a reader, as a local observer: nothing is left to wait for
            self._result.cancel()
            if not self._usage.done():
                self._usage.set_result(dict(EMPTY_USAGE))

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
