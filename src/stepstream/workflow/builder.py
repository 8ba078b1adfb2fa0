"""`Workflow` and `create_workflow`: build a flow, `commit()` it, then run it."""

from __future__ import annotations

import copy
import json
import math
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .._schema import Schema, schema_for
from ..errors import ValidationError, WorkflowDefinitionError
from ..run_query import RunQuery
from ..schedules._declare import DeclaredSchedule, ScheduleConfig, declared_schedules
from ..step import Condition, Step
from ..types import TracingPolicy, check_tracing_policy
from ._runtime import runtime
from ._sleep_time import duration_ms, until_datetime
from .mapping import mapping_step
from .plan import ConditionalNode, EntryOptions, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode
from .predicate import Predicate, as_condition

if TYPE_CHECKING:
    from ..engine.run import Run
    from ..lifecycle import WorkflowFinishInfo, WorkflowStartInfo
    from ..results import WorkflowState
    from ..storage.base import Storage


class RetryConfig(TypedDict, total=False):
    """`attempts`: extra tries after a failure; `delay`: milliseconds between tries."""

    attempts: int
    delay: int | float


class WorkflowOptions(TypedDict, total=False):
    """`validate_inputs` (default True) validates the run input, initial state, resume
    data, step inputs and outputs, suspend payloads, state updates and request contexts.
    `on_start(info)` runs before any step of a new run and refuses the start when it
    raises; `on_finish(info)` runs after every execution that ends (also on suspend);
    `on_error(info)` only after a failure (see `stepstream.lifecycle`). Each may be async.
    `tracing_policy` (`{"internal": InternalSpans.WORKFLOW}`) hides this workflow's spans."""

    validate_inputs: bool
    on_start: Callable[[WorkflowStartInfo], Any]
    on_finish: Callable[[WorkflowFinishInfo], Any]
    on_error: Callable[[WorkflowFinishInfo], Any]
    tracing_policy: TracingPolicy


_OPTION_KEYS = frozenset(WorkflowOptions.__annotations__)


def _as_step(workflow_id: str, value: Any, where: str) -> Step:
    if isinstance(value, Workflow):
        value.ensure_committed()
        return value
    if not isinstance(value, Step):
        raise WorkflowDefinitionError(f"Workflow {workflow_id!r}: {where} takes a step or a workflow, got {type(value).__name__}")
    return value


def _retry_config(workflow_id: str, retry_config: RetryConfig | None) -> tuple[int, float]:
    """The workflow's `retry_config` as (attempts, delay in ms), checked."""
    retry = dict(retry_config or {})
    attempts, delay = retry.get("attempts", 0), retry.get("delay", 0)
    if not isinstance(attempts, int) or attempts < 0:
        raise WorkflowDefinitionError(f"Workflow {workflow_id!r}: retry_config['attempts'] must be a non-negative int")
    if not isinstance(delay, (int, float)) or delay < 0:
        raise WorkflowDefinitionError(f"Workflow {workflow_id!r}: retry_config['delay'] must be a non-negative number of ms")
    return attempts, delay


class Workflow(Step):
    """A flow of steps. A committed workflow is also a step, so it can be nested."""

    component = "WORKFLOW"

    def __init__(
        self,
        id: str,
        *,
        input_schema: Any = None,
        output_schema: Any = None,
        state_schema: Any = None,
        description: str | None = None,
        retry_config: RetryConfig | None = None,
        options: WorkflowOptions | None = None,
        metadata: Mapping[str, Any] | None = None,
        schedule: ScheduleConfig | Sequence[ScheduleConfig] | None = None,
        request_context_schema: Any = None,
    ):
        super().__init__(
            id,
            execute=_nested_marker,
            input_schema=input_schema,
            output_schema=output_schema,
            state_schema=state_schema,
            description=description,
            metadata=metadata,
            request_context_schema=request_context_schema,
        )
        opts: dict[str, Any] = dict(options or {})
        unknown = set(opts) - _OPTION_KEYS
        if unknown:
            raise WorkflowDefinitionError(f"Workflow {id!r}: unknown options {sorted(unknown)}; known: {sorted(_OPTION_KEYS)}")
        attempts, delay = _retry_config(id, retry_config)
        try:
            self.tracing_policy: TracingPolicy | None = check_tracing_policy(opts.get("tracing_policy"), f"Workflow {id!r}")
        except ValueError as exc:
            raise WorkflowDefinitionError(str(exc)) from None
        self.retry_attempts: int = attempts
        self.retry_delay_ms: float = float(delay)
        self.options: dict[str, Any] = opts
        self.validate_inputs: bool = bool(opts.get("validate_inputs", True))
        self.state_schema_obj: Schema | None = schema_for(state_schema) if state_schema is not None else None
        #: cron schedules declared with `schedule=`, checked now, stored when a scheduler starts
        self.schedules: tuple[DeclaredSchedule, ...] = declared_schedules(id, schedule, self._in, self.state_schema_obj)
        self._nodes: list[Node] = []
        self._graph: tuple[Node, ...] | None = None
        self._dirty = False
        self._map_count = 0
        self._sleep_count = 0
        self._storage: Storage | None = None
        #: the `Stepstream` app this workflow is registered with (`ctx.app` in its steps)
        self.app: Any = None
        #: which process executes this workflow's runs (owner tokens start with it)
        self.executor_id = "local"
        #: what runs this workflow's executions (`Stepstream(executor=)`); None: the process's LocalExecutor
        self.executor: Any = None
        #: this process's runs of this workflow that someone still holds (weak: a suspended run
        #: nobody references is rebuilt from storage when asked for, not kept forever)
        self._runs: weakref.WeakValueDictionary[str, Run] = weakref.WeakValueDictionary()
        #: runs created here whose pending record is not written yet (held until it is)
        self._pending_runs: dict[str, Run] = {}

    # -- building ----------------------------------------------------------------------------
    def _add(self, node: Node) -> Workflow:
        if self._graph is not None:
            raise WorkflowDefinitionError(f"Workflow {self.id!r} is committed; build a new workflow to change its flow")
        self._nodes.append(node)
        self._dirty = True
        return self

    def then(self, step: Step) -> Workflow:
        """Runs `step` on the previous output."""
        return self._add(StepNode(_as_step(self.id, step, "then()")))

    def parallel(
        self,
        steps: Sequence[Step],
        *,
        allow_failure: bool = False,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Runs every step on the same input; the output is keyed by step id.

        With `allow_failure=True` a failed step does not fail the block: its key holds None.
        `id`, `description` and `metadata` identify the entry (its tracing span); they never change execution."""
        entry = self._entry("parallel()", id, description, metadata)
        if not steps:
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: parallel() needs at least one step")
        return self._add(ParallelNode(tuple(_as_step(self.id, s, "parallel()") for s in steps), bool(allow_failure), entry))

    def branch(
        self,
        branches: Sequence[tuple[Condition | Predicate | Mapping[str, Any], Step]],
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Runs every step whose condition holds; the output is keyed by the ids that ran.

        A condition is a function of the context, a `Predicate`, or Mastra's `{"predicate": {...}}`."""
        entry = self._entry("branch()", id, description, metadata)
        if not branches:
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: branch() needs at least one (condition, step) pair")
        pairs: list[tuple[Condition, Step]] = []
        for i, pair in enumerate(branches):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise WorkflowDefinitionError(f"Workflow {self.id!r}: branch() item {i} must be a (condition, step) pair")
            pairs.append((self._condition(pair[0], f"branch() item {i}"), _as_step(self.id, pair[1], "branch()")))
        return self._add(ConditionalNode(tuple(pairs), entry))

    def dowhile(
        self,
        step: Step,
        condition: Condition | Predicate | Mapping[str, Any],
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Runs `step` at least once, again while `condition` (a function or a predicate) holds."""
        return self._loop(step, condition, "dowhile", self._entry("dowhile()", id, description, metadata))

    def dountil(
        self,
        step: Step,
        condition: Condition | Predicate | Mapping[str, Any],
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Runs `step` at least once, again until `condition` (a function or a predicate) holds."""
        return self._loop(step, condition, "dountil", self._entry("dountil()", id, description, metadata))

    def _loop(self, step: Step, condition: Any, kind: Any, entry: EntryOptions) -> Workflow:
        cond = self._condition(condition, f"{kind}()")
        return self._add(LoopNode(_as_step(self.id, step, f"{kind}()"), cond, kind, entry))

    def _condition(self, value: Any, where: str) -> Condition:
        try:
            pred = as_condition(value)
        except WorkflowDefinitionError as exc:
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: {where}: {exc}") from None
        if pred is not None:
            return pred
        if not callable(value):
            raise WorkflowDefinitionError(
                f"Workflow {self.id!r}: {where} needs a condition: a function, a Predicate or {{'predicate': {{...}}}}; got {value!r}"
            )
        cond: Condition = value
        return cond

    def _entry(self, where: str, id: Any, description: Any, metadata: Any) -> EntryOptions:
        if id is not None and (not isinstance(id, str) or not id.strip()):
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: {where} id must be a non-empty string, got {id!r}")
        if description is not None and not isinstance(description, str):
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: {where} description must be a string, got {description!r}")
        meta: dict[str, Any] | None = None
        if metadata is not None:
            if not isinstance(metadata, Mapping):
                raise WorkflowDefinitionError(f"Workflow {self.id!r}: {where} metadata must be a dict, got {type(metadata).__name__}")
            try:
                meta = json.loads(json.dumps(dict(metadata)))
            except (TypeError, ValueError) as exc:
                raise WorkflowDefinitionError(f"Workflow {self.id!r}: {where} metadata must be JSON-serializable: {exc}") from None
        return EntryOptions(id, description, meta)

    def foreach(
        self,
        step: Step,
        concurrency: int | Callable[..., Any] = 1,
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Runs `step` over each item of the (array) input, `concurrency` at a time; output keeps order.

        `concurrency` may be a function (sync or async) of a context whose `input_data` is the
        array and whose `get_init_data()` is the run's input; it is called when the foreach
        starts. As in Mastra, a value that is not a finite number >= 1 means 1, a fraction is
        rounded down."""
        entry = self._entry("foreach()", id, description, metadata)
        if not callable(concurrency):
            concurrency = concurrency_value(concurrency)
        return self._add(ForeachNode(_as_step(self.id, step, "foreach()"), concurrency, entry))

    def map(
        self,
        mapping: Any,
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Reshapes data between steps: a function of the context, or a dict of mapping forms
        (`step`/`path`, `value`, `init_data`/`path`, `request_context_path`, `fn`, `template`)."""
        entry = self._entry("map()", id, description, metadata)
        step_id = id or f"mapping_{self.id}_{self._map_count}"
        self._map_count += 1  # named maps take a number too, as in Mastra
        return self._add(StepNode(mapping_step(self.id, mapping, step_id, entry), entry))

    def sleep(
        self,
        duration: int | float | timedelta | Callable[..., Any],
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Waits `duration` (ms, or a `timedelta`; or a function of the context returning one)
        and passes its input on. A negative duration waits nothing; anything else is refused."""
        entry = self._entry("sleep()", id, description, metadata)
        if not callable(duration):
            ms: float = self._checked(duration_ms, duration, "sleep()")
            if isinstance(duration, timedelta):  # kept as ms; a number is kept as given
                duration = int(ms) if ms.is_integer() else ms
        return self._add(SleepNode(id or self._sleep_id(), duration=duration, entry=entry))

    def sleep_until(
        self,
        until: datetime | str | int | float | Callable[..., Any],
        *,
        id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Waits until `until` (or a function of the context's result) and passes its input on:
        a datetime (naive = local time), an ISO-8601 string (`Z` or an offset; none = local
        time) or epoch milliseconds, as Mastra's `new Date(value)`. A past time waits nothing."""
        entry = self._entry("sleep_until()", id, description, metadata)
        when: datetime | Callable[..., Any] = until if callable(until) else self._checked(until_datetime, until, "sleep_until()")
        return self._add(SleepNode(id or self._sleep_id(), until=when, entry=entry))

    def _checked(self, read: Callable[[Any, str], Any], value: Any, where: str) -> Any:
        try:
            return read(value, where)
        except (TypeError, ValueError) as exc:
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: {exc}") from None

    def _sleep_id(self) -> str:
        self._sleep_count += 1
        return f"sleep_{self.id}_{self._sleep_count - 1}"

    def wait_for_event(self, *args: Any, **kwargs: Any) -> Workflow:
        """Removed in Mastra v1; raises."""
        raise WorkflowDefinitionError(
            "waitForEvent has been removed. Please use suspend & resume flow instead. "
            "See https://mastra.ai/en/docs/workflows/suspend-and-resume for more details."
        )

    def commit(self) -> Workflow:
        """Freezes the flow. Required before `create_run` or nesting."""
        self._graph = tuple(self._nodes)
        self.node_ids: frozenset[str] = frozenset(i for node in self._graph for i in node.ids)
        self.steps_by_id: dict[str, Step] = {}
        for node in self._graph:
            for s in node_steps(node):
                self.steps_by_id.setdefault(s.id, s)
        self._dirty = False
        return self

    @property
    def committed(self) -> bool:
        """True once `commit()` was called."""
        return self._graph is not None and not self._dirty

    @property
    def graph(self) -> tuple[Node, ...]:
        """The committed nodes."""
        self.ensure_committed()
        assert self._graph is not None
        return self._graph

    def ensure_committed(self) -> None:
        """Raises Mastra's errors for an uncommitted or empty flow."""
        if self._graph is None or self._dirty:
            if not self._nodes:
                raise WorkflowDefinitionError(
                    "Execution flow of workflow is not defined. Add steps to the workflow via .then(), .branch(), etc."
                )
            raise WorkflowDefinitionError("Uncommitted step flow changes detected. Call .commit() to register the steps.")
        if not self._graph:
            raise WorkflowDefinitionError(
                "Execution flow of workflow is not defined. Add steps to the workflow via .then(), .branch(), etc."
            )

    # -- running -----------------------------------------------------------------------------
    @property
    def storage(self) -> Storage:
        """Where this workflow's runs are kept (in memory unless bound by a `Stepstream` app)."""
        if self._storage is None:
            self._storage = runtime().default_storage()
        return self._storage

    def bind_storage(self, storage: Storage, executor_id: str | None = None, executor: Any = None) -> None:
        """Keeps this workflow's runs in `storage`, executed by `executor` (called by `Stepstream`)."""
        self._storage = storage
        if executor_id is not None:
            self.executor_id = executor_id
        if executor is not None:
            self.executor = executor
        self._runs.clear()
        self._pending_runs.clear()

    async def create_run(
        self, run_id: str | None = None, *, resource_id: str | None = None, tracing_policy: TracingPolicy | None = None
    ) -> Run:
        """A run of this workflow; with an existing `run_id`, that run (from memory or storage).

        `tracing_policy` overrides the workflow's for this run (Mastra's createRun option)."""
        try:
            policy = check_tracing_policy(tracing_policy, f"create_run() of workflow {self.id!r}")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        run = await runtime().create_run(self, run_id, resource_id)
        if policy is not None:
            run.tracing_policy = policy
        return run

    async def list_runs(
        self,
        query: RunQuery | None = None,
        /,
        *,
        status: str | Sequence[str] | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        resource_id: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> dict[str, Any]:
        """`{"runs": [...], "total": n}`, newest first (Mastra's listWorkflowRuns). Pass the
        filters as keywords, or as one `RunQuery` (its `workflow_id` is this workflow's)."""
        filters = RunQuery(status=status, from_date=from_date, to_date=to_date, resource_id=resource_id, page=page, per_page=per_page)
        if query is not None and filters != RunQuery():
            raise ValueError(f"list_runs() of workflow {self.id!r}: give a RunQuery or keyword filters, not both")
        query = query or filters
        return await runtime().list_runs(self, replace(query, workflow_id=self.id))

    async def get_run(
        self, run_id: str, *, with_nested_workflows: bool = True, fields: Sequence[str] | None = None
    ) -> WorkflowState | None:
        """The stored run (`to_dict()` is Mastra's WorkflowState), or None. Nested workflows'
        steps show as `outer.inner` unless `with_nested_workflows=False`; `fields` (Mastra's
        names: `result`, `steps`, `requestContext`, ...) limits what `to_dict()` carries."""
        return await runtime().get_run(self, run_id, with_nested_workflows, fields)

    async def delete_run(self, run_id: str) -> bool:
        """Deletes a stored run; False if there was none."""
        run = self._runs.pop(run_id, None)
        self._pending_runs.pop(run_id, None)
        if run is not None:
            await run._ensure_created()
        return await self.storage.delete_run(self.id, run_id)

    def __repr__(self) -> str:
        return f"<Workflow {self.id!r}>"


def concurrency_value(value: Any) -> int:
    """A foreach concurrency as Mastra resolves it: a finite number >= 1, rounded down; else 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 1:
        return 1
    return int(value)


def node_steps(node: Node) -> list[Step]:
    """The steps a plan node runs (none for a sleep)."""
    if isinstance(node, ParallelNode):
        return list(node.steps)
    if isinstance(node, ConditionalNode):
        return [s for _, s in node.branches]
    step = getattr(node, "step", None)
    return [step] if isinstance(step, Step) else []


def _nested_marker(ctx: Any) -> Any:  # pragma: no cover - never called: the engine runs workflows itself
    raise RuntimeError("a workflow is executed by the engine, not called")


def create_workflow(
    id: str,
    *,
    input_schema: Any = None,
    output_schema: Any = None,
    state_schema: Any = None,
    description: str | None = None,
    retry_config: RetryConfig | None = None,
    options: WorkflowOptions | None = None,
    metadata: Mapping[str, Any] | None = None,
    schedule: ScheduleConfig | Sequence[ScheduleConfig] | None = None,
    request_context_schema: Any = None,
) -> Workflow:
    """Creates a workflow; chain builder calls and end with `commit()`.

    `schedule` runs it on a cron: one mapping or a list of them (see `ScheduleConfig`);
    a bad cron, time zone or input raises ScheduleError naming the schedule and field.
    `request_context_schema` is checked against the request context when a run starts
    (a mismatch refuses the start) and, for a nested workflow, before it runs as a step."""
    return Workflow(
        id,
        input_schema=input_schema,
        output_schema=output_schema,
        state_schema=state_schema,
        description=description,
        retry_config=retry_config,
        options=options,
        metadata=metadata,
        schedule=schedule,
        request_context_schema=request_context_schema,
    )


StepT = TypeVar("StepT", bound=Step)
WorkflowT = TypeVar("WorkflowT", bound=Workflow)


def clone_step(step: StepT, *, id: str) -> StepT:
    """The same step under another id (Mastra's `cloneStep`): same schemas, execute,
    retries, description and metadata. Use it to run one definition twice in a flow.
    A workflow is cloned with `clone_workflow`."""
    if isinstance(step, Workflow):
        return clone_workflow(step, id=id)
    if not isinstance(step, Step):
        raise WorkflowDefinitionError(f"clone_step() takes a step, got {type(step).__name__}")
    _check_clone_id(id, "clone_step()")
    clone = copy.copy(step)
    clone.id = id
    clone.metadata = dict(step.metadata)
    return clone


def clone_workflow(workflow: WorkflowT, *, id: str) -> WorkflowT:
    """A committed copy of `workflow` under another id (Mastra's `cloneWorkflow`): the same
    flow, schemas and options, with its own runs. Unlike Mastra's, it also keeps the state
    schema, retry config, description and metadata (see docs/differences.md)."""
    if not isinstance(workflow, Workflow):
        raise WorkflowDefinitionError(f"clone_workflow() takes a workflow, got {type(workflow).__name__}")
    _check_clone_id(id, "clone_workflow()")
    graph = workflow.graph  # raises Mastra's error for an uncommitted flow
    clone = copy.copy(workflow)
    clone.id = id
    clone.metadata = dict(workflow.metadata)
    clone.options = dict(workflow.options)
    clone._nodes = list(graph)
    clone._storage = None
    clone.executor_id = "local"
    clone._runs = weakref.WeakValueDictionary()
    clone._pending_runs = {}
    clone.schedules = ()  # declared schedules belong to the original's id
    clone.commit()
    return clone


def _check_clone_id(id: Any, where: str) -> None:
    if not isinstance(id, str) or not id:
        raise WorkflowDefinitionError(f"{where} needs a new non-empty string id, got {id!r}")
