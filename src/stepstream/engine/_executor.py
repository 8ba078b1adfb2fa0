"""The executor: walks a workflow's plan, runs steps, records results, emits events.

One `Execution` walks one workflow level; a nested workflow gets a child
`Execution` whose record keys and event ids carry the `outer.` prefix. All
levels share one `RunState` (request context, state, abort signal, sinks).

Start, resume, restart and time travel are one walk. In *replay* mode a node
whose stored record is `success` is not run again (its stored output is used),
a suspended record is resumed only if it is a resume target and otherwise stays
suspended, and anything without a record runs. This is what keeps resumed
parallel siblings, foreach items and nested runs exactly as they were.

The sequential hot path creates no task, copies nothing, and builds event
objects only when a stream or watcher is listening.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .._schema import storable, to_json
from .._suspend_meta import META, meta_of, strip_meta
from ..errors import BailSignal, NonRetryableError, SuspendSignal, ValidationError
from ..events import STEP_OUTPUT, STEP_PROGRESS, STEP_RESULT, STEP_START, STEP_SUSPENDED, STEP_WAITING, WorkflowEvent
from ..results import StepResult
from ..step import Step, StepContext
from ..types import RunStatus
from ..workflow.builder import Workflow
from ..workflow.plan import ConditionalNode, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode
from . import _intercept as intercept
from ._host import AttemptRequest
from ._state import Fenced, RunState, Target, _Attempt, usage_from_chunk

log = logging.getLogger("stepstream")


class Execution:
    """Walks one workflow level."""

    def __init__(
        self,
        rs: RunState,
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
        self.init_data = init_data
        self.replay = replay
        self.targets = targets or {}
        self.time_travel = time_travel
        self.context: dict[str, StepResult] = {}
        if replay:
            ids = _graph_ids(workflow)
            plen = len(prefix)
            for key, record in rs.records.items():
                if key.startswith(prefix) and key[plen:] in ids:
                    self.context[key[plen:]] = record
        self.suspended: list[list[str]] = []
        self.suspend_payloads: dict[str, Any] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.error: Any = None
        #: Mastra's stepExecutionPath: the `then`/`map`/nested-workflow and sleep entries reached,
        #: in order and with repeats (parallel, branch, loop and foreach entries are not listed)
        self.executed: list[str] = []

    # -- the walk ---------------------------------------------------------------------------
    async def run(self, value: Any) -> tuple[str, Any]:
        """Runs every node in order; returns (status, output-or-bail-value)."""
        rs = self.rs
        graph = self.workflow.graph
        last = graph[-1]
        top = not self.prefix
        for node in graph:
            if rs.abort_event.is_set():
                return "canceled", None
            if top and node is last and type(node) is StepNode:
                # The run's final write carries this step's record: one transaction instead of two.
                rs.defer_last = node.step.id
            travel = self.time_travel
            if travel is not None and travel[0] in node.ids and travel[1] is not None and not travel[2]:
                value = to_json(travel[1])
            done = self.per_step and self.replayed(node)
            if type(node) is StepNode:
                self.executed.append(node.step.id)
                status, value = await self.run_step(node.step, value, self.replay)
            else:
                if type(node) is SleepNode:
                    self.executed.append(node.id)
                status, value = await self._run_node(node, value)
            if status != "success":
                if status == "failed":
                    return "failed", None
                return status, value
            if self.per_step and not done and node is not last and not rs.abort_event.is_set():
                return "paused", None  # Mastra's perStep: one entry from where this execution starts
        if rs.abort_event.is_set():
            return "canceled", None
        return "success", value

    def replayed(self, node: Node) -> bool:
        """True when a replayed node already succeeded, so it will not run again."""
        if not self.replay:
            return False
        records = [self.context.get(i) for i in node.ids]
        if isinstance(node, ConditionalNode):
            records = [r for r in records if r is not None]
            return bool(records) and all(r.status == "success" for r in records if r is not None)
        return all(r is not None and r.status == "success" for r in records)

    async def _run_node(self, node: Node, value: Any) -> tuple[str, Any]:
        if self.rs.interceptors and type(node) is not SleepNode:
            return await self._intercepted_node(node, value)
        return await self._walk_node(node, value)

    async def _intercepted_node(self, node: Node, value: Any) -> tuple[str, Any]:
        """`_walk_node` between the interceptors' `start_node` and `end_node`."""
        started = intercept.node_started(self, node, value)
        if started is None:
            return await self._walk_node(node, value)
        try:
            status, out = await self._walk_node(node, value)
        except BaseException as exc:
            intercept.node_ended(self, started, None, exc)
            raise
        intercept.node_ended(self, started, status)
        return status, out

    async def _walk_node(self, node: Node, value: Any) -> tuple[str, Any]:
        if isinstance(node, ParallelNode):
            return await self._run_parallel(node, value)
        if isinstance(node, ConditionalNode):
            return await self._run_conditional(node, value)
        if isinstance(node, LoopNode):
            return await self._run_loop(node, value)
        if isinstance(node, ForeachNode):
            return await self._run_foreach(node, value)
        if isinstance(node, SleepNode):
            return await self._run_sleep(node, value)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    # -- steps ------------------------------------------------------------------------------
    async def run_step(self, step: Step, value: Any, replay: bool, iteration: int | None = None) -> tuple[str, Any]:
        """Runs one step (or replays its stored record). Returns (status, output | error | bail value)."""
        if replay:
            prev = self.context.get(step.id)
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
                    return await self._execute(step, prev.payload, target=target, prev=prev, iteration=meta.get("iterationCount"))
        target = self.targets.get(step.id) if self.targets else None
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
        suspend_data = strip_meta(prev.suspend_payload) if prev is not None else None
        metadata = {"iterationCount": iteration} if iteration is not None else None
        call_id = ""
        if rs.interceptors:
            intercept.step_started(self, step, value)
        if rs.emitting:
            call_id = host.new_call_id()
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
            rs.emit(STEP_START, start)

        shared = rs.shared
        if shared:
            host.mark_running(name, StepResult("running", value, started_at=started, metadata=metadata))
        try:
            if isinstance(step, Workflow):
                att = await self._run_nested(step, key, value, target, prev)
            else:
                retry_base = (iteration - 1) if iteration is not None else 0
                att = await self._attempts(step, key, value, resume_data, suspend_data, retry_base, iteration)
        finally:
            if shared:
                await host.settle_running(name)

        # A step that returns after the run was aborted keeps its own result (Mastra):
        # the run ends canceled at the next boundary.
        status = att.status
        if att.state_updates and status in ("success", "suspended", "bailed"):
            rs.state.update(att.state_updates)
            rs.state_dirty = True
        record = _settled_record(
            status,
            att,
            host.now_ms(),
            started=started,
            resume_payload=to_json(resume_data) if target is not None else None,
            resumed_at=resumed_at,
            suspended_at=prev.suspended_at if prev is not None else None,
            metadata=metadata,
        )
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

    def _record_event(self, name: str, call_id: str, record: StepResult, status: str) -> WorkflowEvent | None:
        """The event of a settled step, held until its record is saved (see `save`)."""
        if not self.rs.emitting:
            return None
        payload = record.to_dict()
        payload["stepName"] = name
        payload["id"] = name
        payload["stepCallId"] = call_id
        if status == "bailed":
            payload["status"] = "bailed"
        return self.rs.emit(STEP_SUSPENDED if record.status == "suspended" else STEP_RESULT, payload, deliver=False)

    async def _attempts(
        self,
        step: Step,
        key: str,
        value: Any,
        resume_data: Any,
        suspend_data: Any,
        retry_base: int,
        iteration: int | None,
    ) -> _Attempt:
        rs = self.rs
        host = rs.host
        wf = self.workflow
        retries = step.retries if step.retries is not None else wf.retry_attempts
        attempt = 0
        while True:
            await host.pace()
            request = AttemptRequest(
                self,
                step,
                key,
                value,
                resume_data=resume_data,
                suspend_data=suspend_data,
                retry_count=retry_base + attempt,
                iteration=iteration,
            )
            att = await host.attempt(request)
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
        step._rc.validate(
            self.rs.request_context.all,
            f"Step request context validation failed for step '{step.id}'",
            code="WORKFLOW_STEP_REQUEST_CONTEXT_VALIDATION_FAILED",
        )

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

    async def _run_nested(self, wf: Workflow, key: str, value: Any, target: Target | None, prev: StepResult | None) -> _Attempt:
        payload = value
        if self.workflow.validate_inputs:
            try:
                payload = wf._in.validate(value, "Step input validation failed", code="WORKFLOW_STEP_INPUT_VALIDATION_FAILED")
                if wf._rc is not None:
                    self._check_request_context(wf)
            except ValidationError as exc:
                return _Attempt("failed", exc, value)
        replay = self.replay
        travel = self.time_travel
        child_travel = None
        if travel is not None and travel[0] == key and travel[2]:
            child_travel = (travel[2][0], travel[1], travel[2][1:])
            replay = True
        base = key.split("[", 1)[0]  # a foreach item `each[2]` sits at path `each`
        child = Execution(
            self.rs,
            wf,
            self.prefix + key + ".",
            payload,
            replay=replay,
            targets=target.child() if target is not None else None,
            time_travel=child_travel,
            path=[*self.path, base],
        )
        status, out = await child.run(to_json(payload))
        payload = to_json(payload)
        if status in ("success", "bailed"):
            return _Attempt("success", out, payload)
        if status == "suspended":
            first = child.suspended[0]
            inner = child.suspend_payloads.get(first[0])
            meta: dict[str, Any] = {"runId": self.rs.run_id, "path": first}
            if len(child.suspended) > 1:
                meta["paths"] = child.suspended  # every suspended step inside, not only the first
            if isinstance(inner, dict) and META in inner:
                meta.update({k: v for k, v in inner[META].items() if k not in ("path", "paths", "runId")})
            data = dict(strip_meta(inner) or {}) if isinstance(inner, dict) or inner is None else {"value": inner}
            data[META] = meta
            labels = {
                label: {**where, "stepId": base, "path": [base, *(where.get("path") or [where.get("stepId")])]}
                for label, where in child.labels.items()
            }
            return _Attempt("suspended", data, payload, None, labels)
        if status == "failed":
            return _Attempt("failed", child.error, payload)
        return _Attempt("canceled", None, payload)

    # -- composite nodes -------------------------------------------------------------------
    async def _run_parallel(self, node: ParallelNode, value: Any) -> tuple[str, Any]:
        results = await asyncio.gather(*(self.run_step(s, value, self.replay) for s in node.steps))
        return self._settle(node.steps, results, node.allow_failure)

    def _settle(self, steps: tuple[Step, ...] | list[Step], results: list[tuple[str, Any]], allow_failure: bool = False) -> tuple[str, Any]:
        output: dict[str, Any] = {}
        statuses = set()
        bail: Any = None
        failed = False
        first_error: Any = None
        for s, (status, out) in zip(steps, results, strict=True):
            statuses.add(status)
            if status == "success":
                output[s.id] = out
            elif status == "failed" and allow_failure:
                output[s.id] = None
            elif status == "failed" and not failed:
                failed, first_error = True, out
            elif status == "bailed" and bail is None:
                bail = out
        if failed:
            self.error = first_error
            return "failed", None
        if "bailed" in statuses:
            return "bailed", bail
        if "suspended" in statuses:
            return "suspended", None
        if "canceled" in statuses or self.rs.aborted:
            return "canceled", None
        return "success", output

    async def _run_conditional(self, node: ConditionalNode, value: Any) -> tuple[str, Any]:
        chosen = [s for _, s in node.branches if s.id in self.context] if self.replay else []
        if self.time_travel is not None:
            chosen += [s for _, s in node.branches if s.id == self.time_travel[0] and s not in chosen]
        if not chosen:
            cond_input = self._condition_input(node.branches[0][1], value)
            verdicts = await asyncio.gather(*(self._check(cond, s.id, cond_input, None) for cond, s in node.branches))
            chosen = [s for (_, s), ok in zip(node.branches, verdicts, strict=True) if ok]
            if self.rs.interceptors:
                intercept.conditions_evaluated(self, node, verdicts)
        if not chosen:
            return "success", {}
        results = await asyncio.gather(*(self.run_step(s, value, self.replay) for s in chosen))
        return self._settle(chosen, list(results))

    def _condition_input(self, step: Step, value: Any) -> Any:
        schema = step._in
        if schema.adapter is None or not self.workflow.validate_inputs:
            return value
        try:
            return schema.validate(value, "condition input")
        except ValidationError:
            return value

    async def _check(self, cond: Callable[..., Any], key: str, value: Any, iteration: int | None) -> bool:
        ctx = StepContext(self, None, key, value, retry_count=-1, iteration_count=iteration)
        try:
            return bool(await self.rs.host.call(cond, ctx))
        except Exception as exc:
            if iteration is not None:
                raise
            log.warning(
                "WORKFLOW_CONDITION_EVALUATION_FAILED: a condition of %r in workflow %r run %r raised %r; treated as false",
                key,
                self.workflow.id,
                self.rs.run_id,
                exc,
            )
            return False

    async def _run_loop(self, node: LoopNode, value: Any) -> tuple[str, Any]:
        step = node.step
        iteration = 1
        replay = self.replay
        prev = self.context.get(step.id) if replay else None
        if prev is not None and prev.status == "success":
            iteration = (prev.metadata or {}).get("iterationCount", 1)
            value = prev.output
            status = "success"
        else:
            if prev is not None and prev.status == "suspended":
                iteration = (prev.metadata or {}).get("iterationCount", 1)
            status, value = await self.run_step(step, value, replay, iteration)
        # The resume data belongs to the iteration that suspended; later iterations run fresh.
        self.targets.pop(step.id, None)
        while status == "success":
            if self.rs.aborted:
                return "canceled", None
            try:
                holds = await self._check(node.condition, step.id, self._condition_input_out(step, value), iteration)
            except Exception as exc:
                if self.rs.aborted:  # a condition that called abort() cancels the run, whatever it raised next
                    return "canceled", None
                return await self._loop_condition_failed(step, value, iteration, exc)
            if self.rs.interceptors:
                intercept.loop_condition_checked(self, node, iteration, holds)
            if holds != (node.kind == "dowhile"):
                return "success", value
            if self.rs.aborted:
                return "canceled", None
            iteration += 1
            if isinstance(step, Workflow):
                await self.clear_nested(step.id)
            status, value = await self.run_step(step, value, False, iteration)
        return status, value

    async def clear_nested(self, key: str) -> None:
        """Drops the records of a nested workflow's previous pass (a new loop iteration
        starts clean, so a restart never replays a stale iteration)."""
        rs = self.rs
        prefix = self.prefix + key + "."
        stale = [k for k in rs.records if k.startswith(prefix)]
        if stale:
            for k in stale:
                del rs.records[k]
            await rs.host.delete_steps(stale)

    def _condition_input_out(self, step: Step, value: Any) -> Any:
        schema = step._out
        if schema.adapter is None:
            return value
        try:
            return schema.validate(value, "condition input")
        except ValidationError:
            return value

    async def _loop_condition_failed(self, step: Step, value: Any, iteration: int, exc: Exception) -> tuple[str, Any]:
        prev = self.context.get(step.id)
        record = StepResult(
            "failed",
            prev.payload if prev is not None else value,
            error=exc,
            started_at=prev.started_at if prev is not None else self.rs.host.now_ms(),
            ended_at=self.rs.host.now_ms(),
            metadata={"iterationCount": iteration},
        )
        await self.save(step.id, record, self._record_event(self.prefix + step.id, self.rs.host.new_call_id(), record, "failed"))
        self.error = exc
        return "failed", exc

    async def _run_sleep(self, node: SleepNode, value: Any) -> tuple[str, Any]:
        key = node.id
        if self.replay:
            prev = self.context.get(key)
            if prev is not None and prev.status == "success":
                return "success", prev.output
        rs = self.rs
        host = rs.host
        seconds = await self._sleep_seconds(node, value)
        started = host.now_ms()
        name = self.prefix + key
        if rs.emitting:
            rs.emit(STEP_WAITING, {"stepName": name, "id": name, "payload": to_json(value), "startedAt": started, "status": "waiting"})
        top = not self.prefix
        await self.save(key, StepResult("waiting", value, started_at=started))
        if top:
            await self.set_status("waiting")
        if rs.interceptors:
            intercept.sleep_started(self, node, seconds)
        canceled = await host.wait(seconds)
        if rs.interceptors:
            intercept.sleep_ended(self, node, "canceled" if canceled else "success")
        if top and not canceled:
            await self.set_status("running")
        if canceled:
            return "canceled", None
        record = StepResult("success", value, value, started_at=started, ended_at=host.now_ms())
        event = None
        if rs.emitting:  # a sleep's result event carries its output and no payload (Mastra)
            payload = {"stepName": name, "id": name, "status": "success", "output": to_json(value), "endedAt": record.ended_at}
            event = rs.emit(STEP_RESULT, payload, deliver=False)
        await self.save(key, record, event)
        return "success", value

    async def _sleep_seconds(self, node: SleepNode, value: Any) -> float:
        target: Any = node.duration if node.until is None else node.until
        if callable(target):
            ctx = StepContext(self, None, node.id, value, retry_count=-1)
            target = await self.rs.host.call(target, ctx)
        if isinstance(target, datetime):
            when = target if target.tzinfo else target.replace(tzinfo=UTC)
            seconds = when.timestamp() - self.rs.host.now_ms() / 1000
        else:
            try:
                seconds = float(target) / 1000
            except (TypeError, ValueError):
                seconds = 0.0
        return seconds if seconds > 0 and math.isfinite(seconds) else 0.0

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
            await self._save(key, record)
        finally:
            if event is not None:
                self.rs.release(event)

    async def _save(self, key: str, record: StepResult) -> None:
        self.context[key] = record
        rs = self.rs
        full = self.prefix + key
        rs.records[full] = record
        if rs.defer_last == full:
            rs.defer_last = None
            rs.deferred = (full, record)
            return
        if not await rs.host.save_step(full, record, rs.run_changes()):
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
        record = self.context.get(step_id)
        return record is not None and record.status == "success"

    def step_output(self, step_id: str, step: Step | None = None) -> Any:
        """A succeeded step's output, as its `output_schema` type when it has one."""
        record = self.context.get(step_id)
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


def _settled_record(
    status: str,
    att: _Attempt,
    now: int,
    *,
    started: int,
    resume_payload: Any,
    resumed_at: int | None,
    suspended_at: int | None,
    metadata: dict[str, Any] | None,
) -> StepResult:
    """The record of a settled step (a bail is recorded as a success, as in Mastra)."""
    record = _build_record(status, att, now, started, resume_payload, resumed_at, suspended_at, metadata)
    record.json_ready = True  # the attempt's payload, output and suspend payload are JSON already
    return record


def _build_record(
    status: str,
    att: _Attempt,
    now: int,
    started: int,
    resume_payload: Any,
    resumed_at: int | None,
    suspended_at: int | None,
    metadata: dict[str, Any] | None,
) -> StepResult:
    if status in ("success", "bailed"):
        return StepResult(
            "success",
            att.payload,
            att.value,
            started_at=started,
            ended_at=now,
            resume_payload=resume_payload,
            resumed_at=resumed_at,
            suspended_at=suspended_at,
            metadata=metadata,
        )
    if status == "suspended":
        return StepResult(
            "suspended",
            att.payload,
            suspend_payload=att.value,
            started_at=started,
            suspended_at=now,
            resume_payload=resume_payload,
            resumed_at=resumed_at,
            metadata=metadata,
        )
    if status == "failed":
        return StepResult("failed", att.payload, error=att.value, started_at=started, ended_at=now, metadata=metadata)
    return StepResult("canceled", att.payload, started_at=started, ended_at=now, metadata=metadata)


def _graph_ids(wf: Workflow) -> frozenset[str]:
    return wf.node_ids
