"""pydantic-ai agents and tools as workflow steps (the `stepstream[agents]` extra).

`create_step(agent)` makes an agent a step, as Mastra's `createStep(agent)`:
its id is the agent's name, its input `{prompt: str}`, its output `{text: str}`
or the `structured_output` model. The step runs the agent streaming and writes
Mastra's agent chunks through `ctx.writer`, so every stream reader sees them as
`workflow-step-output` events while the agent works, and the `finish` chunk adds
the agent's token usage to the run's usage. Canceling the run cancels the step's
task, which aborts the model call. The agent's dependencies are the
`StepContext` (so tools reach `ctx.deps.request_context`), unless `deps=` gives a
factory `StepContext -> deps`.

`create_step(tool)` takes a pydantic-ai `Tool` (its function becomes a tool step).

`stream_agent(ctx, agent, prompt)` (also `ctx.run_agent`) runs an agent by hand
inside any step with the same streaming and usage accounting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union, get_origin, get_type_hints

try:
    from pydantic_ai import Agent, Tool
    from pydantic_ai.agent import AbstractAgent
    from pydantic_ai.models.function import FunctionModel
    from pydantic_ai.output import NativeOutput, PromptedOutput, TextOutput, ToolOutput
    from pydantic_ai.run import AgentRunResult
except ImportError as exc:  # pragma: no cover - exercised by tests/agents/test_extra.py in a subprocess
    raise ImportError(f"Agent steps need pydantic-ai: pip install 'stepstream[agents]' ({exc})") from exc

import pydantic

from .._function_step import function_step
from ..errors import WorkflowDefinitionError
from ..step import Step, StepContext
from ._chunks import ChunkStream, mastra_usage

__all__ = ["AgentInput", "AgentOutput", "agent_step", "mastra_usage", "step_from", "stream_agent"]

Deps = Callable[[StepContext], Any]


class AgentInput(pydantic.BaseModel):
    """The input of an agent step (Mastra's `{prompt: string}`)."""

    prompt: str


class AgentOutput(pydantic.BaseModel):
    """The output of an agent step without structured output (Mastra's `{text: string}`)."""

    text: str


def step_from(source: Any, *, id: str | None = None, **options: Any) -> Step:
    """The step for a pydantic-ai agent or tool (called by `create_step`)."""
    if isinstance(source, AbstractAgent):
        return agent_step(source, id=id, **options)
    if isinstance(source, Tool):
        if source.takes_ctx:
            raise WorkflowDefinitionError(
                f"Tool {source.name!r} takes a RunContext, which exists only inside an agent run; "
                "as a step, give create_step a function that takes a StepContext instead"
            )
        if options.get("description") is None:
            options["description"] = source.description
        return function_step(source.function, id=id, name=source.name, **options)
    raise WorkflowDefinitionError(
        f"create_step() takes a step id, a typed function, or a pydantic-ai Agent or Tool; got {type(source).__name__}"
    )


def agent_step(
    agent: AbstractAgent[Any, Any],
    *,
    id: str | None = None,
    structured_output: Any = None,
    deps: Deps | None = None,
    description: str | None = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    **options: Any,
) -> Step:
    """A step that runs `agent` on `{prompt}`; `options` go to `agent.iter()` (model, model_settings, usage_limits...)."""
    step_id = id or agent.name
    if not step_id:
        raise WorkflowDefinitionError("create_step(agent): the agent has no name; give it one (Agent(..., name='writer')) or pass id=")
    if resume_schema is not None or suspend_schema is not None:
        raise WorkflowDefinitionError(f"Step {step_id!r}: an agent step does not suspend")
    if deps is None and not _takes_step_context(agent.deps_type):
        raise WorkflowDefinitionError(
            f"Step {step_id!r}: the agent's deps_type is {agent.deps_type!r}; pass deps=lambda ctx: ... to build its deps from the step context"
        )
    model = options.get("model", getattr(agent, "model", None))
    if isinstance(model, FunctionModel) and model.stream_function is None:
        raise WorkflowDefinitionError(
            f"Step {step_id!r}: an agent step streams its model, and this FunctionModel has no stream_function; "
            "give it one (FunctionModel(stream_function=...))"
        )
    output_type = output_schema(structured_output if structured_output is not None else agent.output_type)
    structured = output_type is not str
    make_deps: Deps = deps if deps is not None else _context_deps

    async def execute(ctx: StepContext) -> Any:
        data = ctx.input_data
        prompt = data.prompt if isinstance(data, AgentInput) else AgentInput.model_validate(data).prompt
        result = await stream_agent(
            ctx, agent, prompt, output_type=structured_output, deps=make_deps(ctx), structured=structured, agent_id=step_id, **options
        )
        return result.output if structured else AgentOutput(text=result.output)

    step = Step(
        step_id,
        execute=execute,
        input_schema=AgentInput,
        output_schema=output_type if structured else AgentOutput,
        description=description if description is not None else agent.description,
        retries=retries,
        metadata=metadata,
    )
    step.component = "AGENT"
    return step


def output_schema(spec: Any) -> Any:
    """The type of what a pydantic-ai output spec produces, for the step's output schema:
    `ToolOutput`, `NativeOutput` and `PromptedOutput` unwrapped to what they hold, a list of
    outputs as their union, an output function (or `TextOutput`'s) as its return annotation."""
    if isinstance(spec, ToolOutput):
        return output_schema(spec.output)
    if isinstance(spec, NativeOutput | PromptedOutput):
        return output_schema(spec.outputs)
    if isinstance(spec, TextOutput):
        return output_schema(spec.output_function)
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        kinds = tuple(dict.fromkeys(output_schema(item) for item in spec))
        return kinds[0] if len(kinds) == 1 else Union[kinds]  # noqa: UP007 - a union built at run time
    if callable(spec) and not isinstance(spec, type) and get_origin(spec) is None:
        try:
            return get_type_hints(spec).get("return", Any)
        except Exception:  # unresolvable annotations: take any output
            return Any
    return spec


async def stream_agent(
    ctx: StepContext,
    agent: AbstractAgent[Any, Any],
    prompt: str,
    *,
    output_type: Any = None,
    structured: bool | None = None,
    agent_id: str | None = None,
    **options: Any,
) -> AgentRunResult[Any]:
    """Runs `agent` inside a step, writing Mastra's chunks (and so its usage) through `ctx.writer`."""
    if structured is None:
        structured = (output_type if output_type is not None else agent.output_type) is not str
    options.setdefault("deps", ctx)
    out = ChunkStream(ctx.writer.write, agent_id or agent.name or "agent")
    await out.start()
    run = None
    try:
        async with agent.iter(prompt, output_type=output_type, **options) as run:
            async for node in run:
                if Agent.is_model_request_node(node):
                    await out.step_start()
                    async with node.stream(run.ctx) as events:
                        async for event in events:
                            await out.model_event(event)
                elif Agent.is_call_tools_node(node):
                    out.response(node.model_response)
                    async with node.stream(run.ctx) as events:
                        async for event in events:
                            await out.tool_event(event)
            result = run.result
    except Exception as exc:
        if run is not None:  # a request that ended the run (a usage limit, say) still spent tokens
            out.spent(run.usage)
        await out.failed(exc)
        raise
    if result is None:  # pragma: no cover - iter() always ends with a result unless it raised
        raise RuntimeError(f"Agent {out.agent_id!r} ended without a result")
    await out.finished(result.output, structured)
    return result


def _context_deps(ctx: StepContext) -> StepContext:
    return ctx


def _takes_step_context(deps_type: Any) -> bool:
    if deps_type in (object, type(None), Any):
        return True
    return deps_type in StepContext.__mro__  # StepContext itself, or a base it has (a Protocol: no issubclass)
