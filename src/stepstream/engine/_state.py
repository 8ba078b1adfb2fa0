"""Run-level state the executor shares across workflow levels, and small helpers.

`RunState` holds what every level of one execution shares (request context,
state, stored records, abort signal, event sinks, usage, the owner token);
`Target` says what a resume acts on; `RunningMark` records slow steps as
`running`; `Fenced` signals a write refused because another execution owns the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from ..events import WorkflowEvent
from ..request_context import RequestContext
from ..results import StepResult
from ..storage.base import RunChanges, Storage

if TYPE_CHECKING:
    from ._executor import Execution
    from ._tracing import RunTracer

log = logging.getLogger("stepstream")

META = "__workflow_meta"

PENDING_RESUME = "__pending_resume"
"""Key in a run's stored resume labels for an accepted resume still executing: written with
the resume's claim (one atomic write), replaced when the execution settles, so a restart
after a crash re-runs the resumed step with the resume data the caller was told was taken."""


class Fenced(Exception):
    """A write was refused because another execution now owns the run."""


RUNNING_MARK_SECONDS = 0.1
"""A step still running after this long gets a `running` record (shared storage only)."""


class RunningMark:
    """Records a slow step as `running` so that other processes watching the run see it.

    Fast steps only schedule and cancel a timer; the final record waits for a mark
    write in flight, so a `running` record never overwrites a settled one.
    """

    __slots__ = ("ex", "handle", "key", "record", "task")

    def __init__(self, ex: Execution, key: str, record: StepResult):
        self.ex = ex
        self.key = key
        self.record = record
        self.task: asyncio.Task[Any] | None = None
        self.handle = asyncio.get_running_loop().call_later(RUNNING_MARK_SECONDS, self._fire)

    def _fire(self) -> None:
        rs = self.ex.rs
        full = self.ex.prefix + self.key
        self.task = asyncio.get_running_loop().create_task(
            rs.storage.save_step(rs.workflow_id, rs.run_id, full, self.record, expected_owner=rs.owner)
        )

    async def settle(self) -> None:
        self.handle.cancel()
        if self.task is not None:
            try:
                await self.task
            except Exception:  # the final write reports storage trouble itself
                log.debug("running mark of %r failed", self.key, exc_info=True)


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


class Sink:
    """Receives a run's events (streams and watchers)."""

    def push(self, event: WorkflowEvent) -> None:
        raise NotImplementedError

    def finished(self, result: Any, usage: dict[str, int]) -> None:
        """Called when one execution (start, resume, ...) ends."""


class RunState:
    """What every level of one execution shares."""

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
        tracer: RunTracer | None = None,
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
        self.tracer = tracer
        #: the `Stepstream` app of the run's workflow (`ctx.app`), if it has one
        self.app: Any = None
        self.abort_event = asyncio.Event()
        self.usage: dict[str, int] = {}
        self.interruptible: set[asyncio.Task[Any]] = set()
        #: steps awaiting `ctx.abort_signal.wait()`: an abort wakes them instead of interrupting them
        self.listening: set[asyncio.Task[Any]] = set()
        self.rc_version = request_context._version
        self.state_dirty = False
        self.stored_labels: dict[str, Any] = {}
        #: the last top-level step's record, written with the run's final status
        #: step records written by this execution (per-step mode pauses after an entry that wrote one)
        self.saves = 0
        self.defer_last: str | None = None
        self.deferred: tuple[str, StepResult] | None = None
        #: the token this execution claimed the run with; every write is conditional on it
        self.owner: str | None = None
        #: the run span's ids go out with the first write, so a restart can continue the trace
        self.trace_stored = tracer is None
        #: other processes can read this storage: slow steps get a `running` record
        self.shared = storage.shared

    def emit(self, type: str, payload: dict[str, Any], from_: Any = "WORKFLOW") -> None:
        event = WorkflowEvent(type, self.run_id, payload, from_)
        for sink in list(self.sinks):
            sink.push(event)

    def emit_raw(self, chunk: dict[str, Any]) -> None:
        event = WorkflowEvent(chunk["type"], self.run_id, None, "USER", raw=chunk)
        for sink in list(self.sinks):
            sink.push(event)

    def request_abort(self) -> None:
        """Sets the abort signal and interrupts steps waiting in an await."""
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
        return self.abort_event.is_set()

    def add_usage(self, input_tokens: int, output_tokens: int, more: dict[str, Any]) -> None:
        usage = self.usage
        usage["inputTokens"] = usage.get("inputTokens", 0) + int(input_tokens)
        usage["outputTokens"] = usage.get("outputTokens", 0) + int(output_tokens)
        total = more.pop("total_tokens", None)
        usage["totalTokens"] = usage.get("totalTokens", 0) + (
            int(total) if total is not None else int(input_tokens) + int(output_tokens)
        )
        for key, value in more.items():
            camel = _camel(key)
            usage[camel] = usage.get(camel, 0) + int(value)

    def run_changes(self) -> RunChanges | None:
        """State and request context, if they changed since the last write."""
        changes: RunChanges | None = None
        if not self.trace_stored and self.tracer is not None:
            self.trace_stored = True
            changes = {"tracing_context": {"traceId": self.tracer.trace_id, "spanId": self.tracer.span_id}}
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
            changes["request_context"] = to_json(rc.all)
        return changes


def new_call_id() -> str:
    """A random UUID4-format id for `stepCallId` (cheaper than `uuid.uuid4()`)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


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

    __slots__ = ("labels", "payload", "state_updates", "status", "value")

    def __init__(self, status: str, value: Any, payload: Any, state_updates: dict[str, Any] | None = None, labels: Any = None):
        self.status = status
        self.value = value
        self.payload = payload
        self.state_updates = state_updates
        self.labels = labels


def public_labels(labels: dict[str, Any]) -> dict[str, Any]:
    """Resume labels in Mastra's shape `{stepId, foreachIndex?}` (the stored `path` and a pending resume are internal)."""
    return {label: {k: v for k, v in where.items() if k != "path"} for label, where in labels.items() if label != PENDING_RESUME}


def strip_meta(payload: Any) -> Any:
    """A suspend payload without the engine's `__workflow_meta`."""
    if isinstance(payload, dict) and META in payload:
        return {k: v for k, v in payload.items() if k != META}
    return payload
