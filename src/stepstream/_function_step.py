"""Steps made from objects: a plain typed function (here), a pydantic-ai Agent or Tool (`stepstream.agents`).

A function becomes a tool step, as Mastra's `createStep(tool)`: its parameters
make the input schema (an object with one field per parameter), its return
annotation the output schema. A parameter annotated `StepContext` receives the
step's context instead, so the function can suspend (`ctx.suspend(...)`) and
read `ctx.resume_data` when it is resumed. Sync functions run in a worker
thread, so a blocking tool never holds the event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

import pydantic

from .errors import WorkflowDefinitionError
from .step import Step, StepContext


def step_from_object(source: Any, *, id: str | None, **options: Any) -> Step:
    """A step from an agent, a pydantic-ai tool or a typed function (`create_step(obj)`)."""
    if inspect.isfunction(source) or inspect.ismethod(source):
        return function_step(source, id=id, **options)
    try:
        from . import agents
    except ImportError as exc:
        raise WorkflowDefinitionError(
            f"create_step() takes a step id, a typed function, or a pydantic-ai Agent or Tool; got {type(source).__name__}. "
            f"Agents and pydantic-ai tools need the 'agents' extra: pip install 'stepstream[agents]' ({exc})"
        ) from exc
    return agents.step_from(source, id=id, **options)


def function_step(
    fn: Callable[..., Any],
    *,
    id: str | None = None,
    description: str | None = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    name: str | None = None,
    **unexpected: Any,
) -> Step:
    """A tool step from a typed function; `name` is the default id (else the function's name)."""
    step_id = str(id or name or getattr(fn, "__name__", ""))
    if unexpected:
        raise WorkflowDefinitionError(f"Step {step_id!r}: unexpected options for a tool step: {sorted(unexpected)}")
    signature = FunctionSignature(fn, step_id)
    step = Step(
        step_id,
        execute=signature.execute,
        input_schema=signature.input_model,
        output_schema=signature.output_type,
        resume_schema=resume_schema,
        suspend_schema=suspend_schema,
        description=description if description is not None else inspect.getdoc(fn),
        retries=retries,
        metadata=metadata,
    )
    step.component = "TOOL"
    return step


class FunctionSignature:
    """A function's input model (its data parameters) and output type (its return annotation)."""

    def __init__(self, fn: Callable[..., Any], step_id: str):
        self.fn = fn
        self.step_id = step_id
        self.is_async = inspect.iscoroutinefunction(fn)
        try:
            hints = typing.get_type_hints(fn)
        except (NameError, TypeError) as exc:
            raise WorkflowDefinitionError(f"Step {step_id!r}: cannot resolve the annotations of {fn.__qualname__}: {exc}") from exc
        if "return" not in hints:
            raise WorkflowDefinitionError(f"Step {step_id!r}: {fn.__qualname__} needs a return annotation (it is the output schema)")
        self.output_type: Any = hints["return"]
        self.context_param: str | None = None
        fields: dict[str, Any] = {}
        for param in inspect.signature(fn).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise WorkflowDefinitionError(f"Step {step_id!r}: {fn.__qualname__} takes *args/**kwargs; a tool needs named parameters")
            hint = hints.get(param.name, Any)
            if _is_context(hint):
                self.context_param = param.name
                continue
            default = ... if param.default is param.empty else param.default
            fields[param.name] = (hint, default)
        self.input_model: type[pydantic.BaseModel] = pydantic.create_model(_model_name(step_id), **fields)

    async def execute(self, ctx: StepContext) -> Any:
        data = ctx.input_data
        if isinstance(data, pydantic.BaseModel):
            kwargs = {name: getattr(data, name) for name in type(data).model_fields}
        else:
            kwargs = dict(data or {})
        if self.context_param is not None:
            kwargs[self.context_param] = ctx
        if self.is_async:
            return await self.fn(**kwargs)
        return await asyncio.to_thread(self.fn, **kwargs)


def _is_context(hint: Any) -> bool:
    return (typing.get_origin(hint) or hint) is StepContext


def _model_name(step_id: str) -> str:
    cleaned = "".join(part.capitalize() for part in "".join(c if c.isalnum() else " " for c in step_id).split())
    return (cleaned or "Tool") + "Input"
