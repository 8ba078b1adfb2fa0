"""`WorkflowStream`: the events of a run as an async iterator, plus its result and usage.

Every reader gets the events so far, then live ones, so several readers may
iterate at once. `await stream.result` and `await stream.usage` resolve when the
stream closes: at the end of the run, or when it suspends unless
`close_on_suspend=False` (then the same stream carries on through a resume).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..events import EMPTY_USAGE, STEP_RESULT, STEP_SUSPENDED, WORKFLOW_CANCELED, WORKFLOW_FINISH, WORKFLOW_START, WorkflowEvent
from ..results import WorkflowResult
from ._state import Sink

if TYPE_CHECKING:
    from .run import Run


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class WorkflowStream(Sink):
    """A run's event stream (what `run.stream()` and `run.resume_stream()` return)."""

    def __init__(self, run: Run, close_on_suspend: bool = True, *, attach: bool = True):
        loop = asyncio.get_running_loop()
        self.run_id = run.run_id
        self.workflow_id = run.workflow_id
        self._run = run
        self._close_on_suspend = close_on_suspend
        self._events: list[WorkflowEvent] = []
        self._closed = False
        self._error: BaseException | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._result: asyncio.Future[WorkflowResult] = loop.create_future()
        self._result.add_done_callback(_retrieve)
        self._usage: asyncio.Future[dict[str, int]] = loop.create_future()
        self._usage_total: dict[str, int] = dict(EMPTY_USAGE)
        self._status: str = "running"
        self._task: asyncio.Task[Any] | None = None
        self._seen_start = False
        #: the caller left the `async with` block: the outcome is still delivered to `result`
        self._left = False
        #: an observer reads the run's log (its driver feeds it) instead of this process's live events
        self._observer = not attach
        if attach:
            run._sinks.append(self)

    # -- feeding --------------------------------------------------------------------------
    def _drive(self, coro: Coroutine[Any, Any, WorkflowResult]) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run_coro(coro))

    async def _run_coro(self, coro: Coroutine[Any, Any, WorkflowResult]) -> None:
        try:
            result = await coro
        except Exception as exc:
            self._fail(exc)
            return
        except BaseException as exc:
            self._fail(exc)
            raise
        if not self._result.done() and (result.status != "suspended" or self._close_on_suspend or self._left):
            self._close(result)

    def push(self, event: WorkflowEvent) -> None:
        if self._closed:
            return
        kind = event.type
        if kind == WORKFLOW_START:
            if self._seen_start:
                return
            self._seen_start = True
        elif kind == WORKFLOW_FINISH and not self._close_on_suspend and event.payload.get("workflowStatus") == "suspended":
            return
        self._add(event)

    def _add(self, event: WorkflowEvent) -> None:
        """Appends an event for the readers (no filtering: an observer shows the log as it is)."""
        kind = event.type
        if kind == STEP_SUSPENDED:
            self._status = "suspended"
        elif kind == STEP_RESULT and event.payload.get("status") == "failed":
            self._status = "failed"
        elif kind == WORKFLOW_CANCELED:
            self._status = "canceled"
        self._events.append(event)
        self._wake()

    def finished(self, result: Any, usage: dict[str, int]) -> None:
        for key, value in usage.items():
            self._usage_total[key] = self._usage_total.get(key, 0) + value
        self._status = result.status
        if result.status == "suspended" and not self._close_on_suspend:
            return
        self._close(result)

    def _close(self, result: WorkflowResult) -> None:
        if self._result.done():
            return
        self._closed = True
        self._status = result.status
        self._detach()
        if not self._result.done():
            self._result.set_result(result)
        if not self._usage.done():
            self._usage.set_result(dict(self._usage_total))
        self._wake()

    def _fail(self, exc: BaseException) -> None:
        if self._result.done():
            return
        self._closed = True
        self._error = exc
        self._status = "failed"
        self._detach()
        if not self._result.done():
            self._result.set_exception(exc)
        if not self._usage.done():
            self._usage.set_result(dict(self._usage_total))
        self._wake()

    def _detach(self) -> None:
        sinks = self._run._sinks
        if self in sinks:
            sinks.remove(self)

    def _wake(self) -> None:
        waiter = self._wakeup
        if waiter is not None:
            self._wakeup = None
            if not waiter.done():
                waiter.set_result(None)

    # -- reading --------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[WorkflowEvent]:
        return self._read()

    async def _read(self) -> AsyncIterator[WorkflowEvent]:
        index = 0
        events = self._events
        while index < len(events) or await self._more(index):
            yield events[index]
            index += 1

    async def batches(self) -> AsyncIterator[list[WorkflowEvent]]:
        """The events of `async for`, in lists: each holds every event waiting when the reader
        got to run, so a writer (the server) sends them in one write instead of one each."""
        index = 0
        events = self._events
        while index < len(events) or await self._more(index):
            batch = events[index:]
            index += len(batch)
            yield batch

    async def _more(self, index: int) -> bool:
        """Waits for an event past `index`: True once there is one, False if the stream closed first."""
        while index >= len(self._events):
            if self._closed:
                if self._error is not None:
                    raise self._error
                return False
            if self._wakeup is None:
                self._wakeup = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._wakeup)
        return True

    @property
    def result(self) -> asyncio.Future[WorkflowResult]:
        """Awaitable: the run's `WorkflowResult` (raises if the call was refused)."""
        return self._result

    @property
    def usage(self) -> asyncio.Future[dict[str, int]]:
        """Awaitable: token usage summed over the stream (Mastra's usage keys)."""
        return self._usage

    @property
    def status(self) -> str:
        """The run's current status as this stream has seen it."""
        return self._status

    @property
    def events(self) -> list[WorkflowEvent]:
        """The events received so far (a copy)."""
        return list(self._events)

    async def __aenter__(self) -> WorkflowStream:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        """Leaving early stops this stream's events: the run itself carries on, and
        `await stream.result` and `stream.usage` still give this call's outcome (its result
        and usage, or the error that refused it, such as invalid input or resume data)."""
        self._left = True
        if not self._closed:
            if self._observer:
                self._detach()
            self._closed = True  # `push` drops the rest; `finished` still brings the outcome and usage
            self._wake()
            task = self._task
            if self._observer and task is not None and not task.done():
                task.cancel()  # only a reader: nothing is left to read for
                self._result.cancel()
                if not self._usage.done():
                    self._usage.set_result(dict(self._usage_total))

    def __repr__(self) -> str:
        return f"<WorkflowStream run={self.run_id!r} status={self._status!r}>"
