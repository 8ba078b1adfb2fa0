"""Interceptors: code the engine calls at the points of interest of a run's walk.

The shape is Temporal's (`temporalio.worker.Interceptor`): an `Interceptor` is
configured once, on the executor (`LocalExecutor(interceptors=[...])`). When an
execution of a run starts (`start`, `resume`, `restart`, `time_travel`), the engine
calls `Interceptor.intercept_execution(StartExecutionInput)`; the
`ExecutionInterceptor` it returns (None: not interested) receives that execution's
hooks. Every hook takes exactly one frozen input dataclass, so fields can be added
later without breaking anyone's signature.

Hooks are notifications: they return nothing and cannot change or drive the walk,
so the engine calls the execution interceptors in turn, in the order configured
(there is no `next` to delegate to). A hook must not raise.

The inputs hold ids, names, statuses and JSON data (suspend metadata stripped),
plus the live exception where one was raised in this process, so an executor that
runs the walk elsewhere (Temporal) can build them too. With no interceptor
configured, the engine pays one empty-tuple check per hook point.

OpenTelemetry tracing is one interceptor (`stepstream.otel.TracingInterceptor`),
added by itself when a tracer provider is configured (`docs/tracing.md`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Operation = Literal["start", "resume", "restart", "time_travel"]
NodeKind = Literal["parallel", "conditional", "dowhile", "dountil", "foreach"]


@dataclass(frozen=True, slots=True)
class Entry:
    """The `id`, `description` and `metadata` the builder gave a control-flow entry."""

    id: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StartExecutionInput:
    """Input of `Interceptor.intercept_execution`: one execution of a run begins."""

    workflow_id: str
    run_id: str
    resource_id: str | None
    operation: Operation
    #: the run's input (JSON); on resume, the resume data
    input: Any
    #: `tracing_options` as the caller gave them (keys not checked)
    tracing_options: Mapping[str, Any]
    #: the request context's values at the start
    request_context: Mapping[str, Any]
    #: what `ExecutionInterceptor.trace_id`/`span_id` were when the run last suspended
    #: (`{"traceId", "spanId"}`), or None
    tracing_context: Mapping[str, Any] | None
    #: the run's `tracing_policy["internal"]` bits (`stepstream.types.InternalSpans`), 0 if none
    internal_spans: int = 0


@dataclass(frozen=True, slots=True)
class EndExecutionInput:
    """The execution settled (before its closing events are delivered)."""

    status: str
    #: the workflow's result (JSON) when `status` is "success"
    result: Any
    #: the serialized error (`{"name", "message", "stack"?}`) when `status` is "failed"
    error: Mapping[str, Any] | None
    #: token usage reported by steps (`inputTokens`, `outputTokens`, ...)
    usage: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class CloseExecutionInput:
    """The execution is over, however it ended; always the last hook."""

    #: the exception escaping the engine (a storage failure, a cancel), or None
    exception: BaseException | None


@dataclass(frozen=True, slots=True)
class StartStepInput:
    """A step (or one item of a foreach, or a nested workflow) starts running.

    Steps replayed from storage get no hooks."""

    #: the record key: the step id with its enclosing nested-workflow steps, `outer.inner`
    path: str
    step_id: str
    #: the enclosing nested-workflow steps' path, `outer.` (`""` at the top level)
    prefix: str
    #: the step's input (JSON)
    input: Any
    #: the item's index when this is one item of a foreach
    foreach_index: int | None = None
    entry: Entry | None = None
    #: the nested workflow's id when the step is a workflow; its steps' prefix is
    #: `path + "."` (`path[index].` for a foreach item)
    nested_workflow_id: str | None = None


@dataclass(frozen=True, slots=True)
class EndStepInput:
    """The step of a `StartStepInput` (same `path` and `foreach_index`) settled."""

    path: str
    step_id: str
    prefix: str
    #: "success", "suspended", "failed", "canceled" or "bailed"
    status: str
    output: Any = None
    #: the suspend payload (JSON, without stepstream's metadata)
    suspend_payload: Any = None
    #: the serialized error when `status` is "failed"
    error: Mapping[str, Any] | None = None
    #: the exception the step raised, when it ran in this process
    exception: BaseException | None = None
    foreach_index: int | None = None
    #: the step was resumed (it had suspended)
    resumed: bool = False
    #: the loop iteration (1, 2, ...) when the step is a loop's body
    iteration: int | None = None


@dataclass(frozen=True, slots=True)
class StartNodeInput:
    """A parallel, conditional, loop or foreach entry starts (not when it is replayed)."""

    kind: NodeKind
    prefix: str
    #: the ids of the steps it holds (its branches, its loop or foreach body)
    step_ids: tuple[str, ...]
    entry: Entry | None = None
    #: a foreach's concurrency when it is a number (see `ConcurrencyInput` for a function's)
    concurrency: int | None = None
    #: a foreach's item count when its input is a list
    item_count: int | None = None


@dataclass(frozen=True, slots=True)
class EndNodeInput:
    """The entry of a `StartNodeInput` (same `prefix` and `step_ids`) ended."""

    kind: NodeKind
    prefix: str
    step_ids: tuple[str, ...]
    #: its outcome ("success", "failed", "suspended", ...), or None when an exception
    #: escaped the walk out of it (`exception`)
    status: str | None
    error: Mapping[str, Any] | None = None
    exception: BaseException | None = None


@dataclass(frozen=True, slots=True)
class StartSleepInput:
    """A `sleep` / `sleep_until` entry starts waiting."""

    path: str
    step_id: str
    prefix: str
    #: how long it waits, resolved
    seconds: float
    #: the fixed duration given to `sleep`, in milliseconds
    duration_ms: float | None = None
    #: the fixed time given to `sleep_until` (ISO 8601)
    until: str | None = None
    #: "sleep" or "sleep_until"
    kind: Literal["sleep", "sleep_until"] = "sleep"
    #: the duration or time came from a function
    dynamic: bool = False
    entry: Entry | None = None


@dataclass(frozen=True, slots=True)
class EndSleepInput:
    """The sleep of a `StartSleepInput` (same `path`) ended: "success" or "canceled"."""

    path: str
    status: str


@dataclass(frozen=True, slots=True)
class ConditionsInput:
    """A conditional's conditions were evaluated."""

    prefix: str
    #: the branches' step ids, in order
    step_ids: tuple[str, ...]
    #: one verdict per branch
    verdicts: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class LoopConditionInput:
    """A `dowhile` / `dountil` loop checked its condition after an iteration."""

    #: the loop body's path
    path: str
    kind: Literal["dowhile", "dountil"]
    iteration: int
    holds: bool


@dataclass(frozen=True, slots=True)
class ConcurrencyInput:
    """A foreach's concurrency function resolved."""

    #: the foreach body's path
    path: str
    concurrency: int


class ExecutionInterceptor:
    """The hooks of one execution. Every method does nothing; override what you need."""

    #: the trace this execution is recorded in (hex), kept with a suspended run
    #: and reported as `WorkflowResult.trace_id` / `span_id`
    trace_id: str | None = None
    span_id: str | None = None

    def end_execution(self, input: EndExecutionInput) -> None:
        """The execution settled."""

    def close_execution(self, input: CloseExecutionInput) -> None:
        """The execution is over (always called, last)."""

    def start_step(self, input: StartStepInput) -> None:
        """A step starts (its attempts and retries follow)."""

    def end_step(self, input: EndStepInput) -> None:
        """A step settled; its record is stored."""

    def start_node(self, input: StartNodeInput) -> None:
        """A parallel, conditional, loop or foreach entry starts."""

    def end_node(self, input: EndNodeInput) -> None:
        """A parallel, conditional, loop or foreach entry ended."""

    def start_sleep(self, input: StartSleepInput) -> None:
        """A sleep starts waiting."""

    def end_sleep(self, input: EndSleepInput) -> None:
        """A sleep ended."""

    def conditions_evaluated(self, input: ConditionsInput) -> None:
        """A conditional chose its branches."""

    def loop_condition_checked(self, input: LoopConditionInput) -> None:
        """A loop checked its condition."""

    def concurrency_resolved(self, input: ConcurrencyInput) -> None:
        """A foreach's concurrency function gave its value."""


class Interceptor:
    """Extends the engine: configured on the executor (`LocalExecutor(interceptors=[...])`)."""

    def intercept_execution(self, input: StartExecutionInput) -> ExecutionInterceptor | None:
        """The interceptor of one execution's hooks, or None to stay out of it."""
        return None


__all__ = [
    "CloseExecutionInput",
    "ConcurrencyInput",
    "ConditionsInput",
    "EndExecutionInput",
    "EndNodeInput",
    "EndSleepInput",
    "EndStepInput",
    "Entry",
    "ExecutionInterceptor",
    "Interceptor",
    "LoopConditionInput",
    "StartExecutionInput",
    "StartNodeInput",
    "StartSleepInput",
    "StartStepInput",
]
