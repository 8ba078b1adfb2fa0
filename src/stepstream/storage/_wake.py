"""Waking readers of run event logs: what `wait_events` of every backend shares.

A reader registers a future for its run, then checks the log, then sleeps on
the future: an append that lands between the check and the sleep still wakes
it, so no wake-up is lost. Backends call `wake(run)` after an append commits
(in-process), or when another process says so (PostgreSQL NOTIFY); `poll`
bounds each sleep for appends nobody announces (other SQLite processes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

RunKey = tuple[str, str]


class Waiters:
    """Readers waiting for events, by `(workflow_id, run_id)`."""

    def __init__(self) -> None:
        #: futures of the readers waiting, by run (empty when none waits)
        self.waiting: dict[RunKey, set[asyncio.Future[None]]] = {}

    def __len__(self) -> int:
        return sum(len(futures) for futures in self.waiting.values())

    def wake(self, workflow_id: str, run_id: str) -> None:
        """Wakes the readers of one run."""
        for fut in self.waiting.pop((workflow_id, run_id), ()):
            if not fut.done():
                fut.set_result(None)

    def wake_all(self) -> None:
        """Wakes every reader (they re-check their own run)."""
        waiting, self.waiting = self.waiting, {}
        for futures in waiting.values():
            for fut in futures:
                if not fut.done():
                    fut.set_result(None)

    async def wait(self, key: RunKey, has_events: Callable[[], Awaitable[bool]], poll: float | None = None) -> None:
        """Returns once `has_events()` holds, checking again on each wake-up and every `poll` seconds."""
        loop = asyncio.get_running_loop()
        while True:
            fut: asyncio.Future[None] = loop.create_future()
            self.waiting.setdefault(key, set()).add(fut)
            try:
                if await has_events():
                    return
                await asyncio.wait((fut,), timeout=poll)
            finally:
                futures = self.waiting.get(key)
                if futures is not None:
                    futures.discard(fut)
                    if not futures:
                        del self.waiting[key]
                if not fut.done():
                    fut.cancel()
