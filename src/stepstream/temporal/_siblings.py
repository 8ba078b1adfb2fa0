"""Concurrent attempts of one execution that run in the same worker process.

In-process, steps started together enter their bodies in the walk's order, and a step
reading `ctx.state` sees the updates of every sibling that has ended (its own `set_state`
applies when it ends). On Temporal each attempt is an activity; when the siblings' activities
run in one worker process (a single worker, or local steps), this module gives them the
same two things:

- **start order**: an attempt enters its body after the attempt the walk started just
  before it (`after`) has entered its own. If that one is not running in this process
  within `GATE_SECONDS` (another worker took it), the attempt goes ahead;
- **live state**: an attempt that ends with state updates pushes them into the state of
  the siblings running here, and one that starts later takes those its walk snapshot lacks
  (the attempts that were in flight when the walk started it, or started after it).

Activities on other workers see the state as the walk had it when it started them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

GATE_SECONDS = 0.25
"""How long an attempt waits for the attempt before it to show up in this process."""

IDLE_SECONDS = 30.0
"""How long an execution's entry outlives its last running attempt here (a late sibling)."""

APPLIED = ("success", "suspended", "bailed")
"""The outcomes whose state updates the walk applies."""


class Siblings:
    """The attempts of one execution in this process: which entered their bodies, and the
    state updates of those that ended, in the order they ended."""

    def __init__(self) -> None:
        self.present: set[int] = set()
        self.started: set[int] = set()
        self.ended: dict[int, dict[str, Any]] = {}
        self.running: dict[int, dict[str, Any]] = {}
        #: attempts below this number were taken by the walk (so they ended): nothing is kept of them
        self.floor = 0
        self.users = 0
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def arrived(self, number: int) -> None:
        """Attempt `number` runs in this process (it has not entered its body yet)."""
        self.present.add(number)
        self._notify()

    def entered(self, number: int) -> None:
        """Attempt `number` has entered its body (or will not): the next one may enter its own."""
        if number not in self.started:
            self.started.add(number)
            self._notify()

    async def wait_entered(self, number: int) -> None:
        """Waits until attempt `number` has entered its body, or for `GATE_SECONDS` if it does
        not run in this process."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATE_SECONDS
        while number not in self.started and number >= self.floor:
            limit = None if number in self.present else deadline - loop.time()
            if limit is not None and limit <= 0:
                return
            try:
                async with asyncio.timeout(limit):
                    await self._changed.wait()
            except TimeoutError:
                return

    def watch(self, number: int, state: dict[str, Any], pending: list[int]) -> None:
        """`state` (attempt `number`'s walk snapshot) follows its siblings from now on: the
        updates it lacks of those that ended already are applied to it now."""
        missing = set(pending)
        self._forget_below(min(missing | {number}))
        for other, updates in self.ended.items():
            if other in missing or other > number:
                state.update(updates)
        self.running[number] = state

    def _forget_below(self, floor: int) -> None:
        """The walk had taken every attempt below `floor` when it started a new one: no later
        attempt lacks their updates or waits for them."""
        if floor <= self.floor:
            return
        self.floor = floor
        self.present = {n for n in self.present if n >= floor}
        self.started = {n for n in self.started if n >= floor}
        self.ended = {n: u for n, u in self.ended.items() if n >= floor}

    def ended_with(self, number: int, status: str, updates: dict[str, Any] | None) -> None:
        """Attempt `number` ended: its state updates reach the siblings running here."""
        self.running.pop(number, None)
        if updates and status in APPLIED:
            self.ended[number] = dict(updates)
            for state in self.running.values():
                state.update(updates)


_EXECUTIONS: dict[str, Siblings] = {}


@contextlib.contextmanager
def siblings(execution: str) -> Iterator[Siblings]:
    """The entry of one Temporal workflow execution (its run id) while an attempt of it runs here."""
    entry = _EXECUTIONS.get(execution)
    if entry is None:
        entry = _EXECUTIONS[execution] = Siblings()
    entry.users += 1
    try:
        yield entry
    finally:
        entry.users -= 1
        if entry.users == 0:
            asyncio.get_running_loop().call_later(IDLE_SECONDS, _forget, execution, entry)


def _forget(execution: str, entry: Siblings) -> None:
    if entry.users == 0 and _EXECUTIONS.get(execution) is entry:
        del _EXECUTIONS[execution]
