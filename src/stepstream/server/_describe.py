"""A workflow described as Mastra's `WorkflowInfo` (what `GET /api/workflows` answers).

Schemas travel as superjson strings of JSON Schema (`'{"json": {...}}'`), which
`@mastra/client-js` (`getSchema`) and Studio parse; the step graph is Mastra's
`serializedStepGraph`. Descriptions are computed once per workflow and cached.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from .._schema import schema_for
from ..step import Step
from ..workflow.builder import Workflow
from ..workflow.plan import ConditionalNode, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode


def schema_string(tp: Any) -> str | None:
    """A type as Mastra sends schemas: superjson of its JSON Schema; None without a schema."""
    if tp is None:
        return None
    try:
        schema = schema_for(tp).json_schema()
    except Exception:  # a type pydantic cannot describe (a callable, say): describe it as anything
        schema = {}
    return json.dumps({"json": schema}, separators=(",", ":"))


def _step_info(step: Step) -> dict[str, Any]:
    info: dict[str, Any] = {"id": step.id, "description": step.description}
    for key, tp in (
        ("inputSchema", step.input_schema),
        ("outputSchema", step.output_schema),
        ("resumeSchema", step.resume_schema),
        ("suspendSchema", step.suspend_schema),
        ("stateSchema", step.state_schema),
    ):
        text = schema_string(tp)
        if text is not None:
            info[key] = text
    info["component"] = getattr(step, "component", None)
    info["isWorkflow"] = isinstance(step, Workflow)
    info["metadata"] = step.metadata
    return info


def _graph_step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"id": step.id, "description": step.description, "metadata": step.metadata, "canSuspend": step.can_suspend}
    if isinstance(step, Workflow):
        out["component"] = "WORKFLOW"
        out["serializedStepFlow"] = [_graph_node(n) for n in step.graph]
    return out


def _condition(fn: Any, index: int) -> dict[str, str]:
    name = getattr(fn, "__name__", "condition")
    return {"id": f"{name}-{index}", "fn": name}


def _graph_node(node: Node) -> dict[str, Any]:
    if isinstance(node, StepNode):
        return {"type": "step", "step": _graph_step(node.step)}
    if isinstance(node, ParallelNode):
        return {"type": "parallel", "steps": [{"type": "step", "step": _graph_step(s)} for s in node.steps]}
    if isinstance(node, ConditionalNode):
        return {
            "type": "conditional",
            "steps": [{"type": "step", "step": _graph_step(s)} for _, s in node.branches],
            "serializedConditions": [_condition(c, i) for i, (c, _) in enumerate(node.branches)],
        }
    if isinstance(node, LoopNode):
        return {"type": "loop", "step": _graph_step(node.step), "serializedCondition": _condition(node.condition, 0), "loopType": node.kind}
    if isinstance(node, ForeachNode):
        return {"type": "foreach", "step": _graph_step(node.step), "opts": {"concurrency": node.concurrency}}
    return _sleep_node(node)


def _sleep_node(node: SleepNode) -> dict[str, Any]:
    if node.until is not None:
        out: dict[str, Any] = {"type": "sleepUntil", "id": node.id}
        if isinstance(node.until, datetime):
            out["date"] = node.until.isoformat()
        else:
            out["fn"] = getattr(node.until, "__name__", "fn")
        return out
    out = {"type": "sleep", "id": node.id}
    if isinstance(node.duration, int | float):
        out["duration"] = node.duration
    elif node.duration is not None:
        out["fn"] = getattr(node.duration, "__name__", "fn")
    return out


def _all_steps(wf: Workflow, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, step in wf.steps_by_id.items():
        full = f"{prefix}.{key}" if prefix else key
        out[full] = _step_info(step)
        if isinstance(step, Workflow):
            out.update(_all_steps(step, full))
    return out


@lru_cache(maxsize=256)
def describe(wf: Workflow) -> dict[str, Any]:
    """Mastra's WorkflowInfo for a committed workflow (cached: a committed flow never changes)."""
    info: dict[str, Any] = {
        "name": wf.id,
        "description": wf.description,
        "metadata": wf.metadata,
        "origin": "code",
        "steps": {key: _step_info(s) for key, s in wf.steps_by_id.items()},
        "allSteps": _all_steps(wf),
        "stepGraph": [_graph_node(n) for n in wf.graph],
        "options": {k: v for k, v in wf.options.items() if not callable(v)},
        "isProcessorWorkflow": False,
    }
    for key, tp in (("inputSchema", wf.input_schema), ("outputSchema", wf.output_schema), ("stateSchema", wf.state_schema)):
        text = schema_string(tp)
        if text is not None:
            info[key] = text
    return info


def describe_partial(wf: Workflow) -> dict[str, Any]:
    """The `?partial=true` listing: no schemas nor steps, a step count instead."""
    full = describe(wf)
    return {
        "name": full["name"],
        "description": full["description"],
        "metadata": full["metadata"],
        "stepCount": len(wf.steps_by_id),
        "stepGraph": full["stepGraph"],
        "options": full["options"],
        "steps": {},
        "allSteps": {},
        "origin": full["origin"],
    }
