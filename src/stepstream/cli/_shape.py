"""What the command line needs to know of a workflow's shape: which steps run side by side
(to indent them) and what a suspended step's resume data looks like (to ask for it).
`LocalShape` reads a workflow object; commands see only the `Shape` protocol.
"""

from __future__ import annotations

from typing import Protocol

from ..step import Step
from ..workflow.builder import Workflow, node_steps
from ..workflow.plan import ConditionalNode, ParallelNode
from ._prompt import Form, form_of_type


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
