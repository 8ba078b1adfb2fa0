"""`.map(...)`: Mastra's mapping forms, compiled into a synthetic step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

from .._schema import schema_for
from ..errors import WorkflowDefinitionError
from ..step import Step, StepContext
from .plan import EntryOptions
from .template import render_template, validate_template

_FORMS = ("step", "value", "init_data", "request_context_path", "fn", "template")


def _walk(value: Any, path: str, where: str) -> Any:
    if path in (".", ""):
        return value
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif hasattr(value, part) and not isinstance(value, (str, int, float, bool, list, tuple)):
            value = getattr(value, part)
        else:
            raise ValueError(f"Invalid path {path} in {where}")
    return value


class MapContext(StepContext[Any, Any], Protocol):
    """What a map step needs of the runtime beyond a step's context (the engine's context has it)."""

    async def call_user(self, fn: Callable[[Any], Any]) -> Any:
        """Calls a user function with this context through the run's host (a sync one in a worker thread)."""
        ...

    def has_step_result(self, step_id: str) -> bool:
        """True when the step succeeded at this level."""
        ...

    @property
    def validates(self) -> bool:
        """True when the workflow validates data against its schemas."""
        ...


def _runtime(ctx: StepContext) -> MapContext:
    """The context a map step gets: the engine's, which also implements `MapContext`."""
    return cast(MapContext, ctx)


async def _call(fn: Callable[[StepContext], Any], ctx: StepContext) -> Any:
    """A map function, through the run's host (a sync one runs in a worker thread)."""
    return await _runtime(ctx).call_user(fn)


def _resolve_one(key: str, spec: Mapping[str, Any], ctx: StepContext) -> Any:
    if "step" in spec:
        steps = spec["step"] if isinstance(spec["step"], (list, tuple)) else [spec["step"]]
        for s in steps:
            sid = s if isinstance(s, str) else s.id
            if _runtime(ctx).has_step_result(sid):
                return _walk(ctx.get_step_result(sid), spec.get("path", "."), f"step {sid}")
        return None
    if "value" in spec:
        return spec["value"]
    if "template" in spec:
        return render_template(spec["template"], ctx)
    if "init_data" in spec:
        return _walk(ctx.get_init_data(), spec.get("path", "."), "init data")
    if "request_context_path" in spec:
        return ctx.request_context.get_path(spec["request_context_path"])
    raise WorkflowDefinitionError(f"map key {key!r}: unknown mapping form {dict(spec)!r}")


class MappingStep(Step):
    """The step `.map(...)` inserts; `entry` holds the map's `id`, `description` and `metadata`,
    `mapping` what was given to `.map` (shown in the serialized step graph)."""

    entry: EntryOptions | None = None
    mapping: Any = None


def mapping_step(workflow_id: str, mapping: Any, step_id: str, entry: EntryOptions | None = None) -> Step:
    """A step that computes `mapping` (a function of the context, or a dict of forms)."""
    description = entry.description if entry is not None and entry.description is not None else f"map in {workflow_id}"
    metadata = entry.metadata if entry is not None else None
    if callable(mapping):
        fn = mapping

        async def run_fn(ctx: StepContext) -> Any:
            return await _call(fn, ctx)

        step = MappingStep(step_id, execute=run_fn, description=description, metadata=metadata)
        step.entry, step.mapping = entry, mapping
        return step
    if not isinstance(mapping, Mapping):
        raise WorkflowDefinitionError(f"Workflow {workflow_id!r}: map() takes a function or a dict, got {type(mapping).__name__}")
    for key, spec in mapping.items():
        if not isinstance(spec, Mapping) or not any(f in spec for f in _FORMS):
            raise WorkflowDefinitionError(
                f"Workflow {workflow_id!r}: map key {key!r} must be a dict with one of {', '.join(_FORMS)}; got {spec!r}"
            )
        if "template" in spec and "value" not in spec and "fn" not in spec:
            if not isinstance(spec["template"], str):
                raise WorkflowDefinitionError(
                    f"Workflow {workflow_id!r}: map key {key!r}: 'template' must be a string, got {spec['template']!r}"
                )
            try:
                validate_template(spec["template"])
            except WorkflowDefinitionError as exc:
                raise WorkflowDefinitionError(f"{exc}\n(workflow {workflow_id!r}, map key {key!r})") from None
    specs = dict(mapping)
    schemas = {key: schema_for(spec["schema"]) for key, spec in specs.items() if spec.get("schema") is not None}

    async def run_map(ctx: StepContext) -> Any:
        out: dict[str, Any] = {}
        for key, spec in specs.items():
            value = await _call(spec["fn"], ctx) if "fn" in spec else _resolve_one(key, spec, ctx)
            schema = schemas.get(key)
            if schema is not None and value is not None and _runtime(ctx).validates:  # absent values pass, as in Mastra
                value = schema.validate(value, f"Mapped value {key!r} of {step_id!r} failed its schema")
            out[key] = value
        return out

    step = MappingStep(step_id, execute=run_map, description=description, metadata=metadata)
    step.entry, step.mapping = entry, mapping
    return step
