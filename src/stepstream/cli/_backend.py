"""Where a command's runs live: the app, on its storage (or `--storage`).

A backend gives a command a workflow that creates runs and reads stored ones, and the
workflow's `Shape`; commands see only the protocols below, so another backend (a
server reached through the Python client) can stand beside this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from ..app import Stepstream
from ..results import WorkflowState
from ._app import CliError, find_run, get_workflow, load_app
from ._execute import EventStream, RunLike
from ._shape import LocalShape, Shape

T = TypeVar("T")


class StartableRun(RunLike, Protocol):
    def stream(self, input_data: Any = None) -> EventStream: ...

    async def cancel(self) -> None: ...

    def observe_stream(self, offset: int = 0) -> EventStream: ...


class WorkflowLike(Protocol):
    async def create_run(self, run_id: str | None = None) -> StartableRun: ...

    async def get_run(self, run_id: str) -> WorkflowState | None: ...


class LocalBackend:
    """Runs in this process, on the app's storage (or `--storage`)."""

    def __init__(self, app: Stepstream, app_spec: str, storage_url: str | None):
        self.app = app
        self.resume_prefix = ["--app", app_spec] + (["--storage", storage_url] if storage_url else [])

    async def session(self, work: Callable[[], Awaitable[T]]) -> T:
        """Prepares the storage, does the work, closes the storage."""
        async with self.app:
            return await work()

    async def workflow(self, workflow_id: str) -> tuple[WorkflowLike, Shape]:
        wf = get_workflow(self.app, workflow_id)
        return wf, LocalShape(wf)

    async def find_run(self, run_id: str, workflow_id: str | None) -> tuple[WorkflowLike, Shape, WorkflowState]:
        wf, state = await find_run(self.app, run_id, workflow_id)
        return wf, LocalShape(wf), state


def local_backend(app_spec: str | None, storage_url: str | None) -> LocalBackend:
    """The backend for `APP` (imported now: a bad app fails before anything runs)."""
    if not app_spec:
        raise CliError("No app given: pass APP as module:attribute, or --app / STEPSTREAM_APP")
    return LocalBackend(load_app(app_spec, storage_url), app_spec, storage_url)
