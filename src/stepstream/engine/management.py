"""Run management on a workflow: list, get (Mastra's WorkflowState shape), delete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from ._state import META

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


async def list_runs(
    workflow: Workflow,
    status: str | Sequence[str] | None,
    from_date: datetime | None,
    to_date: datetime | None,
    resource_id: str | None,
    page: int | None,
    per_page: int | None,
) -> dict[str, Any]:
    if page is not None and page < 0:
        raise ValueError(f"page must be >= 0, got {page}")
    if per_page is not None and per_page < 1:
        raise ValueError(f"per_page must be a positive integer, got {per_page}")
    runs, total = await workflow.storage.list_runs(
        workflow_id=workflow.id,
        status=status,
        from_date=from_date,
        to_date=to_date,
        resource_id=resource_id,
        page=page,
        per_page=per_page,
    )
    return {"runs": [run_summary(r) for r in runs], "total": total}


def workflow_state(record: RunRecord, with_nested_workflows: bool = True) -> dict[str, Any]:
    """Mastra's WorkflowState: flattened steps (`outer.inner`); a container of a
    suspended nested step shows as `running`, so only the leaf counts as suspended."""
    steps: dict[str, Any] = {}
    for key, step in record.steps.items():
        nested = "." in key
        if nested and not with_nested_workflows:
            continue
        data = step.to_dict()
        payload = data.get("suspendPayload")
        if data["status"] == "suspended" and isinstance(payload, dict) and "path" in payload.get(META, {}) and with_nested_workflows:
            data["status"] = "running"
        steps[key] = data
    out: dict[str, Any] = run_summary(record)
    out.update(
        {
            "payload": to_json(record.input),
            "result": to_json(record.result),
            "error": record.error,
            "steps": steps,
            "suspendedPaths": {p[0]: p for p in record.suspended if p},
            "resumeLabels": record.resume_labels,
            "requestContext": record.request_context,
        }
    )
    if record.state:
        out["initialState"] = record.state
    if record.tracing_context:
        out["tracingContext"] = record.tracing_context
    return out


async def get_run(workflow: Workflow, run_id: str, with_nested_workflows: bool) -> dict[str, Any] | None:
    record = await workflow.storage.load_run(workflow.id, run_id)
    return None if record is None else workflow_state(record, with_nested_workflows)
