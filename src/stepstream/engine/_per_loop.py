"""The engine's one-per-event-loop helpers (the loop's turn, the flush clock, the running
marks' watchdog): made on first use, found again cheaply, and gone with their loop."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar


class LoopBound:
    """A helper of one event loop, holding it by a weak reference: the loop's table keys it
    weakly, and a helper holding its loop would keep the key, so every closed loop would stay."""

    __slots__ = ("loop",)

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = weakref.ref(loop)

    # The loop is alive whenever these are called: the walk calling them runs on it.
    def call_soon(self, fn: Callable[[], None]) -> None:
        loop = self.loop()
        if loop is not None:
            loop.call_soon(fn)

    def create_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        loop = self.loop()
        if loop is None:
            coro.close()
            return None
        return loop.create_task(coro)


_B = TypeVar("_B", bound=LoopBound)


class PerLoop(Generic[_B]):
    """`make(loop)` once per loop; the one found last is kept (most processes run one loop:
    no weak-key lookup then)."""

    __slots__ = ("_last", "_make", "_table")

    def __init__(self, make: Callable[[asyncio.AbstractEventLoop], _B]):
        self._make = make
        self._table: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _B] = weakref.WeakKeyDictionary()
        self._last: _B | None = None

    def get(self, loop: asyncio.AbstractEventLoop) -> _B:
        found = self._last
        if found is not None and found.loop() is loop:
            return found
        found = self._table.get(loop)
        if found is None:
            found = self._table[loop] = self._make(loop)
        self._last = found
        return found
