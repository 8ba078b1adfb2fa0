"""A workflow described as Mastra's `WorkflowInfo` (what `GET /api/workflows` answers).

Schemas travel as superjson strings of JSON Schema (`'{"json": {...}}'`), which
`@mastra/client-js` (`getSchema`) and Studio parse; the step graph is Mastra's
`serializedStepGraph` (workflow/_render.py, checked on the oracle). Descriptions are computed once per workflow and cached.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from .._schema import schema_for
from ..step import Step
from ..workflow._render import serialized_step_graph
from ..workflow.builder import Workflow


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
        "stepGraph": serialized_step_graph(wf),
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
