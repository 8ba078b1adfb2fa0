"""Where a command's runs live: the app, on its storage (or `--storage`).

A backend gives a command a workflow that creates runs and reads stored ones, and the
workflow's `Shape`; commands see only the protocols below, so another backend (a
server reached through the Python client) can stand beside this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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


@dataclass
class Fired:
    """A fired schedule's run once it settled, with what `settle` needs to say how to resume it."""

    run_id: str
    status: str
    suspended: list[list[str]]
    error: Any
    shape: Shape
    resume_prefix: list[str]


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

    async def fire(self, schedule_id: str) -> Fired:
        """Fires the schedule now (even paused) and runs its workflow here until it settles."""
        run_id = await self.app.schedules.run(schedule_id)
        await self.app.scheduler.stop(wait_for_runs=True)
        schedule = await self.app.schedules.get(schedule_id)
        assert schedule is not None
        wf = get_workflow(self.app, schedule.workflow_id)
        state = await wf.get_run(run_id)
        if state is None:
            return Fired(run_id, "unknown", [], None, LocalShape(wf), self.resume_prefix)
        return Fired(run_id, state.status, state.suspended, state.error, LocalShape(wf), self.resume_prefix)


def local_backend(app_spec: str | None, storage_url: str | None) -> LocalBackend:
    """The backend for `APP` (imported now: a bad app fails before anything runs)."""
    if not app_spec:
        raise CliError("No app given: pass APP as module:attribute, or --app / STEPSTREAM_APP")
    return LocalBackend(load_app(app_spec, storage_url), app_spec, storage_url)
