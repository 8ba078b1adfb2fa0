"""Stored runs as the API shows them: a listed run's summary, and one run as Mastra's `WorkflowState`.

Pure views of `RunRecord`s (no storage calls): the engine's runtime (`_runtime`) and
the CLI read records and show them through these.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from .._suspend_meta import meta_of
from ..results import StepResult, WorkflowState
from ..workflow._render import serialized_step_graph
from ..workflow.plan import ConditionalNode, ParallelNode
from ._state import public_labels

if TYPE_CHECKING:
    from ..storage.base import RunRecord
    from ..workflow.builder import Workflow


def run_summary(record: RunRecord) -> dict[str, Any]:
    """A listed run: ids, status, resource, times (ms)."""
    return {
        "workflowName": record.workflow_id,
        "runId": record.run_id,
        "status": record.status,
        "resourceId": record.resource_id,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


def workflow_state(
    record: RunRecord, workflow: Workflow | None = None, with_nested_workflows: bool = True, fields: Collection[str] | None = None
) -> WorkflowState:
    """Mastra's WorkflowState of a stored run: flattened steps (`outer.inner`); a container of a
    suspended nested step shows as `running`, so only the leaf counts as suspended."""
    steps: dict[str, StepResult] = {}
    for key, step in record.steps.items():
        if "." in key and not with_nested_workflows:
            continue
        payload = step.suspend_payload
        container = step.status == "suspended" and "path" in (meta_of(payload) or {})
        steps[key] = _shown(step, "running" if container and with_nested_workflows else step.status)
    positions = _positions(workflow) if workflow is not None else {}
    running = {k: positions.get(k, []) for k, s in record.steps.items() if s.status == "running" and "." not in k}
    suspended = [list(p) for p in record.suspended if p]
    return WorkflowState(
        run_id=record.run_id,
        workflow_id=record.workflow_id,
        status=record.status,
        created_at=record.created_at,
        updated_at=record.updated_at,
        resource_id=record.resource_id,
        initial_state=record.state or None,
        result=record.result,
        error=record.error,
        payload=record.input,
        steps=steps,
        suspended=suspended,
        active_steps_path=running if record.status == "running" else {},
        serialized_step_graph=serialized_step_graph(workflow) if workflow is not None else [],
        suspended_paths={p[0]: positions.get(p[0], []) for p in suspended},
        resume_labels=public_labels(record.resume_labels),
        request_context=record.request_context,
        tracing_context=record.tracing_context,
        fields=frozenset(fields) if fields else None,
    )


def _shown(step: StepResult, status: Any) -> StepResult:
    """A step record with the status the API shows (a copy when it differs)."""
    if status == step.status:
        return step
    data = step.to_dict()
    data["status"] = status
    return StepResult.from_dict(data)


def _positions(workflow: Workflow) -> dict[str, list[int]]:
    """Each top-level step id's position in the graph (Mastra's execution path: the entry's
    index, then the index inside a parallel or conditional entry)."""
    out: dict[str, list[int]] = {}
    for i, node in enumerate(workflow.graph):
        ids = node.ids
        multi = isinstance(node, ParallelNode | ConditionalNode)
        for j, step_id in enumerate(ids):
            out.setdefault(step_id, [i, j] if multi else [i])
    return out
