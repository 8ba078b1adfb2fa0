"""What the command line needs to know of a workflow's shape: which steps run side by side
(to indent them) and what a suspended step's resume data looks like (to ask for it).

`LocalShape` reads a workflow object; `RemoteShape` reads Mastra's WorkflowInfo JSON, as
a server describes a workflow (`GET /api/workflows/:id`).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from ..step import Step
from ..workflow.builder import Workflow, node_steps
from ..workflow.plan import ConditionalNode, ParallelNode
from ._prompt import Form, form_of_json_schema, form_of_type


class Shape(Protocol):
    def concurrent(self) -> set[str]:
        """Step paths (`outer.inner`) that run inside a `parallel` or `branch` block."""
        ...

    def resume_form(self, path: list[str]) -> Form:
        """What to ask for to resume the step at `path`."""
        ...


def find_step(workflow: Workflow, path: list[str]) -> Step | None:
    """The step at a suspended path (`["outer", "inner"]`) of a workflow."""
    head, *rest = path
    for node in workflow.graph:
        for step in node_steps(node):
            if step.id == head:
                if rest and isinstance(step, Workflow):
                    return find_step(step, rest)
                return None if rest else step
    return None


def concurrent_paths(workflow: Workflow, prefix: str = "") -> set[str]:
    """Step paths that run inside a `parallel` or `branch` block of a workflow object."""
    paths: set[str] = set()
    for node in workflow.graph:
        if isinstance(node, ParallelNode | ConditionalNode):
            paths.update(prefix + i for i in node.ids)
        for step in node_steps(node):
            if isinstance(step, Workflow):
                paths |= concurrent_paths(step, prefix + step.id + ".")
    return paths


class LocalShape:
    """The shape of a workflow object."""

    def __init__(self, workflow: Workflow):
        self.workflow = workflow

    def concurrent(self) -> set[str]:
        return concurrent_paths(self.workflow)

    def resume_form(self, path: list[str]) -> Form:
        step = find_step(self.workflow, path) if path else None
        return form_of_type(step.resume_schema if step is not None else None)


def graph_concurrent(graph: list[dict[str, Any]], prefix: str = "") -> set[str]:
    """Concurrent step paths from Mastra's serialized step graph."""
    paths: set[str] = set()
    for node in graph:
        inner = node.get("steps") or ([{"step": node["step"]}] if "step" in node else [])
        for entry in inner:
            step = entry.get("step") or {}
            if node.get("type") in ("parallel", "conditional"):
                paths.add(prefix + str(step.get("id")))
            if step.get("serializedStepFlow"):
                paths |= graph_concurrent(step["serializedStepFlow"], prefix + str(step.get("id")) + ".")
    return paths


class RemoteShape:
    """The shape of a workflow a server describes (Mastra's WorkflowInfo)."""

    def __init__(self, info: dict[str, Any]):
        self.info = info

    def concurrent(self) -> set[str]:
        return graph_concurrent(self.info.get("stepGraph") or [])

    def resume_form(self, path: list[str]) -> Form:
        step = (self.info.get("allSteps") or {}).get(".".join(path)) or {}
        text = step.get("resumeSchema")
        schema = json.loads(text).get("json") if isinstance(text, str) else text
        return form_of_json_schema(schema if isinstance(schema, dict) else None)
