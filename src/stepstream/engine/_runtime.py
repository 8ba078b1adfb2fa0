"""The engine's side of `workflow._runtime`: what `Workflow.create_run()`, `list_runs()` and `get_run()` run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..run_query import RunQuery
from ..storage.base import Storage
from .run import Run, create_run, flush_pending_runs
from .stored_runs import run_summary, workflow_state

if TYPE_CHECKING:
    from ..results import WorkflowState
    from ..workflow.builder import Workflow


class EngineRuntime:
    """Runs workflows with this engine; `default_storage` makes the storage of an unbound workflow.

    Listing and reading first write the runs created in this process and not written
    yet, so a run is listed as soon as `create_run()` returned it (as in Mastra)."""

    def __init__(self, default_storage: Callable[[], Storage]):
        self._default_storage = default_storage

    def default_storage(self) -> Storage:
        return self._default_storage()

    async def create_run(self, workflow: Workflow, run_id: str | None, resource_id: str | None) -> Run:
        return await create_run(workflow, run_id, resource_id)

    async def list_runs(self, workflow: Workflow, query: RunQuery) -> dict[str, Any]:
        await flush_pending_runs(workflow)
        runs, total = await workflow.storage.list_runs(query.checked())
        return {"runs": [run_summary(r) for r in runs], "total": total}

    async def get_run(
        self, workflow: Workflow, run_id: str, with_nested_workflows: bool, fields: Sequence[str] | None
    ) -> WorkflowState | None:
        await flush_pending_runs(workflow, run_id)
        record = await workflow.storage.load_run(workflow.id, run_id)
        return None if record is None else workflow_state(record, workflow, with_nested_workflows, fields)
