"""The engine's `StepContext`: what a step body (or a condition, map or sleep function) gets.

`stepstream.step.StepContext` is the Protocol users annotate with; `EngineStepContext`
implements it over the walk of one level (`_executor.LevelWalk`), so the definition
layer never sees the runtime. The definition-time helpers that need more than the
user-facing surface (`.map()`) ask for `MapContext`, which this class also implements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, NoReturn

from ..errors import BailSignal, StepstreamError, SuspendSignal
from ..request_context import RequestContext
from ..step import InputT, ResumeT, Step

if TYPE_CHECKING:
    from ..app import Stepstream
    from ._executor import LevelWalk


class RunAbortSignal:
    """`ctx.abort_signal`: fires when the run is canceled or a step calls `abort()`.

    A step awaiting `wait()` is woken, not interrupted: the code after the wait
    runs (cleanup) and what the step returns is recorded, as in Mastra. A step
    awaiting anything else is interrupted there when the run is canceled.
    """

    __slots__ = ("_event", "_listening")

    def __init__(self, event: asyncio.Event, listening: set[asyncio.Task[Any]] | None = None):
        self._event = event
        self._listening = listening

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def aborted(self) -> bool:
        return self.is_set()

    async def wait(self) -> None:
        task = asyncio.current_task() if self._listening is not None else None
        if task is None or self._listening is None:
            await self._event.wait()
            return
        self._listening.add(task)
        try:
            await self._event.wait()
        finally:
            self._listening.discard(task)


class EventWriter:
    """`ctx.writer`: emits `workflow-step-output` events (and custom chunks) to stream readers."""

    __slots__ = ("_ex", "_name")

    def __init__(self, ex: LevelWalk, name: str):
        self._ex = ex
        self._name = name

    def write(self, data: Any) -> Awaitable[None]:
        self._ex.write_output(self._name, data)
        return _DONE

    def custom(self, chunk: Mapping[str, Any]) -> Awaitable[None]:
        if not isinstance(chunk, Mapping) or not isinstance(chunk.get("type"), str):
            raise ValueError(f"Step {self._name!r}: writer.custom() needs a mapping with a string 'type'")
        self._ex.write_custom(dict(chunk))
        return _DONE


class _Done:
    """An awaitable that is already done: what the eager context methods return."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


_DONE = _Done()


class EngineStepContext(Generic[InputT, ResumeT]):
    """The context of one step call (see `stepstream.StepContext` for each member's meaning)."""

    __slots__ = (
        "_ex",
        "_key",
        "_step",
        "input_data",
        "iteration_count",
        "restart",
        "resume_data",
        "retry_count",
        "state_updates",
        "suspend_data",
    )

    def __init__(
        self,
        ex: LevelWalk,
        step: Step | None,
        key: str,
        input_data: Any,
        resume_data: Any = None,
        suspend_data: Any = None,
        retry_count: int = 0,
        iteration_count: int | None = None,
        restart: bool = False,
    ):
        self._ex = ex
        self._step = step
        self._key = key
        #: this call's `set_state()` updates, applied when the step ends (not if it fails)
        self.state_updates: dict[str, Any] | None = None
        self.input_data: InputT = input_data
        self.resume_data: ResumeT | None = resume_data
        self.suspend_data: Any = suspend_data
        self.retry_count = retry_count
        self.iteration_count = iteration_count
        self.restart = restart

    # -- identity -----------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._ex.rs.run_id

    @property
    def workflow_id(self) -> str:
        return self._ex.workflow.id

    @property
    def resource_id(self) -> str | None:
        return self._ex.rs.resource_id

    @property
    def request_context(self) -> RequestContext:
        return self._ex.rs.request_context

    @property
    def app(self) -> Stepstream:
        app: Stepstream | None = self._ex.rs.app
        if app is None:
            raise StepstreamError(
                f"Step {self._key!r} in run {self.run_id!r}: ctx.app needs the workflow registered in a Stepstream app "
                "(Stepstream(workflows=[...], agents={...}))"
            )
        return app

    # -- data ---------------------------------------------------------------------------------
    @property
    def state(self) -> Any:
        return self._ex.state_for(self._step)

    def set_state(self, new_state: Any) -> Awaitable[None]:
        self.state_updates = self._ex.merge_state(self._step, self._key, self.state_updates, new_state)
        return _DONE

    def get_init_data(self) -> Any:
        return self._ex.init_data

    def get_step_result(self, step: Step | str) -> Any:
        if isinstance(step, str):
            return self._ex.step_output(step)
        return self._ex.step_output(step.id, step)

    @property
    def writer(self) -> EventWriter:
        return EventWriter(self._ex, self._key)

    @property
    def abort_signal(self) -> RunAbortSignal:
        return RunAbortSignal(self._ex.rs.abort_event, self._ex.rs.listening)

    # -- control ------------------------------------------------------------------------------
    def suspend(self, payload: Any = None, *, resume_label: str | list[str] | None = None) -> NoReturn:
        labels = [resume_label] if isinstance(resume_label, str) else list(resume_label or [])
        raise SuspendSignal(payload, labels)

    def bail(self, value: Any = None) -> NoReturn:
        raise BailSignal(value)

    def abort(self) -> None:
        self._ex.rs.request_abort()

    async def run_agent(self, agent: Any, prompt: str, **options: Any) -> Any:
        from ..agents import stream_agent  # the agents extra (pydantic-ai), loaded only when used

        if isinstance(agent, str):
            agent = self.app.get_agent(agent)
        return await stream_agent(self, agent, prompt, **options)

    def report_usage(self, input_tokens: int = 0, output_tokens: int = 0, **more: int) -> None:
        self._ex.rs.add_usage(input_tokens, output_tokens, more)

    # -- what `.map()` needs of the runtime (`workflow.mapping.MapContext`) ----------------------
    async def call_user(self, fn: Callable[[Any], Any]) -> Any:
        """A user function of the walk (a map function, say) called with this context, through the run's host."""
        return await self._ex.rs.host.call(fn, self)

    def has_step_result(self, step_id: str) -> bool:
        """True when the step succeeded at this level."""
        return self._ex.has_result(step_id)

    @property
    def validates(self) -> bool:
        """True when the workflow validates data against its schemas."""
        return self._ex.workflow.validate_inputs

    def __repr__(self) -> str:
        return f"<StepContext step={self._key!r} run={self.run_id!r}>"
