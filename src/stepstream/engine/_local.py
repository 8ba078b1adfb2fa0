"""`LocalExecutor` and its host: runs execute in this process, on this event loop.

Sync user code (a `def` step, a sync condition, map, sleep or concurrency function)
runs in a worker thread, at most `max_threads` at once, so a blocking call never
holds the loop (FastAPI, LangGraph and LlamaIndex Workflows do the same). A step or
function marked `inline` (cheap and pure) runs on the loop instead. The walk hands the
loop to other tasks after about `yield_ms` of its own work, so streams and other runs
make progress while a long run works.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable, Collection, Coroutine, Iterable, Mapping, Sequence
from time import time as _time
from typing import TYPE_CHECKING, Any

from ..results import StepResult
from ..step import is_inline
from ..storage.base import LoggedEvent, RunChanges
from ..types import RunStatus
from ._attempt import run_attempt
from ._lane import run_lane
from ._per_loop import LoopBound, PerLoop
from ._segment import run_segment
from ._state import new_id
from ._threads import WorkerPool

if TYPE_CHECKING:
    from ..interceptors import Interceptor
    from ..step import Step
    from ._executor import LevelWalk
    from ._host import AttemptRequest
    from ._state import RunExecution, _Attempt

log = logging.getLogger("stepstream")

RUNNING_MARK_SECONDS = 0.1
"""A step still running after this long gets a `running` record (shared storage only)."""

DEFAULT_MAX_THREADS = 40
"""Worker threads for sync user code (anyio's default limiter has the same size)."""


class LocalExecutor:
    """Runs workflows in this process: `Stepstream(..., executor=LocalExecutor())`, the default.

    `max_threads` bounds the worker threads that run sync steps and sync user functions;
    `yield_ms` is the longest stretch of engine work between two yields to the event loop;
    `interceptors` receive the hooks of every execution (`stepstream.interceptors`).
    """

    def __init__(self, *, max_threads: int = DEFAULT_MAX_THREADS, yield_ms: float = 2.0, interceptors: Sequence[Interceptor] = ()):
        if not isinstance(max_threads, int) or max_threads < 1:
            raise ValueError(f"LocalExecutor: max_threads must be a positive int, got {max_threads!r}")
        self.max_threads = max_threads
        self.interceptors: tuple[Interceptor, ...] = tuple(interceptors)
        self.yield_seconds = yield_ms / 1000
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalExecutor(max_threads={self.max_threads})"

    def host(self, rs: RunExecution) -> LocalHost:
        """The host one execution of a run walks on."""
        return LocalHost(self, rs)

    def in_thread(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        """`fn(arg)` in a worker thread, with the caller's context variables (await the result)."""
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = WorkerPool(self.max_threads, "stepstream-step")
                pool = self._pool
        return pool.run(fn, arg)


class _LoopTurn(LoopBound):
    """The walks' shared turn on one event loop: a stretch of engine work is timed from the
    loop's last pass, whichever run does it, and when one walk has worked `yield_ms`, every
    walk on the loop yields at its next step, until the loop has had its turn.

    Each walk timing only itself let N concurrent runs hold the loop N times `yield_ms` in a
    row (the woken walks all run before a timer that fell due meanwhile): four 1,000-step
    chains held a 1 ms ticker for 15-50 ms. And short runs awaited one after another never
    yielded at all (each run started its own clock): 3,000 three-step runs back to back held
    a 1 ms ticker for 347 ms. The stretch starts at the first step after a pass of the loop,
    with a callback queued then (`_tick`), which ends it when the loop next passes; the turn
    ends when a walk finds the stretch used up, and a callback queued then, behind every
    walk already woken, opens the next one."""

    __slots__ = ("armed", "last", "over")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(loop)
        self.over = False
        #: a stretch is being timed (from `last`) and its `_tick` is queued
        self.armed = False
        self.last = 0.0

    def start(self) -> None:
        self.armed = True
        self.last = time.perf_counter()
        self.call_soon(self._tick)

    def _tick(self) -> None:
        self.armed = False  # the loop has had a pass: the next step starts a new stretch

    def end(self) -> None:
        if not self.over:
            self.over = True
            self.call_soon(self._reopen)

    def _reopen(self) -> None:
        self.over = False


#: each loop's turn, shared by every walk on it
_TURNS: PerLoop[_LoopTurn] = PerLoop(_LoopTurn)


_DEFAULT: LocalExecutor | None = None


def default_executor() -> LocalExecutor:
    """The process-wide `LocalExecutor` (one thread pool shared by every app without its own)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = LocalExecutor()
    return _DEFAULT


class LocalHost:
    """The in-process host of one execution (see `_host.Host`)."""

    __slots__ = ("__weakref__", "_dog", "_loop", "_marks", "_thread", "_turn", "executor", "last_output", "last_type", "rs")

    def __init__(self, executor: LocalExecutor, rs: RunExecution):
        self.executor = executor
        self.rs = rs
        # The execution's (an `asyncio.get_running_loop()` is a `getpid` system call on 3.11)
        self._loop = rs._loop or asyncio.get_running_loop()
        self._turn = _TURNS.get(self._loop)
        self._thread = threading.get_ident()
        #: steps running now (shared storage only): key -> (due time, record, write in flight)
        self._marks: dict[str, list[Any]] = {}
        self._dog: _Watchdog | None = None  # the loop's, once a step was marked
        #: the last step the lane ran: its output (JSON) and the type of what it returned
        #: (`_lane`: the next step's record may take that JSON as its payload)
        self.last_output: Any = None
        self.last_type: type | None = None
        rs.lane = self.lane
        rs.segment = self.segment

    # -- clock and ids -------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(_time() * 1000)

    new_call_id = staticmethod(new_id)

    # -- user code ----------------------------------------------------------------------
    if TYPE_CHECKING:

        def attempt(self, request: AttemptRequest) -> Coroutine[Any, Any, _Attempt]: ...

        def lane(self, ex: LevelWalk, step: Step, value: Any) -> Coroutine[Any, Any, Any]: ...

        def segment(self, ex: LevelWalk, steps: Iterable[Step], value: Any) -> Coroutine[Any, Any, tuple[list[Step], Any, Any]]: ...

    else:
        attempt = run_attempt  # `run_attempt(host, request)` as the method itself: no wrapper call per step
        lane = run_lane  # a plain step's whole first run (`_lane`)
        segment = run_segment  # plain sync steps in a row, in one hand-off (`_segment`)

    async def call(self, fn: Callable[[Any], Any], ctx: Any, *, inline: bool = False) -> Any:
        if inline or is_inline(fn) or asyncio.iscoroutinefunction(fn):
            out = fn(ctx)
        else:
            out = await self.executor.in_thread(fn, ctx)
        if hasattr(out, "__await__"):
            out = await out
        return out

    def on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Runs `fn(*args)` on the run's loop: now if called there, else soon (from a step's thread)."""
        if threading.get_ident() == self._thread:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    # -- waits -------------------------------------------------------------------------
    async def wait(self, seconds: float) -> bool:
        abort = self.rs.abort_event
        if seconds <= 0:
            return abort.is_set()
        try:
            await asyncio.wait_for(abort.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def pace(self) -> Coroutine[Any, Any, None] | None:
        turn = self._turn
        if turn.over:
            return self._yield()  # another run used up this turn of the loop
        if not turn.armed:
            turn.start()  # the first step since the loop's last pass
        elif time.perf_counter() - turn.last >= self.executor.yield_seconds:
            turn.end()
            return self._yield()
        return None  # no coroutine to build and await between most steps

    @staticmethod
    async def _yield() -> None:
        # Three passes of the loop, so that a task waiting on a timer that fell due meanwhile
        # (a ticker, a socket's timeout) runs before the walk's next stretch: the first pass
        # runs the timer's callback, which queues that task's wake-up behind the walk's own;
        # the second runs the wake-up, the third the walk. With two, such a task ran only
        # after the next stretch, waiting two stretches (tests/engine/test_pacing.py).
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    # -- storage ------------------------------------------------------------------------
    def save_now(self, key: str, record: StepResult, changes: RunChanges | None) -> bool | None:
        """`save_step` with no await, for a storage that writes at once (in memory) when no
        write of the run is in flight; None when the caller must await `save_step`."""
        rs = self.rs
        if not rs.immediate or rs.claim is not None or rs.writing:
            return None
        events, rs.pending = rs.pending, []
        try:
            return rs.storage.save_step_now(rs.workflow_id, rs.run_id, key, record, changes, rs.owner, events)
        except BaseException:
            rs.untake(events)
            raise

    async def save_step(self, key: str, record: StepResult, changes: RunChanges | None) -> bool:
        rs = self.rs
        storage = rs.storage
        written = self.save_now(key, record, changes)
        if written is not None:
            return written
        # The write carries the run's pending events (one transaction with the record).
        written = await rs.write(
            lambda events: storage.save_step(
                rs.workflow_id, rs.run_id, key, record, changes, expected_owner=rs.owner, events=events, **rs.take_claim()
            ),
            carries_claim=True,
        )
        # Only an explicit False means "fenced": backends written before fencing return None.
        return written is not False

    async def set_run_status(self, status: RunStatus) -> bool:
        rs = self.rs
        storage = rs.storage
        return bool(
            await rs.write(
                lambda events: storage.update_run(rs.workflow_id, rs.run_id, {"status": status}, expected_owner=rs.owner, events=events)
            )
        )

    async def delete_steps(self, keys: list[str]) -> None:
        rs = self.rs
        await rs.storage.delete_steps(rs.workflow_id, rs.run_id, keys)

    # -- a foreach's items (a storage with `supports_items`; see `_host.ItemHost`) --------
    @property
    def keeps_items(self) -> bool:
        return self.rs.storage.supports_items

    @property
    def items_from(self) -> int:
        return self.rs.storage.items_from

    async def load_items(self, key: str, indexes: Collection[int] | None = None) -> dict[int, Any]:
        rs = self.rs
        return await rs.storage.load_items(rs.workflow_id, rs.run_id, key, indexes)

    async def load_items_json(self, key: str) -> str:
        rs = self.rs
        return await rs.storage.load_items_json(rs.workflow_id, rs.run_id, key)

    async def save_items(self, key: str, entries: Mapping[int, Any], replace: bool) -> bool:
        rs = self.rs
        storage = rs.storage

        async def write(events: Sequence[LoggedEvent]) -> bool:
            rs.untake(list(events))  # the foreach's record, written next, carries them
            return await storage.save_items(rs.workflow_id, rs.run_id, key, entries, replace=replace, expected_owner=rs.owner)

        return await rs.write(write) is not False  # after the run's deferred insert, if any

    # -- running marks: one watchdog per event loop, not a timer per step or per run -------
    def mark_running(self, key: str, record: StepResult) -> None:
        marks = self._marks
        if not marks:
            dog = self._dog
            if dog is None:
                dog = self._dog = _WATCHDOGS.get(self._loop)
            dog.ensure()
            dog.hosts.add(self)
        marks[key] = [time.monotonic() + RUNNING_MARK_SECONDS, record, None]

    async def settle_running(self, key: str) -> None:
        later = self.settle_now(key)
        if later is not None:
            await later

    def settle_now(self, key: str) -> Coroutine[Any, Any, None] | None:
        """`settle_running` with no await when no mark write is in flight (nearly always:
        one is started only for a step still running after `RUNNING_MARK_SECONDS`)."""
        mark = self._marks.pop(key, None)
        if mark is None or mark[2] is None:
            return None
        return _settled_mark(key, mark[2])

    def _due_marks(self, now: float) -> None:
        """Called by the watchdog: starts the mark write of each step running past its due time."""
        for key, mark in list(self._marks.items()):
            if mark[2] is None and mark[0] <= now:
                mark[2] = self._loop.create_task(self._mark(key, mark[1]))

    async def _mark(self, key: str, record: StepResult) -> bool | None:
        rs = self.rs
        storage = rs.storage
        return await rs.write(
            lambda events: storage.save_step(
                rs.workflow_id, rs.run_id, key, record, expected_owner=rs.owner, events=events, **rs.take_claim()
            ),
            carries_claim=True,
        )

    def close(self) -> None:
        """The execution ended: no marks to start, and the watchdog lets go of this host at
        once (kept to its next tick, it kept the run's records alive up to 50 ms longer).

        The execution holds its host (and its lane and segment, bound to it); from now on the
        host holds the execution weakly, so no cycle is left and the run's state is freed as
        soon as nothing uses it, not at a later collection (once a long run's records reached
        the oldest generation, only a full collection freed them)."""
        self._marks.clear()
        dog = self._dog
        if dog is not None:
            dog.hosts.discard(self)
        try:
            self.rs = weakref.proxy(self.rs)
        except TypeError:
            pass  # closed before: it is the proxy already


class _Watchdog(LoopBound):
    """Starts the running marks of every execution on one event loop: a task that ticks
    while some host has steps running, and ends when none has (the next mark restarts it)."""

    __slots__ = ("hosts", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(loop)
        #: hosts with steps running (each removed by the tick that finds it has none)
        self.hosts: set[LocalHost] = set()
        self.task: asyncio.Task[None] | None = None

    def ensure(self) -> None:
        if self.task is None:
            self.task = self.create_task(self._tick())

    async def _tick(self) -> None:
        try:
            while self.hosts:
                await asyncio.sleep(RUNNING_MARK_SECONDS / 2)
                self._pass(time.monotonic())
        finally:
            self.task = None

    def _pass(self, now: float) -> None:
        """One tick (a call of its own: the task's frame keeps no host while it sleeps)."""
        for host in list(self.hosts):
            if host._marks:
                host._due_marks(now)
            else:
                self.hosts.discard(host)


_WATCHDOGS: PerLoop[_Watchdog] = PerLoop(_Watchdog)


async def _settled_mark(key: str, write: asyncio.Task[Any]) -> None:
    """Waits for a running mark's write in flight (its trouble is the final write's to report)."""
    try:
        await write
    except Exception:
        log.debug("running mark of %r failed", key, exc_info=True)
