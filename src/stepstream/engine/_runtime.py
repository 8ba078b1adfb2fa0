"""The engine's side of `workflow._runtime`: what `Workflow.create_run()` and friends run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..run_query import RunQuery
from ..storage.base import Storage
from .management import get_run, list_runs
from .run import Run, create_run, flush_pending_runs

if TYPE_CHECKING:
    from ..results import WorkflowState
    from ..workflow.builder import Workflow


class EngineRuntime:
    """Runs workflows with this engine; `default_storage` makes the storage of an unbound workflow."""

    def __init__(self, default_storage: Callable[[], Storage]):
        self._default_storage = default_storage

    def default_storage(self) -> Storage:
        return self._default_storage()

    async def create_run(self, workflow: Workflow, run_id: str | None, resource_id: str | None) -> Run:
        return await create_run(workflow, run_id, resource_id)

    async def list_runs(self, workflow: Workflow, query: RunQuery) -> dict[str, Any]:
        await flush_pending_runs(workflow)
        return await list_runs(workflow, query)

    async def get_run(
        self, workflow: Workflow, run_id: str, with_nested_workflows: bool, fields: Sequence[str] | None
    ) -> WorkflowState | None:
        await flush_pending_runs(workflow)
        return await get_run(workflow, run_id, with_nested_workflows, fields)
