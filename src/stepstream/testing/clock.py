"""`FakeClock`: time that moves only when a test moves it (for the scheduler's clock seam).

clock = FakeClock(start_ms)
app = Stepstream(workflows=[wf], scheduler={"clock": clock})
await app.scheduler.start()
await clock.advance(60_000)     # sleepers whose deadline passed wake up
"""

from __future__ import annotations

import asyncio
from typing import Any


class FakeClock:
    """A settable clock. `sleep_until` returns when `advance`/`set` reaches the deadline."""

    def __init__(self, start_ms: int):
        self._now = start_ms
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def now_ms(self) -> int:
        """The fake current time (epoch ms)."""
        return self._now

    @property
    def deadlines(self) -> list[int]:
        """The deadlines sleepers are waiting for, earliest first."""
        return sorted(d for d, fut in self._waiters if not fut.done())

    async def set(self, now_ms: int) -> None:
        """Moves the clock to `now_ms` (never backwards) and wakes the sleepers it reaches."""
        self._now = max(self._now, now_ms)
        for deadline, fut in self._waiters:
            if deadline <= self._now and not fut.done():
                fut.set_result(None)
        self._waiters = [(d, f) for d, f in self._waiters if not f.done()]
        await asyncio.sleep(0)

    async def advance(self, ms: int) -> None:
        """Moves the clock forward by `ms`."""
        await self.set(self._now + ms)

    async def sleep_until(self, deadline_ms: int, wake: asyncio.Event) -> None:
        """Waits for the fake time to reach `deadline_ms`, or for `wake`."""
        if deadline_ms <= self._now or wake.is_set():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((deadline_ms, fut))
        woken: asyncio.Future[Any] = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait([fut, woken], return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            if not fut.done():
                fut.cancel()
