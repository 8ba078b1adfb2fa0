"""Run-level state the executor shares across workflow levels, and small helpers.

`RunExecution` holds what every level of one execution shares (request context,
state, stored records, abort signal, event sinks, usage, the owner token);
`Target` says what a resume acts on; `Fenced` signals a write refused because another execution owns the run.

The event log: `RunExecution.emit` numbers each event and keeps it in `pending`
until the next write of the run takes it (`RunExecution.write`), so a step's events
commit with its record. Events that no write follows soon (a slow step's start,
its writer output) are appended on their own within `_flush.FLUSH_SECONDS`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..events import WorkflowEvent
from ..request_context import RequestContext
from ..results import StepResult
from ..storage.base import LoggedEvent, RunChanges, RunRecord, Storage
from ._flush import flush_clock

if TYPE_CHECKING:
    from ..interceptors import ExecutionInterceptor
    from ._host import Host

log = logging.getLogger("stepstream")


PENDING_RESUME = "__pending_resume"
"""Key in a run's stored resume labels for an accepted resume still executing: written with
the resume's claim (one atomic write), replaced when the execution settles, so a restart
after a crash re-runs the resumed step with the resume data the caller was told was taken."""


class Fenced(Exception):
    """A write was refused because another execution now owns the run."""


_UNSEEN = WorkflowEvent("", "", None)
"""What `emit` returns for an event no reader in this process gets (releasing it does nothing)."""


class AbortEvent(asyncio.Event):
    """The run's abort signal: an `asyncio.Event` whose state is also the plain attribute
    `fired`, which the walk reads between steps (no call)."""

    fired = False

    def set(self) -> None:
        self.fired = True
        super().set()

    def clear(self) -> None:
        self.fired = False
        super().clear()


class Target:
    """A resume target inside one workflow level: the rest of its path, and the data."""

    __slots__ = ("foreach_index", "rest", "resume_data")

    def __init__(self, rest: list[str], resume_data: Any, foreach_index: int | None):
        self.rest = rest
        self.resume_data = resume_data
        self.foreach_index = foreach_index

    def child(self) -> dict[str, Target]:
        """Targets for the nested workflow this one points into."""
        if not self.rest:
            return {}
        return {self.rest[0]: Target(self.rest[1:], self.resume_data, self.foreach_index)}


UNSEEN = WorkflowEvent("", "", None)
"""What `RunState.emit` returns for an event no reader in this process will see (it is
only logged): releasing or discarding it does nothing."""


class Sink:
    """Receives a run's events (streams and watchers)."""

    def push(self, event: WorkflowEvent) -> None:
        raise NotImplementedError

    def finished(self, result: Any, usage: dict[str, int]) -> None:
        """Called when one execution (start, resume, ...) ends."""


class RunExecution:
    """One execution of a run (one claimed `start`, `resume`, `restart` or `time_travel`):
    what every level of its walk shares."""

    def __init__(
        self,
        *,
        run_id: str,
        workflow_id: str,
        storage: Storage,
        request_context: RequestContext,
        state: dict[str, Any],
        records: dict[str, StepResult],
        sinks: list[Sink],
        resource_id: str | None = None,
        restarting: bool = False,
    ):
        self.run_id = run_id
        self.workflow_id = workflow_id
        self.storage = storage
        self.request_context = request_context
        self.state = state
        self.records = records
        self.sinks = sinks
        self.resource_id = resource_id
        self.restarting = restarting
        self.interceptors: tuple[ExecutionInterceptor, ...] = ()  # this execution's (`stepstream.interceptors`)
        self.trace: tuple[str, str] | None = None  # (trace id, span id) an interceptor records in
        #: the `Stepstream` app of the run's workflow (`ctx.app`), if it has one
        self.app: Any = None
        self.abort_event = AbortEvent()
        self.usage: dict[str, int] = {}
        self.interruptible: set[asyncio.Task[Any]] = set()
        #: steps awaiting `ctx.abort_signal.wait()`: an abort wakes them instead of interrupting them
        self.listening: set[asyncio.Task[Any]] = set()
        self.rc_version = request_context._version
        self.state_dirty = False
        self.stored_labels: dict[str, Any] = {}
        #: where the walk's effects go (set by the executor before the walk starts)
        self.host: Host = None  # type: ignore[assignment]
        #: the host's lane for plain steps, if it has one (see `_lane`), and its segments of sync steps (`_segment`)
        self.lane: Callable[[Any, Any, Any], Awaitable[Any]] | None = None
        self.segment: Callable[[Any, Any, Any], Awaitable[Any]] | None = None
        #: while a segment's step runs on a worker thread: what the step hands to the loop, kept
        #: for it, by thread (nested workflows in parallel branches run segments side by side)
        self.segment_calls: dict[int, list[tuple[Callable[..., Any], tuple[Any, ...]]]] = {}
        #: the loop the walk runs on (None when a test drives the walk without one)
        self._loop: asyncio.AbstractEventLoop | None = _running_loop()
        self._thread = threading.get_ident()
        self._init_writes(storage)

    def _init_writes(self, storage: Storage) -> None:
        """What the execution's writes to storage and its event log keep."""
        #: the last top-level step's record, written with the run's final status
        self.defer_last: str | None = None
        self.deferred: tuple[str, StepResult] | None = None
        #: the token this execution claimed the run with; every write is conditional on it
        self.owner: str | None = None
        #: the run span's ids go out with the first write, so a restart can continue the trace
        self.trace_stored = True
        #: other processes can read this storage: slow steps get a `running` record
        self.shared = storage.shared
        #: the storage keeps the run's event log: every event is built, numbered and written
        self.log = storage.keeps_events
        #: the storage writes at once (in memory): step records are saved with no await
        self.immediate = storage.immediate
        #: the offset the next event gets (set from the log when the execution claims the run)
        self.next_offset = 0
        #: numbered events not written yet; the next write of the run takes them
        self.pending: list[LoggedEvent] = []
        self.claim: RunRecord | None = None  # a fresh run's deferred insert: its first write takes it
        #: a write of the run holds the turn (`write`); the others wait in `_turns`, in order
        self._busy = False
        self._turns: deque[asyncio.Future[None]] = deque()
        #: writes of the run waiting for the turn or holding it (an immediate save waits its turn)
        self.writing = 0
        #: True until the execution registers with the loop's flush clock (see `_flush`)
        self.flush_off = True
        #: events waiting to go to this process's readers: [event, released], in offset order
        self._outbox: deque[list[Any]] = deque()
        self._flushing: asyncio.Task[Any] | None = None

    @property
    def emitting(self) -> bool:
        """True when events are wanted: for the log, or by a reader in this process."""
        return self.log or bool(self.sinks)

    def emit(
        self, type: str, payload: dict[str, Any], from_: Any = "WORKFLOW", *, deliver: bool = True, ready: bool = True
    ) -> WorkflowEvent:
        """Builds, numbers and delivers an event. With `deliver=False` it is held, and the
        caller `release`s it once it is stored (a step's result, the run's final events).
        `ready` says the payload holds JSON values already (the engine's own events), so
        its log entry needs no conversion; user data (`ready=False`) is converted.
        From a step's worker thread the event is emitted on the loop soon after."""
        if threading.get_ident() == self._thread or self._loop is None:
            if ready and not self.sinks and not self._outbox:
                # No reader in this process: only the log's entry is built (no event object).
                if self.log:
                    offset = self.next_offset
                    self.next_offset = offset + 1
                    wire = {"type": type, "runId": self.run_id, "from": from_, "payload": payload}
                    self.pending.append(LoggedEvent(offset, wire))
                    if self.flush_off:
                        self.start_flush_timer()
                return UNSEEN
            event = WorkflowEvent(type, self.run_id, payload, from_)
            self._emit_event(event, payload, from_, deliver, ready)
            return event
        event = WorkflowEvent(type, self.run_id, payload, from_)
        self._from_thread(self._emit_event, event, payload, from_, deliver, ready)
        return event

    def _from_thread(self, fn: Callable[..., Any], *args: Any) -> None:
        """`fn(*args)` on the loop, soon: called from a step's worker thread (kept for the step
        while it runs in a segment, see `_segment`)."""
        calls = self.segment_calls.get(threading.get_ident()) if self.segment_calls else None
        if calls is not None:
            calls.append((fn, args))
        else:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(fn, *args)

    def _emit_event(self, event: WorkflowEvent, payload: dict[str, Any], from_: Any, deliver: bool, ready: bool) -> None:
        type = event.type
        if self.log:
            self._log(event, {"type": type, "runId": self.run_id, "from": from_, "payload": payload} if ready else event.to_dict())
        self._send(event, deliver)

    def emit_raw(self, chunk: dict[str, Any]) -> None:
        if threading.get_ident() != self._thread and self._loop is not None:
            self._from_thread(self.emit_raw, chunk)
            return
        event = WorkflowEvent(chunk["type"], self.run_id, None, "USER", raw=chunk)
        if self.log:
            self._log(event, event.to_dict())
        self._send(event, True)

    def _log(self, event: WorkflowEvent, wire: dict[str, Any]) -> None:
        """Numbers the event and keeps its wire JSON for the next write of the run."""
        event.offset = self.next_offset
        self._log_wire(wire)

    def _log_wire(self, wire: dict[str, Any]) -> None:
        offset = self.next_offset
        self.next_offset = offset + 1
        self.pending.append(LoggedEvent(offset, wire))
        if self.flush_off:
            self.start_flush_timer()

    @property
    def quiet(self) -> bool:
        """True when the log is the events' only reader: no reader in this process waits for
        them, so a step's events may be logged as `_step_events` entries, built when read
        (each logs itself: numbered from `next_offset`, appended to `pending`)."""
        return self.log and not self.sinks and not self._outbox

    def start_flush_timer(self) -> None:
        # One clock per loop, not a timer per run: writes in between take the events.
        self.flush_off = False
        flush_clock(self._loop or asyncio.get_running_loop()).add(self)

    def _send(self, event: WorkflowEvent, ready: bool) -> None:
        """Pushes an event to this process's readers, in offset order: an event emitted after
        a held one waits for it."""
        if not self._outbox:
            if ready:
                if self.sinks:
                    for sink in self.sinks[:]:
                        sink.push(event)
                return
            if not self.sinks:
                return  # held for nobody: there is nothing to release it to

        self._outbox.append([event, ready])
        self._drain()

    def release(self, event: WorkflowEvent) -> None:
        """Lets a held event (and those queued behind it) go to this process's readers."""
        if not self._outbox:
            return
        for entry in self._outbox:
            if entry[0] is event:
                entry[1] = True
                break
        self._drain()

    def discard(self, events: list[WorkflowEvent]) -> None:
        """Drops held events that will not be shown (their write was refused)."""
        held = {id(e) for e in events}
        self._outbox = deque(entry for entry in self._outbox if id(entry[0]) not in held)
        self._drain()

    def _drain(self) -> None:
        box = self._outbox
        while box and box[0][1]:
            event = box.popleft()[0]
            for sink in list(self.sinks):
                sink.push(event)

    async def write(self, call: Callable[[Sequence[LoggedEvent]], Awaitable[bool | None]], *, carries_claim: bool = False) -> bool | None:
        """Runs one storage write of this run, handing it the pending events.

        Writes that carry events run one at a time, so the log commits in offset order
        even when parallel steps save at once. A refused write (fenced) keeps none.
        While the run's insert is deferred (`claim`), a write that `carries_claim` reads
        `self.claim` and inserts the run with it; any other write inserts it first."""
        if not self.log and self.claim is None:
            return await call(())
        self.writing += 1
        try:
            if self._busy:
                await self._wait_turn()
            else:
                self._busy = True  # the turn is free: no lock object, no await (most writes)
            try:
                if self.claim is not None and not carries_claim:
                    if not await self.storage.create_run(self.claim):
                        return False  # a run with this id exists: another execution owns it
                    self.claim = None
                events, self.pending = self.pending, []
                try:
                    written = await call(events)
                except BaseException:
                    self.pending[:0] = events  # not written: the next write of the run carries them
                    raise
                if written is not False:
                    self.claim = None
                return written
            finally:
                self._pass_turn()
        finally:
            self.writing -= 1

    async def insert_now(self) -> None:
        """Inserts the run now if its insert still waits for its first write (`claim`): a
        reader in this process asked for the run (`get_run`, `list_runs`, a server route)."""
        self.writing += 1
        try:
            if self._busy:
                await self._wait_turn()
            else:
                self._busy = True
            try:
                if self.claim is not None and await self.storage.create_run(self.claim):
                    self.claim = None  # (refused: the run's next write finds it fenced)
            finally:
                self._pass_turn()
        finally:
            self.writing -= 1

    async def _wait_turn(self) -> None:
        """Waits until the writes before this one are done (first come, first served)."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._pass_turn()  # handed the turn as it was canceled: hand it on
            elif turn in self._turns:
                self._turns.remove(turn)
            raise

    def _pass_turn(self) -> None:
        """Hands the turn to the next waiting write, or frees it."""
        turns = self._turns
        while turns:
            turn = turns.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._busy = False

    def take_claim(self) -> dict[str, Any]:
        """`save_step`'s keyword for the deferred insert of the run, if there is one."""
        return {} if self.claim is None else {"create": self.claim}

    def untake(self, events: list[LoggedEvent]) -> None:
        """Events taken for a write that failed: the next write of the run carries them."""
        self.pending[:0] = events

    def _start_flush(self) -> None:
        """Called by the flush clock: appends the pending events (one append at a time: while
        one runs, the clock's next tick calls again)."""
        if self.pending and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.get_running_loop().create_task(self._flush_pending())

    async def _flush_pending(self) -> None:
        try:
            await self.write(
                lambda events: (
                    self.storage.append_events(self.workflow_id, self.run_id, events, expected_owner=self.owner) if events else _true()
                )
            )
        except Exception:  # the next write of the run reports storage trouble itself
            log.warning("appending events of run %r failed", self.run_id, exc_info=True)

    def stop_flushing(self) -> None:
        """Ends the flush timer (the execution is over; its last write took the events)."""
        if not self.flush_off:
            self.flush_off = True
            flush_clock(self._loop or asyncio.get_running_loop()).discard(self)

    def request_abort(self) -> None:
        """Sets the abort signal and interrupts steps waiting in an await (from any thread)."""
        if threading.get_ident() != self._thread and self._loop is not None:
            self._from_thread(self.request_abort)
            return
        if self.abort_event.is_set():
            return
        self.abort_event.set()
        current = asyncio.current_task()
        for task in list(self.interruptible):
            # A step aborting itself is not waiting (canceling its task would leak to the caller);
            # a step awaiting the abort signal is woken by it and carries on.
            if task is not current and task not in self.listening:
                task.cancel("stepstream: run canceled")

    @property
    def aborted(self) -> bool:
        return self.abort_event.fired

    def add_usage(self, input_tokens: int, output_tokens: int, more: dict[str, Any]) -> None:
        usage = self.usage
        usage["inputTokens"] = usage.get("inputTokens", 0) + int(input_tokens)
        usage["outputTokens"] = usage.get("outputTokens", 0) + int(output_tokens)
        total = more.pop("total_tokens", None)
        usage["totalTokens"] = usage.get("totalTokens", 0) + (int(total) if total is not None else int(input_tokens) + int(output_tokens))
        for key, value in more.items():
            camel = _camel(key)
            usage[camel] = usage.get(camel, 0) + int(value)

    def run_changes(self) -> RunChanges | None:
        """State and request context, if they changed since the last write."""
        changes: RunChanges | None = None
        if not self.trace_stored and self.trace is not None:
            self.trace_stored = True
            changes = {"tracing_context": {"traceId": self.trace[0], "spanId": self.trace[1]}}
        if self.state_dirty:
            if changes is None:
                changes = {}
            changes["state"] = dict(self.state)
            self.state_dirty = False
        rc = self.request_context
        if rc._version != self.rc_version:
            self.rc_version = rc._version
            if changes is None:
                changes = {}
            changes["request_context"] = rc.stored()
        return changes


async def _true() -> bool:
    return True


def new_id() -> str:
    """A UUID4-format id (a `stepCallId`, a generated run id, an owner token's random part),
    unique in this process and across processes:
    80 random bits drawn once per process (again after a fork), then a counter. An id only
    has to be unique, not secret, so no system call or random draw per id."""
    return _ids.prefix + hex(next(_ids.counter))[2:]  # 12 digits: the counter stays in [2**44, 2**48)


class _CallIds:
    __slots__ = ("counter", "prefix")

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        h = os.urandom(10).hex()
        self.prefix = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"
        # Starts in [2**44, 2**45): 2**47 ids before a thirteenth digit, each with 12 hex digits
        # and no format spec to parse (`hex` is about twice as fast as `f"{n:012x}"`).
        self.counter = itertools.count((1 << 44) | int.from_bytes(os.urandom(6), "big") >> 4)


_ids = _CallIds()
os.register_at_fork(after_in_child=_ids.reseed)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


_USAGE_ALIASES = {"promptTokens": "inputTokens", "completionTokens": "outputTokens"}
_USAGE_KEYS = ("inputTokens", "outputTokens", "totalTokens", "reasoningTokens", "cachedInputTokens", "cacheCreationInputTokens")


def usage_from_chunk(data: Any) -> dict[str, int] | None:
    """Token usage carried by an agent's `finish` chunk written through `ctx.writer`."""
    if not isinstance(data, dict) or data.get("type") != "finish":
        return None
    payload = data.get("payload") or {}
    usage = payload.get("usage") or (payload.get("output") or {}).get("usage")
    if not isinstance(usage, dict):
        return None
    out: dict[str, int] = {}
    for key, value in usage.items():
        key = _USAGE_ALIASES.get(key, key)
        if key in _USAGE_KEYS:
            try:
                out[key] = out.get(key, 0) + int(float(value))
            except (TypeError, ValueError):
                continue
    return out


class _Attempt:
    """What running a step body produced."""

    __slots__ = ("labels", "payload", "retryable", "state_updates", "status", "value")

    def __init__(self, status: str, value: Any, payload: Any, state_updates: dict[str, Any] | None = None, labels: Any = None):
        #: a failure the step body raised (the walk may retry it); not a refused suspend payload, say
        self.retryable = False
        self.status = status
        self.value = value
        self.payload = payload
        self.state_updates = state_updates
        self.labels = labels


class LaneMiss:
    """A plain step the host's lane ran without success: the attempt, and what the walk
    needs to settle it the general way (see `_lane`)."""

    __slots__ = ("attempt", "call_id", "started")

    def __init__(self, attempt: _Attempt, started: int, call_id: str):
        self.attempt = attempt
        self.started = started
        self.call_id = call_id


def public_labels(labels: dict[str, Any]) -> dict[str, Any]:
    """Resume labels in Mastra's shape `{stepId, foreachIndex?}` (the stored `path` and a pending resume are internal)."""
    return {label: {k: v for k, v in where.items() if k != "path"} for label, where in labels.items() if label != PENDING_RESUME}
