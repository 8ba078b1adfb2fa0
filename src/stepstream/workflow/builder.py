"""`Workflow` and `create_workflow`: build a flow, `commit()` it, then run it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from .._schema import Schema, schema_for
from ..errors import WorkflowDefinitionError
from ..schedules._declare import DeclaredSchedule, ScheduleConfig, declared_schedules
from ..step import Condition, Step
from .mapping import mapping_step
from .plan import ConditionalNode, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode

if TYPE_CHECKING:
    from ..engine.run import Run
    from ..storage.base import Storage


class RetryConfig(TypedDict, total=False):
    """`attempts`: extra tries after a failure; `delay`: milliseconds between tries."""

    attempts: int
    delay: int | float


class WorkflowOptions(TypedDict, total=False):
    """`validate_inputs` (default True) validates the run input, initial state, resume
    data, step inputs and outputs, suspend payloads and state updates.
    `on_finish(result)` runs after every terminal outcome (and on suspend);
    `on_error(result)` only after a failure."""

    validate_inputs: bool
    on_finish: Callable[[Any], Any]
    on_error: Callable[[Any], Any]


_OPTION_KEYS = frozenset(WorkflowOptions.__annotations__)


def _as_step(workflow_id: str, value: Any, where: str) -> Step:
    if isinstance(value, Workflow):
        value.ensure_committed()
        return value
    if not isinstance(value, Step):
        raise WorkflowDefinitionError(f"Workflow {workflow_id!r}: {where} takes a step or a workflow, got {type(value).__name__}")
    return value


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
    ):
        super().__init__(
            id,
            execute=_nested_marker,
            input_schema=input_schema,
            output_schema=output_schema,
            state_schema=state_schema,
            description=description,
            metadata=metadata,
        )
        opts: dict[str, Any] = dict(options or {})
        unknown = set(opts) - _OPTION_KEYS
        if unknown:
            raise WorkflowDefinitionError(f"Workflow {id!r}: unknown options {sorted(unknown)}; known: {sorted(_OPTION_KEYS)}")
        retry = dict(retry_config or {})
        attempts, delay = retry.get("attempts", 0), retry.get("delay", 0)
        if not isinstance(attempts, int) or attempts < 0:
            raise WorkflowDefinitionError(f"Workflow {id!r}: retry_config['attempts'] must be a non-negative int")
        if not isinstance(delay, (int, float)) or delay < 0:
            raise WorkflowDefinitionError(f"Workflow {id!r}: retry_config['delay'] must be a non-negative number of ms")
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
        #: which process executes this workflow's runs (owner tokens start with it)
        self.executor_id = "local"
        self._runs: dict[str, Run] = {}

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

    def parallel(self, steps: Sequence[Step], *, allow_failure: bool = False) -> Workflow:
        """Runs every step on the same input; the output is keyed by step id.

        With `allow_failure=True` a failed step does not fail the block: its key holds None."""
        if not steps:
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: parallel() needs at least one step")
        return self._add(ParallelNode(tuple(_as_step(self.id, s, "parallel()") for s in steps), bool(allow_failure)))

    def branch(self, branches: Sequence[tuple[Condition, Step]]) -> Workflow:
        """Runs every step whose condition holds; the output is keyed by the ids that ran."""
        if not branches:
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: branch() needs at least one (condition, step) pair")
        pairs: list[tuple[Condition, Step]] = []
        for i, pair in enumerate(branches):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not callable(pair[0]):
                raise WorkflowDefinitionError(f"Workflow {self.id!r}: branch() item {i} must be a (condition, step) pair")
            pairs.append((pair[0], _as_step(self.id, pair[1], "branch()")))
        return self._add(ConditionalNode(tuple(pairs)))

    def dowhile(self, step: Step, condition: Condition) -> Workflow:
        """Runs `step` at least once, again while `condition` holds."""
        return self._loop(step, condition, "dowhile")

    def dountil(self, step: Step, condition: Condition) -> Workflow:
        """Runs `step` at least once, again until `condition` holds."""
        return self._loop(step, condition, "dountil")

    def _loop(self, step: Step, condition: Condition, kind: Any) -> Workflow:
        if not callable(condition):
            raise WorkflowDefinitionError(f"Workflow {self.id!r}: {kind}() needs a callable condition")
        return self._add(LoopNode(_as_step(self.id, step, f"{kind}()"), condition, kind))

    def foreach(self, step: Step, concurrency: int = 1) -> Workflow:
        """Runs `step` over each item of the (array) input, `concurrency` at a time; output keeps order."""
        if not isinstance(concurrency, int) or concurrency < 1:
            concurrency = 1
        return self._add(ForeachNode(_as_step(self.id, step, "foreach()"), concurrency))

    def map(self, mapping: Any, *, id: str | None = None) -> Workflow:
        """Reshapes data between steps: a function of the context, or a dict of mapping forms."""
        step_id = id or f"mapping_{self.id}_{self._map_count}"
        self._map_count += 1  # named maps take a number too, as in Mastra
        return self._add(StepNode(mapping_step(self.id, mapping, step_id)))

    def sleep(self, duration: int | float | Callable[..., Any], *, id: str | None = None) -> Workflow:
        """Waits `duration` ms (or a function's result) and passes its input on."""
        return self._add(SleepNode(id or self._sleep_id(), duration=duration))

    def sleep_until(self, until: datetime | Callable[..., Any], *, id: str | None = None) -> Workflow:
        """Waits until a datetime (or a function's result) and passes its input on."""
        return self._add(SleepNode(id or self._sleep_id(), until=until))

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
            for s in _node_steps(node):
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
            from ..storage.memory import InMemoryStorage

            self._storage = InMemoryStorage()
        return self._storage

    def bind_storage(self, storage: Storage, executor_id: str | None = None) -> None:
        """Keeps this workflow's runs in `storage` (called by `Stepstream`)."""
        self._storage = storage
        if executor_id is not None:
            self.executor_id = executor_id
        self._runs.clear()

    async def create_run(self, run_id: str | None = None, *, resource_id: str | None = None) -> Run:
        """A run of this workflow; with an existing `run_id`, that run (from memory or storage)."""
        from ..engine.run import create_run

        return await create_run(self, run_id, resource_id)

    async def list_runs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        resource_id: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> dict[str, Any]:
        """`{"runs": [...], "total": n}`, newest first (Mastra's listWorkflowRuns)."""
        from ..engine.management import list_runs
        from ..engine.run import flush_pending_runs

        await flush_pending_runs(self)
        return await list_runs(self, status, from_date, to_date, resource_id, page, per_page)

    async def get_run(self, run_id: str, *, with_nested_workflows: bool = True) -> dict[str, Any] | None:
        """The stored run in Mastra's WorkflowState shape, or None."""
        from ..engine.management import get_run
        from ..engine.run import flush_pending_runs

        await flush_pending_runs(self)
        return await get_run(self, run_id, with_nested_workflows)

    async def delete_run(self, run_id: str) -> bool:
        """Deletes a stored run; False if there was none."""
        run = self._runs.pop(run_id, None)
        if run is not None:
            await run._ensure_created()
        return await self.storage.delete_run(self.id, run_id)

    def __repr__(self) -> str:
        return f"<Workflow {self.id!r}>"


def _node_steps(node: Node) -> list[Step]:
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
) -> Workflow:
    """Creates a workflow; chain builder calls and end with `commit()`.

    `schedule` runs it on a cron: one mapping or a list of them (see `ScheduleConfig`);
    a bad cron, time zone or input raises ScheduleError naming the schedule and field."""
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
    )
