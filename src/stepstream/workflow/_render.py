"""A committed workflow as Mastra's `serializedStepGraph`: plain JSON describing its entries.

Mastra stores it with every run and returns it from `getWorkflowRunById` (and the
server's run route), so a dashboard can draw the flow next to the run's step
statuses. Entry shapes follow Mastra 1.71 (`step`, `workflow`, `parallel`,
`conditional`, `loop`, `foreach`, `sleep`, `sleepUntil`, `mapping`). Where Mastra
shows a function's JavaScript source (conditions, map functions) this shows the
Python source when it can be read, else the function's qualified name.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..step import Step
from .mapping import MappingStep
from .plan import ConditionalNode, EntryOptions, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode
from .predicate import Predicate, as_condition

if TYPE_CHECKING:
    from .builder import Workflow

_MAX_TEXT = 1000  # Mastra truncates map configs to 1000 characters


def serialized_step_graph(workflow: Workflow) -> list[dict[str, Any]]:
    """The workflow's entries as Mastra's serializedStepGraph (JSON-ready)."""
    return [_entry(node) for node in workflow.graph]


def _entry(node: Node) -> dict[str, Any]:
    options = _options(node.entry)
    if isinstance(node, StepNode):
        if isinstance(node.step, MappingStep):
            return {"type": "mapping", "id": node.step.id, **options, "mapConfig": _text(node.step.mapping)}
        return _single(node.step)
    if isinstance(node, ParallelNode):
        return {"type": "parallel", **options, "steps": [_single(s) for s in node.steps]}
    if isinstance(node, ConditionalNode):
        out: dict[str, Any] = {
            "type": "conditional",
            **options,
            "steps": [_single(s) for _, s in node.branches],
            "serializedConditions": [{"id": f"{s.id}-condition", "fn": _condition(c)} for c, s in node.branches],
        }
        predicates = [_predicate(c) for c, _ in node.branches]
        if any(p is not None for p in predicates):
            out["predicates"] = predicates
        return out
    if isinstance(node, LoopNode):
        loop: dict[str, Any] = {
            "type": "loop",
            **options,
            "step": _single(node.step),
            "serializedCondition": {"id": f"{node.step.id}-condition", "fn": _condition(node.condition)},
            "loopType": node.kind,
        }
        if (predicate := _predicate(node.condition)) is not None:
            loop["predicate"] = predicate
        return loop
    if isinstance(node, ForeachNode):
        concurrency: Any = node.concurrency if isinstance(node.concurrency, int) else _text(node.concurrency)
        return {"type": "foreach", **options, "step": _single(node.step), "opts": {"concurrency": concurrency}}
    return _sleep(node)


def _sleep(node: SleepNode) -> dict[str, Any]:
    value: Any
    if node.until is not None:
        kind, key, value = "sleepUntil", "date", node.until
    else:
        kind, key, value = "sleep", "duration", node.duration
    if callable(value):
        return {"type": kind, "id": node.id, **_options(node.entry), "fn": _text(value)}
    return {"type": kind, "id": node.id, **_options(node.entry), key: value.isoformat() if isinstance(value, datetime) else value}


def _single(step: Step) -> dict[str, Any]:
    from .builder import Workflow

    if isinstance(step, Workflow):
        out: dict[str, Any] = {"type": "workflow", "id": step.id, "workflowId": step.id}
        if step.description is not None:
            out["description"] = step.description
        if step.committed:
            out["serializedStepFlow"] = serialized_step_graph(step)
        return out
    inner: dict[str, Any] = {"id": step.id}
    if step.description is not None:
        inner["description"] = step.description
    if step.metadata:
        inner["metadata"] = step.metadata
    inner["canSuspend"] = step.can_suspend
    return {"type": "step", "step": inner}


def _options(entry: EntryOptions) -> dict[str, Any]:
    """An entry's `id`, `description` and `metadata`, only those given (as Mastra spreads them)."""
    return {k: v for k, v in (("id", entry.id), ("description", entry.description), ("metadata", entry.metadata)) if v is not None}


def _predicate(condition: Any) -> dict[str, Any] | None:
    predicate = getattr(condition, "predicate", None) or as_condition(condition)
    return predicate.to_dict() if predicate is not None and hasattr(predicate, "to_dict") else None


def _condition(condition: Any) -> str:
    """Mastra's `fn` of a condition: a predicate's label (derivePredicateLabel), else the function's text."""
    predicate = condition if isinstance(condition, Predicate) else None
    return predicate.label if predicate is not None else _text(condition)


def _text(value: Any) -> str:
    """A function's source (else its name), or a mapping config as indented JSON; at most 1000 characters."""
    if isinstance(value, Mapping):
        text = json.dumps({str(k): _plain(v) for k, v in value.items()}, indent=2, default=str)
    elif callable(value):
        text = _source(value)
    else:
        text = str(value)
    return text[:_MAX_TEXT]


def _plain(value: Any) -> Any:
    if isinstance(value, Step):
        return value.id
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if callable(value) and not isinstance(value, type):
        return _source(value)
    if isinstance(value, type):
        return value.__name__
    return value


def _source(fn: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(fn).strip()
    except (OSError, TypeError):
        return getattr(fn, "__qualname__", None) or repr(fn)
