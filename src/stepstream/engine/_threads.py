"""Worker threads for sync user code: the hand-off from the event loop and back.

`loop.run_in_executor` goes through a `concurrent.futures.Future`, a work item, a
semaphore and `wrap_future`'s callbacks; a sync step pays that on every call. Here a job
is one tuple on a `SimpleQueue`, and the result comes back with one
`call_soon_threadsafe`: about half the cost per hop. Like a `ThreadPoolExecutor`, at
most `size` threads run at once (started as needed, then kept); more jobs wait their turn.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import weakref
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any


class WorkerPool:
    """Runs `fn(arg)` in a worker thread, with the caller's context variables."""

    def __init__(self, size: int, name: str):
        self.size = size
        self.name = name
        self._jobs: SimpleQueue[tuple[Any, ...]] = SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        _POOLS.add(self)

    def run(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        """A future of `fn(arg)`, run in a worker thread (call it on the event loop)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if self._idle:
                self._idle -= 1  # an idle worker takes this job
                start = False
            else:
                start = self._threads < self.size
                if start:
                    self._threads += 1
        self._jobs.put((loop, fut, contextvars.copy_context(), fn, arg))
        if start:
            threading.Thread(target=self._work, name=f"{self.name}_{self._threads}", daemon=True).start()
        return fut

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            loop, fut, ctx, fn, arg = jobs.get()
            try:
                result = ctx.run(fn, arg)
            except BaseException as exc:  # handed to the awaiting step, as an executor would
                _deliver(loop, _fail, fut, exc)
            else:
                _deliver(loop, _done, fut, result)
            del loop, fut, ctx, fn, arg
            result = None
            with self._lock:
                self._idle += 1

    def _forget_threads(self) -> None:
        """In a forked child: the parent's threads do not exist here."""
        self._lock = threading.Lock()
        self._jobs = SimpleQueue()
        self._threads = self._idle = 0


def _deliver(loop: asyncio.AbstractEventLoop, settle: Callable[[asyncio.Future[Any], Any], None], fut: Any, value: Any) -> None:
    try:
        loop.call_soon_threadsafe(settle, fut, value)
    except RuntimeError:  # the loop is closed: nobody waits for this result any more
        pass


def _done(fut: asyncio.Future[Any], result: Any) -> None:
    if not fut.done():  # the awaiting step may have been canceled meanwhile
        fut.set_result(result)


def _fail(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


_POOLS: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


def _after_fork() -> None:
    for pool in list(_POOLS):
        pool._forget_threads()


os.register_at_fork(after_in_child=_after_fork)
