"""The flush clock: appends the events no write of their run took, for every execution
on one event loop.

One task per loop ticks every FLUSH_SECONDS / 2 while some execution has pending events;
an execution whose first pending event was already pending at the previous tick gets its
events appended on their own (`RunExecution._start_flush`). A step's events normally
ride with its record (see `RunExecution.write`), so most runs never need this; a timer
per run cost each run a timer handle, its cancellation and the loop's heap upkeep.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ._per_loop import LoopBound, PerLoop

if TYPE_CHECKING:
    from ._state import RunExecution

FLUSH_SECONDS = 0.1
"""Events no write has taken within about this long are appended to the log on their own."""


class FlushClock(LoopBound):
    """Watches the executions of one loop that have pending events."""

    __slots__ = ("runs", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(loop)
        #: executions with pending events -> their first pending event seen at the last tick
        self.runs: dict[RunExecution, Any] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, rs: RunExecution) -> None:
        self.runs[rs] = None
        if self.task is None:
            self.task = self.create_task(self._tick())

    def discard(self, rs: RunExecution) -> None:
        self.runs.pop(rs, None)

    async def _tick(self) -> None:
        try:
            while self.runs:
                await asyncio.sleep(FLUSH_SECONDS / 2)
                self._pass()
        finally:
            self.task = None

    def _pass(self) -> None:
        """One tick (a call of its own: the task's frame keeps no execution while it sleeps)."""
        for rs, seen in list(self.runs.items()):
            pending = rs.pending
            if not pending:
                del self.runs[rs]
                rs.flush_off = True  # its next event registers it again
            elif pending[0] is seen:
                rs._start_flush()  # pending since the last tick at least
            else:
                self.runs[rs] = pending[0]


_CLOCKS: PerLoop[FlushClock] = PerLoop(FlushClock)


def flush_clock(loop: asyncio.AbstractEventLoop) -> FlushClock:
    """The loop's flush clock."""
    return _CLOCKS.get(loop)
