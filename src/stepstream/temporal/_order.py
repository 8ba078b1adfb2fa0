"""The order the walk on Temporal takes concurrent step results in, as in-process.

In-process, steps the walk starts together (a parallel block, a foreach's first items)
run in one event loop: a step that ends without waiting on anything (a suspend, a quick
computation) ends before the siblings started after it, and a longer one ends after the
shorter ones. On Temporal each attempt is an activity, and results reach the workflow in
the order their activities happened to report back, which depends on the task queues,
not on the steps: a foreach could start a next item when a slot freed before it saw an
earlier item's suspension.

So results are taken in the in-process order: attempts started together (no result taken
in between) form a batch; a result waits until every attempt of its batch has reported
(at most `HOLD_SECONDS`), then the batch's results are taken by how long their step bodies
ran (an instant one as 0), ties in start order. A result that waits longer than the hold
for a slow sibling is taken without it. Everything here is deterministic: the body times
come in the activities' results, the waits are Temporal timers.
"""

from __future__ import annotations

from temporalio import workflow

HOLD_SECONDS = 0.25
"""How long a result waits for the siblings started with it (a Temporal timer)."""

INSTANT_MS = 5.0
"""A step body that ran less than this is taken as instant: it ends in start order."""


class _Batch:
    """Attempts started together: their numbers, and the results that reported."""

    __slots__ = ("delivered", "members", "reported")

    def __init__(self) -> None:
        self.members: list[int] = []
        #: number -> sort key (body time, number), for the results that reported
        self.reported: dict[int, tuple[float, int]] = {}
        self.delivered: set[int] = set()

    def complete(self) -> bool:
        """Every attempt of the batch has reported."""
        return len(self.reported) == len(self.members)

    def next(self) -> int | None:
        """The reported result to take next: the shortest body, the earliest started."""
        waiting = [key for number, key in self.reported.items() if number not in self.delivered]
        return min(waiting)[1] if waiting else None


class Ordering:
    """Numbers the walk's attempts and hands their results back in the in-process order."""

    def __init__(self) -> None:
        self.started = 0
        #: results taken so far: attempts started between two takes form one batch
        self.taken = 0
        #: attempts in flight (numbers)
        self.inflight: set[int] = set()
        self._batch = _Batch()
        self._batch_taken = -1
        self._batches: dict[int, _Batch] = {}

    def begin(self) -> tuple[int, int | None, list[int]]:
        """Numbers a new attempt; returns its number, the number of the attempt started just
        before it in its batch (its body starts after that one's), and the attempts in flight."""
        number = self.started
        self.started += 1
        if self._batch_taken != self.taken:
            self._batch, self._batch_taken = _Batch(), self.taken
        batch = self._batch
        after = batch.members[-1] if batch.members else None
        pending = sorted(self.inflight)
        batch.members.append(number)
        self._batches[number] = batch
        self.inflight.add(number)
        return number, after, pending

    async def reported(self, number: int, ran_ms: float | None) -> None:
        """Waits until the result of attempt `number` (whose body ran `ran_ms`) is to be taken."""
        batch = self._batches[number]
        body = ran_ms if ran_ms is not None and ran_ms >= INSTANT_MS else 0.0
        batch.reported[number] = (body, number)
        if not batch.complete():
            try:
                await workflow.wait_condition(batch.complete, timeout=HOLD_SECONDS)
            except TimeoutError:
                pass
        if batch.next() != number:
            await workflow.wait_condition(lambda: batch.next() == number)

    def taken_back(self, number: int) -> None:
        """Attempt `number`'s result is the walk's (or its activity failed): the next batch begins."""
        batch = self._batches.pop(number)
        batch.reported.setdefault(number, (-1.0, number))
        batch.delivered.add(number)
        self.inflight.discard(number)
        self.taken += 1
