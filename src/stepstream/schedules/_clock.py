"""The scheduler's clock: the seam that lets tests move time without sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol


class Clock(Protocol):
    """What the scheduler needs from time."""

    def now_ms(self) -> int:
        """The current time in Unix epoch milliseconds."""
        ...

    async def sleep_until(self, deadline_ms: int, wake: asyncio.Event) -> None:
        """Returns at `deadline_ms`, or as soon as `wake` is set."""
        ...


class SystemClock:
    """Wall-clock time, sleeping on the event loop."""

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    async def sleep_until(self, deadline_ms: int, wake: asyncio.Event) -> None:
        delay = (deadline_ms - self.now_ms()) / 1000
        if delay <= 0 or wake.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), delay)
