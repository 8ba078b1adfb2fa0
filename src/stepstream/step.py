"""Steps: `create_step(...)`, the `@step(...)` decorator, and the `StepContext` Protocol.

A step is a typed function of a `StepContext`. Its schemas are pydantic models
or any type `TypeAdapter` accepts; the engine validates the input before the
call, the output after it, and the suspend, resume and state data when given.
The engine brings the context's implementation: nothing here runs a step.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, overload

from typing_extensions import TypeVar

from ._schema import Schema, schema_for
from .errors import WorkflowDefinitionError
from .request_context import RequestContext

if TYPE_CHECKING:
    from .app import Stepstream

Execute = Callable[["StepContext"], Any]
F = TypeVar("F", bound=Callable[..., Any])


class Step:
    """A unit of work in a workflow. Build one with `create_step` or `@step`."""

    component = "STEP"

    def __init__(
        self,
        id: str,
        *,
        execute: Execute,
        input_schema: Any = None,
        output_schema: Any = None,
        resume_schema: Any = None,
        suspend_schema: Any = None,
        state_schema: Any = None,
        description: str | None = None,
        retries: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        request_context_schema: Any = None,
        inline: bool = False,
    ):
        if not isinstance(id, str) or not id:
            raise WorkflowDefinitionError(f"A step id must be a non-empty string, got {id!r}")
        if not callable(execute):
            raise WorkflowDefinitionError(f"Step {id!r}: execute must be callable")
        if retries is not None and (not isinstance(retries, int) or retries < 0):
            raise WorkflowDefinitionError(f"Step {id!r}: retries must be a non-negative int, got {retries!r}")
        self.id = id
        self.description = description
        self.execute = execute
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.resume_schema = resume_schema
        self.suspend_schema = suspend_schema
        self.state_schema = state_schema
        self.retries = retries
        self.metadata = dict(metadata) if metadata else {}
        self.is_async = inspect.iscoroutinefunction(execute)
        #: a sync `execute` runs on the event loop instead of a worker thread (see `inline`)
        self.inline = bool(inline) or is_inline(execute)
        self._in: Schema = schema_for(input_schema)
        self._out: Schema = schema_for(output_schema)
        self._resume: Schema = schema_for(resume_schema)
        self._suspend: Schema = schema_for(suspend_schema)
        self._state: Schema | None = schema_for(state_schema) if state_schema is not None else None
        #: checked against the request context before the step runs (Mastra's requestContextSchema)
        self.request_context_schema = request_context_schema
        self._rc: Schema | None = schema_for(request_context_schema) if request_context_schema is not None else None

    @property
    def can_suspend(self) -> bool:
        """True when the step declares a suspend or resume schema."""
        return self.suspend_schema is not None or self.resume_schema is not None

    def __repr__(self) -> str:
        return f"<Step {self.id!r}>"


def create_step(
    source: Any = None,
    /,
    *,
    id: str | None = None,
    execute: Execute | None = None,
    input_schema: Any = None,
    output_schema: Any = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    state_schema: Any = None,
    description: str | None = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    request_context_schema: Any = None,
    inline: bool = False,
    **options: Any,
) -> Step:
    """Creates a step.

    - `create_step("id", execute=fn, ...)` (or `id="id"`): `execute` may be sync or
      async and returns the output. `request_context_schema` is checked against the
      run's request context before each execution (a mismatch fails the step, as in Mastra).
      A sync `execute` runs in a worker thread, so blocking code never holds the event
      loop; `inline=True` runs it on the loop (for cheap, pure functions only).
    - `create_step(agent, structured_output=None, deps=None, ...)`: a pydantic-ai
      `Agent` as a step (`stepstream[agents]`; see `stepstream.agents`).
    - `create_step(tool)`: a pydantic-ai `Tool`, or a plain typed function whose
      schemas come from its signature and return type.
    """
    if source is None or isinstance(source, str):
        step_id, execute = _checked_id(source, id, execute, options)
        return Step(
            step_id,
            execute=execute,
            input_schema=input_schema,
            output_schema=output_schema,
            resume_schema=resume_schema,
            suspend_schema=suspend_schema,
            state_schema=state_schema,
            description=description,
            retries=retries,
            metadata=metadata,
            request_context_schema=request_context_schema,
            inline=inline,
        )
    if execute is not None or input_schema is not None or output_schema is not None or state_schema is not None:
        raise WorkflowDefinitionError(
            f"create_step({type(source).__name__}): execute and the input, output and state schemas come from the object itself"
        )
    made = _step_from_object(source, id, description, retries, metadata, resume_schema, suspend_schema, options)
    if request_context_schema is not None:
        made.request_context_schema = request_context_schema
        made._rc = schema_for(request_context_schema)
    return made


def _checked_id(source: str | None, id: str | None, execute: Execute | None, options: dict[str, Any]) -> tuple[str, Execute]:
    """The id and `execute` of `create_step("id", execute=...)`, refusing what cannot make a step."""
    if source is not None and id is not None:
        raise WorkflowDefinitionError(f"create_step() got the id twice: {source!r} and id={id!r}")
    step_id = source if source is not None else id
    if not step_id:
        raise WorkflowDefinitionError(f"A step id must be a non-empty string, got {step_id!r}")
    if execute is None:
        raise WorkflowDefinitionError(f"Step {step_id!r}: create_step() needs execute=")
    if options:
        raise WorkflowDefinitionError(f"Step {step_id!r}: unexpected options {sorted(options)}")
    return step_id, execute


def _step_from_object(
    source: Any,
    id: str | None,
    description: str | None,
    retries: int | None,
    metadata: Mapping[str, Any] | None,
    resume_schema: Any,
    suspend_schema: Any,
    options: dict[str, Any],
) -> Step:
    """A step made from a pydantic-ai agent or tool, or a plain typed function."""
    from ._function_step import step_from_object

    return step_from_object(
        source,
        id=id,
        description=description,
        retries=retries,
        metadata=metadata,
        resume_schema=resume_schema,
        suspend_schema=suspend_schema,
        **options,
    )


@overload
def step(fn: Execute, /) -> Step: ...


@overload
def step(
    *,
    id: str | None = None,
    input_schema: Any = None,
    output_schema: Any = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    state_schema: Any = None,
    description: str | None = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    request_context_schema: Any = None,
    inline: bool = False,
) -> Callable[[Execute], Step]: ...


def step(
    fn: Execute | None = None,
    /,
    *,
    id: str | None = None,
    input_schema: Any = None,
    output_schema: Any = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    state_schema: Any = None,
    description: str | None = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    request_context_schema: Any = None,
    inline: bool = False,
) -> Step | Callable[[Execute], Step]:
    """Decorator form of `create_step`; the id defaults to the function's name
    and the description to its docstring."""

    def wrap(f: Execute) -> Step:
        return Step(
            str(id or getattr(f, "__name__", "")),
            execute=f,
            input_schema=input_schema,
            output_schema=output_schema,
            resume_schema=resume_schema,
            suspend_schema=suspend_schema,
            state_schema=state_schema,
            description=description if description is not None else inspect.getdoc(f),
            retries=retries,
            metadata=metadata,
            request_context_schema=request_context_schema,
            inline=inline,
        )

    return wrap(fn) if fn is not None else wrap


def inline(fn: F) -> F:
    """Marks a cheap, pure sync function (a step body, or a condition, map, sleep or
    concurrency function) to run on the event loop instead of a worker thread.

    Sync user code runs in a worker thread by default, so a blocking call never holds
    the loop; a thread hop costs tens of microseconds, which a trivial function need not pay.
    Use it only for code that never blocks."""
    try:
        fn.__stepstream_inline__ = True  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(f"inline(): cannot mark {fn!r} (it takes no attributes)") from None
    return fn


def is_inline(fn: Any) -> bool:
    """True for a function marked with `inline` (or an object whose class is)."""
    return bool(getattr(fn, "__stepstream_inline__", False))


class AbortSignal(Protocol):
    """Fires when the run is canceled or a step calls `abort()`.

    A step awaiting `wait()` is woken, not interrupted: the code after the wait
    runs (cleanup) and what the step returns is recorded, as in Mastra. A step
    awaiting anything else is interrupted there when the run is canceled.
    """

    def is_set(self) -> bool:
        """True once the run was aborted."""

    @property
    def aborted(self) -> bool:
        """Mastra's name for `is_set()`."""

    async def wait(self) -> None:
        """Waits until the run is aborted; the step then carries on (it is not interrupted)."""


class Writer(Protocol):
    """`ctx.writer`: emits `workflow-step-output` events (and custom chunks) to stream readers."""

    def write(self, data: Any) -> Awaitable[None]:
        """Emits `data` as a `workflow-step-output` event from the current step.

        Emitted at once, so a sync step (in its worker thread) may call it without
        awaiting; `await ctx.writer.write(...)` reads naturally in an async one."""

    def custom(self, chunk: Mapping[str, Any]) -> Awaitable[None]:
        """Emits a custom chunk (e.g. `{"type": "data-progress", "data": ...}`) as it is."""


InputT = TypeVar("InputT", default=Any)
ResumeT = TypeVar("ResumeT", default=Any)


class StepContext(Protocol[InputT, ResumeT]):
    """What a step's `execute` (and a condition or mapping function) receives.

    Annotate `ctx: StepContext[In, Resume]` to type `input_data` and `resume_data`
    (a bare `StepContext` leaves them `Any`). The engine brings the implementation
    (`engine._context.EngineStepContext`); this Protocol is the whole of what a step sees.
    """

    #: the step's input (validated by its `input_schema`)
    input_data: InputT
    #: the data the run was resumed with, when this call is a resume of this step
    resume_data: ResumeT | None
    #: what the step suspended with, when this call is a resume of this step
    suspend_data: Any
    #: how many times this step was retried before this attempt (-1 outside a step body)
    retry_count: int
    #: the loop iteration (1-based) of a `dowhile`/`dountil` step, else None
    iteration_count: int | None
    #: True when the run was restarted after a crash
    restart: bool

    # -- identity -----------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        """The run's id."""

    @property
    def workflow_id(self) -> str:
        """The id of the workflow this step runs in (the nested one inside a nested workflow)."""

    @property
    def resource_id(self) -> str | None:
        """The resource id the run was created with."""

    @property
    def request_context(self) -> RequestContext:
        """The run's request context; changes are persisted with the run."""

    @property
    def app(self) -> Stepstream:
        """The `Stepstream` app the run belongs to (Mastra's `mastra`): `get_agent`, `get_workflow`."""

    # -- data ---------------------------------------------------------------------------------
    @property
    def state(self) -> Any:
        """The workflow state (validated by the step's `state_schema` when it has one).

        This step's own `set_state()` calls show only when it has ended (Mastra's rule);
        updates of steps that ended meanwhile (parallel siblings) do show."""

    def set_state(self, new_state: Any) -> Awaitable[None]:
        """Merges `new_state` into the workflow state; applied when the step ends (not if it fails).
        Until then `ctx.state` keeps showing the state without it. Takes effect at once (a sync
        step need not await it)."""

    def get_init_data(self) -> Any:
        """The input of the workflow (of the nested workflow, inside one)."""

    def get_step_result(self, step: Step | str) -> Any:
        """The output of an earlier step if it succeeded, else None."""

    @property
    def writer(self) -> Writer:
        """Emits output events to stream readers while the step runs (`stepName` is the
        step's own id, also inside a nested workflow, as in Mastra)."""

    @property
    def abort_signal(self) -> AbortSignal:
        """Set when the run is canceled."""

    # -- control ------------------------------------------------------------------------------
    def suspend(self, payload: Any = None, *, resume_label: str | list[str] | None = None) -> NoReturn:
        """Ends the step as suspended with `payload`; `await ctx.suspend(...)` reads naturally.

        Nothing after it runs: the step resumes from its start with `resume_data` set.
        """

    def bail(self, value: Any = None) -> NoReturn:
        """Ends the whole run successfully with `value` as its result."""

    def abort(self) -> None:
        """Cancels the run (as `run.cancel()` does)."""

    async def run_agent(self, agent: Any, prompt: str, **options: Any) -> Any:
        """Runs a pydantic-ai agent (or the app's agent of that name) from inside this step.

        Its chunks reach stream readers and its token usage adds to the run's usage,
        as for an agent step; `options` go to `agent.iter()` (`output_type`, `deps`...,
        deps default to this context). Returns pydantic-ai's `AgentRunResult`.
        """

    def report_usage(self, input_tokens: int = 0, output_tokens: int = 0, **more: int) -> None:
        """Adds token usage to the run's `stream.usage` (e.g. `total_tokens`, `reasoning_tokens`)."""


Condition = Callable[[StepContext], bool | Awaitable[bool]]
