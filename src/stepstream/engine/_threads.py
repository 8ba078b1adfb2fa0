"""Worker threads for sync user code: the hand-off from the event loop and back.

Like a `ThreadPoolExecutor`, at most `size` threads run at once (started as needed, then
kept); more jobs wait their turn in a deque. `loop.run_in_executor` costs a
`concurrent.futures.Future`, a work item, a semaphore, `wrap_future`'s callbacks and a
pass through the loop per call; a sync step pays the hop on every call, so it is cut down:

- The way there. A parked worker sleeps on a pipe of its own; the job is set on the
  worker and one byte written to its pipe. On a busy machine that wakes the worker in
  about half the time a lock or a `SimpleQueue` takes (the same on a quiet one). Likely
  why: a pipe write wakes its reader with the kernel's "sync" hint (the writer is about
  to sleep), so the worker is kept on the loop's CPU and runs once the loop's thread blocks.
- The way back. When an idle worker took the job, the loop's thread waits for it, blocked
  with the GIL released (on a lock the worker releases), for at most `wait` seconds
  (100 µs, beyond the slowest round trips measured under load): a job done by then
  settles its future at once, and the step goes on without a pass through the loop (no
  `call_soon_threadsafe`, self-pipe wake-up and callback round). A job still running is
  left to settle through the loop as before; a one-item token (a list: `pop` is atomic)
  decides which side delivers, so a job finishing just as the wait ends is delivered
  exactly once. A function that overran the wait is not waited for in its next call,
  then 2, 4 ... up to `MAX_SKIP` calls while it keeps overrunning (a foreach of slow
  items is handed out without delay; a mostly quick one loses one call per overrun).
  Callbacks the job handed to the loop meanwhile (`ctx.writer`, events, `ctx.abort()`)
  still run before its result is seen: if the loop's queue grew during the wait, or
  cannot be seen (a loop other than asyncio's own), the result is settled by
  `call_soon`, behind them.

bench/sync_hop.py (100-step chain, a 2-core VM shared with other work), per step: while
the machine was busy the hop went from ~45-60 µs to ~12-18 µs (~7 µs back to back;
`run_in_executor`: ~65-90 µs); while it was quiet, from ~145 µs to ~57 µs. On a quiet
machine the kernel wakes the other thread on the idle CPU, and waking a halted vCPU costs
~10 µs each way (a bare lock or pipe round trip: ~20 µs); when both threads share a CPU
(a busy machine, or a process pinned to one core) the hop is ~7-12 µs. A lock or
`SimpleQueue` wake-up instead of the pipe: ~20 µs busy. The loop's thread spinning
(`time.sleep(0)`), a worker polling, or a shorter `sys.setswitchinterval` did not help
(no better, often worse): with the GIL one of the two threads always sleeps. The loop is
held at most `wait` per hop, inside the engine's ~2 ms between yields. Each worker holds
two file descriptors (its pipe).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import weakref
from _thread import allocate_lock
from collections import deque
from collections.abc import Callable
from typing import Any

WAIT = 100e-6
"""How long the loop's thread waits for a job an idle worker took, in seconds."""
MAX_SKIP = 16
"""A function that overran the wait is not waited for in its next 1, 2, 4 ... calls, at most this many."""


class _Worker:
    """One worker thread: its next job, and the pipe it sleeps on between jobs."""

    __slots__ = ("job", "sleep", "wake")

    def __init__(self, job: tuple[Any, ...]):
        self.job = job
        self.sleep, self.wake = os.pipe()

    def hand(self, job: tuple[Any, ...]) -> None:
        """Gives the parked worker its next job, and wakes it (call it once per park)."""
        self.job = job
        os.write(self.wake, b"\0")

    def next_job(self) -> tuple[Any, ...]:
        os.read(self.sleep, 1)  # parked: until `hand`
        job, self.job = self.job, ()  # not kept past its run (see `WorkerPool._work`)
        return job

    def close(self) -> None:
        os.close(self.sleep)
        os.close(self.wake)


class WorkerPool:
    """Runs `fn(arg)` in a worker thread, with the caller's context variables."""

    def __init__(self, size: int, name: str, wait: float = WAIT):
        self.size = size
        self.name = name
        self.wait = wait
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []  # parked, the last parked last (taken first: its CPU is warm)
        self._queued: deque[tuple[Any, ...]] = deque()  # jobs for the next worker free, when none is
        #: functions that overran the wait -> (calls still not to wait for, how many that was)
        self._slow: dict[Any, tuple[int, int]] = {}
        _POOLS.add(self)

    def run(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        """A future of `fn(arg)`, run in a worker thread (call it on the event loop).

        The future may be done already: the job was done within the wait."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        ctx = contextvars.copy_context()
        with self._lock:
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                job = (loop, fut, ctx, fn, arg, _NOBODY, None, None)
                if len(self._workers) >= self.size:
                    self._queued.append(job)
                    return fut
                worker = _Worker(job)
                self._workers.append(worker)
                name = f"{self.name}_{len(self._workers)}"
                threading.Thread(target=self._work, args=(worker,), name=name, daemon=True).start()
                return fut
        if self.wait and self._waits_for(fn):
            return self._hand_and_wait(worker, loop, fut, ctx, fn, arg)
        worker.hand((loop, fut, ctx, fn, arg, _NOBODY, None, None))
        return fut

    def _hand_and_wait(self, worker: _Worker, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any], *call: Any) -> asyncio.Future[Any]:
        done = allocate_lock()
        done.acquire()
        waiting = [True]  # the token: whoever pops it (this thread giving up, or the worker) decides
        out: list[Any] = []
        ready = getattr(loop, "_ready", None)  # asyncio's own loops: the callbacks queued to run
        queued = len(ready) if type(ready) is deque else -1
        worker.hand((loop, fut, *call, waiting, done, out))
        try:
            finished = done.acquire(True, self.wait)
        except BaseException:  # a signal handler raised: the worker settles through the loop
            _take(waiting)
            raise
        if not finished:
            if _take(waiting):
                self._overran(call[1])
                return fut  # the worker settles it through the loop
            done.acquire()  # the worker took the token just now: its outcome comes here
        elif self._slow:
            self._forget(call[1])
        settle, value = out
        if queued >= 0 and len(ready) == queued:  # type: ignore[arg-type]
            settle(fut, value)
        else:  # the job handed callbacks to the loop (or we cannot tell): those run first, as before
            loop.call_soon(settle, fut, value)
        return fut

    def _waits_for(self, fn: Callable[[Any], Any]) -> bool:
        slow = self._slow
        if not slow:
            return True
        try:
            entry = slow.get(fn)
        except TypeError:  # an unhashable callable: always waited for
            return True
        if entry is None or not entry[0]:
            return True  # not slow, or its turn to be tried again
        slow[fn] = (entry[0] - 1, entry[1])
        return False

    def _overran(self, fn: Callable[[Any], Any]) -> None:
        slow = self._slow
        if len(slow) >= 1024:
            slow.clear()  # functions of workflows long gone, most likely
        try:
            entry = slow.get(fn)
            span = 1 if entry is None else min(2 * entry[1], MAX_SKIP)
            slow[fn] = (span, span)
        except TypeError:
            pass

    def _forget(self, fn: Callable[[Any], Any]) -> None:
        try:
            self._slow.pop(fn, None)
        except TypeError:
            pass

    def _work(self, worker: _Worker) -> None:
        lock, idle, queued = self._lock, self._idle, self._queued
        job, worker.job = worker.job, ()
        while True:
            loop, fut, ctx, fn, arg, waiting, done, out = job
            settle: Callable[[asyncio.Future[Any], Any], None]
            try:
                settle, value = _done, ctx.run(fn, arg)
            except BaseException as exc:  # handed to the awaiting step, as an executor would
                settle, value = _fail, exc
            with lock:  # free before the outcome is out: the loop's next job finds this worker
                parked = not queued
                if parked:
                    idle.append(worker)
                else:
                    job = queued.popleft()
            if _take(waiting):  # the loop's thread waits: the outcome is for it
                out += (settle, value)
                done.release()
            else:
                _deliver(loop, settle, fut, value)
            del loop, fut, ctx, fn, arg, waiting, done, out, settle, value
            if parked:
                # A parked worker keeps nothing of its last job: kept, its argument (a step's
                # context: its run's records) lived until the worker's next job.
                job = ()
                job = worker.next_job()

    def _forget_threads(self) -> None:
        """In a forked child: the parent's threads do not exist here."""
        for worker in self._workers:
            worker.close()
        self._lock = threading.Lock()
        self._workers, self._idle, self._queued = [], [], deque()


_NOBODY: list[bool] = []
"""The token of a job nobody waits for (never filled)."""


def _take(token: list[bool]) -> bool:
    """Whether this caller took the token (a list pop is atomic: only one side can)."""
    try:
        token.pop()
    except IndexError:
        return False
    return True


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
