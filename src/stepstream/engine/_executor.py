"""The walk: goes through a workflow's graph, runs steps, records results, emits events.

One *execution* of a run (one `start`, `resume`, `restart` or `time_travel`) is a
`RunExecution` (`_state`): what every level of its walk shares (request context,
workflow state, abort signal, sinks, the host). One `LevelWalk` walks one workflow
level; a nested workflow gets a child `LevelWalk` whose record keys and event ids
carry the `outer.` prefix.

Start, resume, restart and time travel are one walk. In *replay* mode a node
whose stored record is `success` is not run again (its stored output is used),
a suspended record is resumed only if it is a resume target and otherwise stays
suspended, and anything without a record runs. This is what keeps resumed
parallel siblings, foreach items and nested runs exactly as they were.

The sequential hot path creates no task, copies nothing, and builds event
objects only when a stream or watcher is listening.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Coroutine
from itertools import islice
from typing import Any

from .._schema import storable, to_json
from .._suspend_meta import meta_of, strip_meta
from ..errors import BailSignal, NonRetryableError, SuspendSignal, ValidationError
from ..events import STEP_OUTPUT, STEP_PROGRESS, STEP_RESULT, STEP_START, STEP_SUSPENDED, WorkflowEvent
from ..results import StepResult, StoredInput
from ..step import Step
from ..storage.base import RunChanges
from ..types import RunStatus
from ..workflow.builder import Workflow
from ..workflow.plan import ConditionalNode, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode
from . import _intercept as intercept
from ._flow import run_conditional, run_loop, run_parallel
from ._host import AttemptRequest
from ._nested import run_nested
from ._records import settled_record
from ._segment import segment_of, walk_segment
from ._sleep import run_sleep
from ._state import Fenced, LaneMiss, RunExecution, Target, _Attempt, usage_from_chunk
from ._step_events import StepSettled, StepStarted, result_payload

log = logging.getLogger("stepstream")


class LevelWalk:
    """The walk of one workflow level (the top level, or one nested workflow's)."""

    def __init__(
        self,
        rs: RunExecution,
        workflow: Workflow,
        prefix: str,
        init_data: Any,
        *,
        replay: bool = False,
        targets: dict[str, Target] | None = None,
        time_travel: tuple[str, Any, list[str]] | None = None,
        path: list[str] | None = None,
        per_step: bool = False,
    ):
        self.rs = rs
        #: stop `paused` after the first entry that runs (top level only, as Mastra's perStep)
        self.per_step = per_step
        self.workflow = workflow
        self.prefix = prefix
        #: step ids from the top-level workflow down to this level (as in suspended paths)
        self.path: list[str] = path or []
        self._init = init_data
        self.replay = replay
        self.targets = targets or {}
        self.time_travel = time_travel
        #: this level's step records by step id (`rs.records` holds every level's, by full key)
        self.steps: dict[str, StepResult] = {}
        if replay:
            ids = _graph_ids(workflow)
            plen = len(prefix)
            for key, record in rs.records.items():
                if key.startswith(prefix) and key[plen:] in ids:
                    self.steps[key[plen:]] = record
        self.suspended: list[list[str]] = []
        self.suspend_payloads: dict[str, Any] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.error: Any = None
        #: Mastra's stepExecutionPath: the `then`/`map`/nested-workflow and sleep entries reached,
        #: in order and with repeats (parallel, branch, loop and foreach entries are not listed)
        self.executed: list[str] = []

    @property
    def init_data(self) -> Any:
        """The level's input (`ctx.get_init_data()`); a resumed run's is typed when first read."""
        value = self._init
        if type(value) is StoredInput:
            value = self._init = value.get()
        return value

    # -- the walk ---------------------------------------------------------------------------
    async def run(self, value: Any) -> tuple[str, Any]:
        """Runs every node in order; returns (status, output-or-bail-value)."""
        rs = self.rs
        abort = rs.abort_event
        graph = self.workflow.graph
        last = graph[-1]  # the run's final write carries the last step's record: one transaction, not two
        last_id = last.step.id if not self.prefix and type(last) is StepNode else None
        travel = self.time_travel
        replay = self.replay
        intercepted = bool(rs.interceptors)
        lane = rs.lane if rs.log else None  # the lane logs a step's events as entries: the log must read them
        executed = self.executed
        segments = lane is not None and rs.immediate and rs.segment is not None and travel is None and not intercepted and not self.per_step
        nodes = enumerate(graph)
        for index, node in nodes:
            if abort.fired:
                return "canceled", None
            if node is last and last_id is not None:
                rs.defer_last = last_id
            if travel is not None and travel[0] in node.ids and travel[1] is not None and not travel[2]:
                value = to_json(travel[1])
            done = self.per_step and self.replayed(node)
            if type(node) is StepNode:
                step = node.step
                executed.append(step.id)
                if replay or self.targets:  # (a loop's resume target is dropped once used)
                    status, value = await (self._replay_step(step, value) if replay else self.run_step(step, value, False))
                    replay = self.replay
                elif intercepted or isinstance(step, Workflow):
                    status, value = await self._execute(step, value)  # what run_step does then, one call shorter
                elif lane is not None and not rs.sinks and not rs._outbox and (step.is_async or step.inline) and step._rc is None:
                    out = await lane(self, step, value)  # the host runs the whole step (see `_lane`)
                    if type(out) is LaneMiss:
                        status, value = await self._settle_plain(step, value, out.started, out.call_id, out.attempt)
                    else:
                        status, value = "success", out
                elif segments and not rs.sinks and not rs._outbox and (span := segment_of(self.workflow, graph, index)):
                    status, value, taken = await walk_segment(self, graph, span, value, last_id)  # sync steps in a row, one hand-off
                    deque(islice(nodes, taken), maxlen=0)  # the nodes it took
                else:
                    status, value = await self._run_plain(step, value)
            else:
                status, value = await self._run_node(node, value)
                replay = self.replay
            if status != "success":
                return (status, None) if status == "failed" else (status, value)
            if self.per_step and not done and node is not last and not abort.fired:
                return "paused", None  # Mastra's perStep: one entry from where this execution starts
        if abort.fired:
            return "canceled", None
        return "success", value

    async def _replay_step(self, step: Step, value: Any) -> tuple[str, Any]:
        """`run_step` replaying; a step that ran (resumed, or with no record) ends the replay (`_run_node`)."""
        kept = self.steps.get(step.id)
        status, value = await self.run_step(step, value, True)
        if status == "success" and self.steps.get(step.id) is not kept:
            self.replay = False
        return status, value

    def replayed(self, node: Node) -> bool:
        """True when a replayed node already succeeded, so it will not run again."""
        if not self.replay:
            return False
        records = [self.steps.get(i) for i in node.ids]
        if isinstance(node, ConditionalNode):
            records = [r for r in records if r is not None]
            return bool(records) and all(r.status == "success" for r in records if r is not None)
        return all(r is not None and r.status == "success" for r in records)

    async def _run_node(self, node: Node, value: Any) -> tuple[str, Any]:
        if type(node) is SleepNode:
            self.executed.append(node.id)
        kept = [self.steps.get(i) for i in node.ids] if self.replay else None
        if self.rs.interceptors and type(node) is not SleepNode:
            status, value = await intercept.walk_node(self, node, value)
        else:
            status, value = await self._walk_node(node, value)
        if kept is not None and status == "success" and any(self.steps.get(i) is not r for i, r in zip(node.ids, kept, strict=True)):
            self.replay = False  # it ran: the rest runs, as Mastra's resume runs every entry after the suspended one
        return status, value

    async def _walk_node(self, node: Node, value: Any) -> tuple[str, Any]:
        if isinstance(node, ParallelNode):
            return await run_parallel(self, node, value)
        if isinstance(node, ConditionalNode):
            return await run_conditional(self, node, value)
        if isinstance(node, LoopNode):
            return await run_loop(self, node, value)
        if isinstance(node, ForeachNode):
            return await self._run_foreach(node, value)
        if isinstance(node, SleepNode):
            return await run_sleep(self, node, value)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    # -- steps ------------------------------------------------------------------------------
    async def run_step(self, step: Step, value: Any, replay: bool, iteration: int | None = None) -> tuple[str, Any]:
        """Runs one step (or replays its stored record). Returns (status, output | error | bail value)."""
        if replay:
            prev = self.steps.get(step.id)
            if prev is not None:
                status = prev.status
                if status == "success":
                    return "success", prev.output
                if status == "suspended":
                    target = self.targets.get(step.id)
                    if target is None:
                        self._keep_suspended(step.id, prev)
                        return "suspended", None
                    meta = prev.metadata or {}
                    self.targets.pop(step.id)  # a resume is for this entry; one later with the same id runs afresh
                    return await self._execute(step, prev.payload, target=target, prev=prev, iteration=meta.get("iterationCount"))
        target = self.targets.pop(step.id, None) if self.targets else None
        return await self._execute(step, value, target=target, iteration=iteration)

    async def _execute(
        self,
        step: Step,
        value: Any,
        *,
        target: Target | None = None,
        prev: StepResult | None = None,
        iteration: int | None = None,
    ) -> tuple[str, Any]:
        rs = self.rs
        host = rs.host
        key = step.id
        name = self.prefix + key
        started = prev.started_at if prev is not None and prev.started_at else host.now_ms()
        resumed_at = host.now_ms() if target is not None else None
        resume_data = target.resume_data if target is not None else None
        metadata = {"iterationCount": iteration} if iteration is not None else None
        if rs.interceptors:
            intercept.step_started(self, step, value)
        call_id = self._emit_start(name, value, started, resumed_at, resume_data, metadata) if rs.emitting else ""
        if prev is None and not rs.shared and not isinstance(step, Workflow):
            base = (iteration - 1) if iteration is not None else 0  # the common case, one call shorter
            att = await self._attempts(step, key, value, resume_data, None, base, iteration)
        else:
            att = await self._run_marked(step, value, target, prev, started, metadata, iteration)
        record = settled_record(
            att.status,
            att,
            host.now_ms(),
            started=started,
            resume_payload=to_json(resume_data) if target is not None else None,
            resumed_at=resumed_at,
            suspended_at=prev.suspended_at if prev is not None else None,
            metadata=metadata,
        )
        return await self._settled(key, name, call_id, att, record)

    async def _run_plain(self, step: Step, value: Any) -> tuple[str, Any]:
        """`_execute` for the common case, in fewer calls: a step's first run, with no interceptor,
        that the host's lane did not take (`run`), and no running mark to keep (unshared storage)."""
        rs = self.rs
        if rs.shared:
            return await self._execute(step, value)  # under a running mark
        host = rs.host
        key = step.id
        name = self.prefix + key
        started = host.now_ms()
        if rs.log and not rs.sinks and not rs._outbox:  # `_emit_start` when only the log reads (one call less)
            call_id = host.new_call_id()
            StepStarted(rs, name, call_id, value, started)
        else:
            call_id = self._emit_start(name, value, started, None, None, None) if rs.emitting else ""
        paced = host.pace()
        if paced is not None:
            await paced
        att = await host.attempt(AttemptRequest(self, step, key, value, None, None, 0, None))
        if att.status != "success":
            return await self._settle_plain(step, value, started, call_id, att)
        # `_settled` for a success, with no awaited save where the host saves at once (the hot path)
        record = StepResult.succeeded(att.payload, att.value, started, host.now_ms())
        if att.state_updates:
            rs.state.update(att.state_updates)
            rs.state_dirty = True
        event = self._record_event(name, call_id, record, "success")  # None when only logged
        if event is not None:
            await self.save(key, record, event)
        else:
            later = self._store(key, record)
            if later is not None:
                await later
        return "success", att.value

    async def _settle_plain(self, step: Step, value: Any, started: int, call_id: str, att: _Attempt) -> tuple[str, Any]:
        """A plain step's first attempt did not succeed: retries it as configured, then settles it."""
        key = step.id
        rs = self.rs
        try:
            if att.status == "failed" and att.retryable:
                att = await self._attempts(step, key, value, None, None, 0, None, att)
        finally:
            if rs.shared:  # the lane's running mark, kept through the retries
                await rs.host.settle_running(self.prefix + key)
        record = settled_record(
            att.status, att, self.rs.host.now_ms(), started=started, resume_payload=None, resumed_at=None, suspended_at=None, metadata=None
        )
        return await self._settled(key, self.prefix + key, call_id, att, record)

    async def _settled(self, key: str, name: str, call_id: str, att: _Attempt, record: StepResult) -> tuple[str, Any]:
        """Applies a settled attempt: state updates, the record and its event, the walk's next move."""
        rs = self.rs
        # A step that returns after the run was aborted keeps its own result (Mastra):
        # the run ends canceled at the next boundary.
        status = att.status
        if att.state_updates and status in ("success", "suspended", "bailed"):
            rs.state.update(att.state_updates)
            rs.state_dirty = True
        await self.save(key, record, self._record_event(name, call_id, record, status))
        if rs.interceptors:
            intercept.step_ended(self, key, record)
        if status == "suspended":
            self._register_suspended(key, att.value, att.labels)
            return "suspended", None
        if status == "failed":
            self.error = att.value
            return "failed", att.value
        return status, att.value

    def _emit_start(
        self, name: str, value: Any, started: int, resumed_at: int | None, resume_data: Any, metadata: dict[str, Any] | None
    ) -> str:
        """Emits the step's start event; returns its `stepCallId`."""
        rs = self.rs
        call_id = rs.host.new_call_id()
        if resumed_at is None and metadata is None and rs.quiet:
            StepStarted(rs, name, call_id, value, started)
            return call_id
        # `value` is JSON already: outputs are stored in JSON form and passed on as such
        start: dict[str, Any] = {
            "stepName": name,
            "id": name,
            "stepCallId": call_id,
            "payload": value,
            "startedAt": started,
            "status": "running",
        }
        if resumed_at is not None:
            start["resumePayload"] = to_json(resume_data)
            start["resumedAt"] = resumed_at
        if metadata is not None:
            start["metadata"] = metadata
        self.rs.emit(STEP_START, start)
        return call_id

    async def _run_marked(
        self,
        step: Step,
        value: Any,
        target: Target | None,
        prev: StepResult | None,
        started: int,
        metadata: dict[str, Any] | None,
        iteration: int | None,
    ) -> _Attempt:
        """Runs the step's attempts (or its nested workflow), under a `running` mark when other processes can see it."""
        host = self.rs.host
        key = step.id
        name = self.prefix + key
        shared = self.rs.shared
        if shared:
            host.mark_running(name, StepResult.running(value, started, metadata))
        try:
            if isinstance(step, Workflow):
                return await run_nested(self, step, key, value, target, prev)
            resume_data = target.resume_data if target is not None else None
            suspend_data = strip_meta(prev.suspend_payload) if prev is not None else None
            retry_base = (iteration - 1) if iteration is not None else 0
            return await self._attempts(step, key, value, resume_data, suspend_data, retry_base, iteration)
        finally:
            if shared:
                await host.settle_running(name)

    def _record_event(self, name: str, call_id: str, record: StepResult, status: str) -> WorkflowEvent | None:
        """The event of a settled step, held until its record is saved (see `save`)."""
        rs = self.rs
        if rs.quiet:
            StepSettled(rs, name, call_id, record, status == "bailed")
            return None
        if not rs.emitting:
            return None
        payload = result_payload(record, name, call_id, status == "bailed")
        return rs.emit(STEP_SUSPENDED if record.status == "suspended" else STEP_RESULT, payload, deliver=False)

    async def _attempts(
        self,
        step: Step,
        key: str,
        value: Any,
        resume_data: Any,
        suspend_data: Any,
        retry_base: int,
        iteration: int | None,
        first: _Attempt | None = None,
    ) -> _Attempt:
        """The step's attempts, retried as configured; `first` is one made already."""
        rs = self.rs
        host = rs.host
        wf = self.workflow
        retries = step.retries if step.retries is not None else wf.retry_attempts
        attempt = 0
        while True:
            if first is not None:
                att, first = first, None  # the caller made the first attempt
            else:
                paced = host.pace()
                if paced is not None:
                    await paced
                att = await host.attempt(AttemptRequest(self, step, key, value, resume_data, suspend_data, retry_base + attempt, iteration))
            if att.status != "failed" or not att.retryable:
                return att
            exc = att.value
            if attempt < retries and not isinstance(exc, NonRetryableError) and not rs.aborted:
                attempt += 1
                if wf.retry_delay_ms and await host.wait(wf.retry_delay_ms / 1000):
                    return _Attempt("canceled", None, att.payload)
                continue
            att.value = self._located(exc, key)
            return att

    def _located(self, exc: Exception, key: str) -> Exception:
        """The error; a ValidationError now names the step (with its nested path), the workflow and the run."""
        if isinstance(exc, ValidationError):
            exc.located(f"step {self.prefix + key!r} of workflow {self.rs.workflow_id!r}, run {self.rs.run_id!r}")
        return exc

    def _bailed_attempt(self, key: str, sig: BailSignal, payload: Any, state_updates: dict[str, Any] | None) -> _Attempt:
        try:
            return _Attempt("bailed", storable(sig.value, f"Step {key!r} bail value"), payload, state_updates)
        except ValidationError as exc:
            return _Attempt("failed", self._located(exc, key), payload)

    def _check_request_context(self, step: Step) -> None:
        """Mastra's step `requestContextSchema` check (the context itself is not changed)."""
        assert step._rc is not None
        message = f"Step request context validation failed for step '{step.id}'"
        step._rc.validate(self.rs.request_context.all, message, code="WORKFLOW_STEP_REQUEST_CONTEXT_VALIDATION_FAILED")

    def _suspended_attempt(self, step: Step, sig: SuspendSignal, payload: Any, state_updates: dict[str, Any] | None) -> _Attempt:
        data = sig.payload
        if self.workflow.validate_inputs and step.suspend_schema is not None:
            try:
                data = step._suspend.validate(
                    data, "Step suspend data validation failed", code="WORKFLOW_STEP_SUSPEND_DATA_VALIDATION_FAILED"
                )
            except ValidationError as exc:
                return _Attempt("failed", self._located(exc, step.id), payload)
        try:
            data = storable(data, f"Step {step.id!r} suspend payload")
        except ValidationError as exc:
            return _Attempt("failed", self._located(exc, step.id), payload)
        labels = {label: {"stepId": step.id, "path": [step.id]} for label in sig.labels}
        return _Attempt("suspended", data, payload, state_updates, labels)

    # -- foreach -----------------------------------------------------------------------------
    async def _run_foreach(self, node: ForeachNode, value: Any) -> tuple[str, Any]:
        from ._foreach import run_foreach

        return await run_foreach(self, node, value)

    # -- records and helpers ---------------------------------------------------------------
    async def save(self, key: str, record: StepResult, event: WorkflowEvent | None = None) -> None:
        """Records a step result in memory and in storage (with changed state/context).

        `event`, the step's result event, is numbered already, so it is stored in the same
        transaction as the record; this process's readers get it once the record is saved."""
        try:
            later = self._store(key, record)
            if later is not None:
                await later
        finally:
            if event is not None:
                self.rs.release(event)

    def _store(self, key: str, record: StepResult) -> Coroutine[Any, Any, None] | None:
        """`save` without the event: done at once where the host can (in memory), else the
        write to await. The last top-level step's record waits for the run's final write."""
        self.steps[key] = record
        rs = self.rs
        full = self.prefix + key
        rs.records[full] = record
        if rs.defer_last == full:
            rs.defer_last = None
            rs.deferred = (full, record)
            return None
        changes = rs.run_changes()
        written = rs.host.save_now(full, record, changes)
        if written is None:
            return self._save_later(full, record, changes)
        if not written:
            raise Fenced
        return None

    async def _save_later(self, full: str, record: StepResult, changes: RunChanges | None) -> None:
        if not await self.rs.host.save_step(full, record, changes):
            raise Fenced

    async def set_status(self, status: RunStatus) -> None:
        """Changes the run's status (a top-level sleep: `waiting`, then `running` again)."""
        if not await self.rs.host.set_run_status(status):
            raise Fenced

    def _register_suspended(self, key: str, payload: Any, labels: dict[str, Any] | None) -> None:
        inner = meta_of(payload)
        if inner and inner.get("paths"):
            self.suspended.extend([key, *p] for p in inner["paths"])
        else:
            self.suspended.append([key, *inner["path"]] if inner and "path" in inner else [key])
        self.suspend_payloads[key] = payload
        if labels:
            self.labels.update(labels)

    def _keep_suspended(self, key: str, record: StepResult) -> None:
        labels = {}
        meta = meta_of(record.suspend_payload)
        here = [*self.path, key]
        for label, where in self.rs.stored_labels.items():
            path = where.get("path")
            if isinstance(path, list) and path[: len(here)] == here:
                labels[label] = {**where, "stepId": key, "path": path[len(self.path) :]}  # relative to this level
            elif path is None and not self.path and where.get("stepId") == key:
                labels[label] = where  # a label stored without a path (Mastra's shape)
        if meta and meta.get("resumeLabels"):
            labels.update(meta["resumeLabels"])
        self._register_suspended(key, record.suspend_payload, labels)

    def has_result(self, step_id: str) -> bool:
        record = self.steps.get(step_id)
        return record is not None and record.status == "success"

    def step_output(self, step_id: str, step: Step | None = None) -> Any:
        """A succeeded step's output, as its `output_schema` type when it has one."""
        record = self.steps.get(step_id)
        if record is None or record.status != "success":
            return None
        step = step or self.workflow.steps_by_id.get(step_id)
        if step is None or step._out.adapter is None or record.output is None:
            return record.output
        try:
            return step._out.validate(record.output, "step result")
        except ValidationError:
            return record.output

    def state_for(self, step: Step | None) -> Any:
        state = self.rs.state
        schema = step._state if step is not None else None
        if schema is None:
            schema = self.workflow.state_schema_obj
        if schema is None:
            return state
        try:
            return schema.validate(state, "Step state data validation failed")
        except ValidationError:
            return state

    def merge_state(self, step: Step | None, key: str, updates: dict[str, Any] | None, new_state: Any) -> dict[str, Any]:
        new = storable(new_state, "Step state data")
        if not isinstance(new, dict):
            raise ValidationError("Step state data validation failed: \n- state must be an object", [("", "state must be an object")])
        merged_updates = {**(updates or {}), **new}
        schema = step._state if step is not None else None
        if schema is None:
            schema = self.workflow.state_schema_obj
        if schema is not None and self.workflow.validate_inputs:
            schema.validate({**self.rs.state, **merged_updates}, "Step state data validation failed")
        return merged_updates

    def write_output(self, name: str, data: Any) -> None:
        usage = usage_from_chunk(data)
        if usage:
            for k, v in usage.items():
                self.rs.usage[k] = self.rs.usage.get(k, 0) + v
        if self.rs.emitting:
            self.rs.emit(STEP_OUTPUT, {"output": data, "runId": self.rs.run_id, "stepName": name}, "USER", ready=False)

    def write_custom(self, chunk: dict[str, Any]) -> None:
        if self.rs.emitting:
            self.rs.emit_raw(chunk)

    def emit_progress(self, key: str, completed: int, total: int, index: int, status: str, output: Any) -> None:
        if self.rs.emitting:
            payload: dict[str, Any] = {
                "id": self.prefix + key,
                "stepName": self.prefix + key,
                "completedCount": completed,
                "totalCount": total,
                "currentIndex": index,
                "iterationStatus": status,
            }
            if status == "success":
                payload["iterationOutput"] = to_json(output)
            self.rs.emit(STEP_PROGRESS, payload)


def _graph_ids(wf: Workflow) -> frozenset[str]:
    return wf.node_ids
