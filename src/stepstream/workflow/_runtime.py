"""How definition code reaches the runtime: by inversion, not by importing it.

`Workflow.create_run()`, `list_runs()`, `get_run()` and the storage of a workflow no
app has bound need the engine and a storage backend, which sit above the definition
layer. The app layer installs a `Runtime` here when `stepstream` is imported, so no
definition module imports the engine (STYLE.md §5, tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import StepstreamError
from ..run_query import RunQuery

if TYPE_CHECKING:
    from ..engine.run import Run
    from ..results import WorkflowState
    from ..storage.base import Storage
    from .builder import Workflow


class Runtime(Protocol):
    """What a workflow asks of the engine."""

    def default_storage(self) -> Storage:
        """The storage of a workflow that no app has bound (in memory)."""
        ...

    async def create_run(self, workflow: Workflow, run_id: str | None, resource_id: str | None) -> Run:
        """The run with this id (cached, or rebuilt from storage), or a new one."""
        ...

    async def list_runs(self, workflow: Workflow, query: RunQuery) -> dict[str, Any]:
        """The stored runs `query` finds, newest first (after writing runs created and not written yet)."""
        ...

    async def get_run(
        self, workflow: Workflow, run_id: str, with_nested_workflows: bool, fields: Sequence[str] | None
    ) -> WorkflowState | None:
        """One stored run (after writing runs created and not written yet)."""
        ...


_installed: list[Runtime] = []


def install_runtime(runtime: Runtime) -> None:
    """Makes `runtime` the one workflows use (done by `stepstream.app` on import)."""
    _installed[:] = [runtime]


def runtime() -> Runtime:
    if not _installed:
        raise StepstreamError("stepstream's runtime is not installed: import stepstream (the package) before running workflows")
    return _installed[0]
