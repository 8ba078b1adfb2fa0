"""`Stepstream`: registers workflows and binds them to one storage.

Without a `storage` argument runs are kept in SQLite at `./.stepstream/stepstream.db`
(the folder is made when the storage is first used, not when the app is built);
the `STEPSTREAM_STORAGE_URL` environment variable (`sqlite:///path`,
`postgresql://...`, `memory://`) overrides that default.

Each process has an executor id (`executor_id=`, or `STEPSTREAM_EXECUTOR_ID`,
default `local`). Runs are owned by the executor that runs them, and
`restart_active_runs()` recovers the runs this executor owned when it died, so
replicas sharing a database never take over each other's live runs. Give each
replica its own stable id (a pod name, a host name).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from .engine._local import default_executor
from .engine._runtime import EngineRuntime
from .errors import ResumeAlreadyClaimedError, StepstreamError, WorkflowDefinitionError, WorkflowNotFoundError
from .results import WorkflowResult
from .run_query import RunQuery
from .schedules import Scheduler, SchedulerConfig, Schedules
from .storage.base import Storage
from .storage.memory import InMemoryStorage
from .workflow._runtime import install_runtime
from .workflow.builder import Workflow

log = logging.getLogger("stepstream")

DEFAULT_SQLITE_PATH = os.path.join(".stepstream", "stepstream.db")


class AgentNotFoundError(StepstreamError, LookupError):
    """No agent is registered under that name."""

    code = "AGENT_NOT_FOUND"


install_runtime(EngineRuntime(InMemoryStorage))


def storage_from_url(url: str) -> Storage:
    """A storage backend from a URL: `sqlite:///path`, `postgresql://...`, `memory://`."""
    if url.startswith("memory:"):
        return InMemoryStorage()
    if url.startswith("sqlite:"):
        from .storage.sqlite import SQLiteStorage

        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///") :]  # sqlite:///relative.db, sqlite:////absolute.db
        else:
            path = url[len("sqlite:") :].lstrip("/")  # sqlite://:memory:
        return SQLiteStorage(path or ":memory:")
    if url.startswith(("postgresql:", "postgres:")):
        from .storage.postgres import PostgresStorage

        return PostgresStorage(url)
    raise StepstreamError(f"Unknown storage URL {url!r}: use sqlite:///path, postgresql://..., or memory://")


def default_storage() -> Storage:
    """`STEPSTREAM_STORAGE_URL` if set, else SQLite at ./.stepstream/stepstream.db."""
    url = os.environ.get("STEPSTREAM_STORAGE_URL")
    if url:
        return storage_from_url(url)
    from .storage.sqlite import SQLiteStorage

    storage = SQLiteStorage(DEFAULT_SQLITE_PATH)
    storage._make_parent = True  # ./.stepstream/ appears when the storage is first used, not here
    return storage


class Stepstream:
    """The application object: `Stepstream(workflows=[wf], storage=SQLiteStorage("runs.db"))`."""

    def __init__(
        self,
        workflows: Mapping[str, Workflow] | Iterable[Workflow] = (),
        storage: Storage | str | None = None,
        *,
        executor_id: str | None = None,
        executor: Any = None,
        scheduler: SchedulerConfig | None = None,
        agents: Mapping[str, Any] | None = None,
    ):
        if isinstance(storage, str):
            storage = storage_from_url(storage)
        self.storage: Storage = storage if storage is not None else default_storage()
        self.executor_id: str = executor_id or os.environ.get("STEPSTREAM_EXECUTOR_ID") or "local"
        if ":" in self.executor_id:
            raise StepstreamError(f"executor_id must not contain ':', got {self.executor_id!r}")
        #: what runs executions (`LocalExecutor()`, in this process, unless given another, e.g. a
        #: `stepstream.temporal.TemporalExecutor`)
        self.executor: Any = executor if executor is not None else default_executor()
        self._workflows: dict[str, Workflow] = {}
        #: fires due schedules (`await app.scheduler.start()`; see docs/schedules.md)
        self.scheduler: Scheduler = Scheduler(self, scheduler)
        #: create, read, change and fire schedules
        self.schedules: Schedules = Schedules(self, self.scheduler)
        self._agents: dict[str, Any] = {}
        for name, agent in (agents or {}).items():
            self.add_agent(agent, name=name)
        items = workflows.items() if isinstance(workflows, Mapping) else ((wf.id, wf) for wf in workflows)
        for key, wf in items:
            self.add_workflow(wf, key=key)

    def add_workflow(self, workflow: Workflow, *, key: str | None = None) -> Workflow:
        """Registers a workflow (committing it if needed) and binds it to this app's storage."""
        if not isinstance(workflow, Workflow):
            raise WorkflowDefinitionError(f"Stepstream takes workflows; got {type(workflow).__name__}")
        taken = self._workflows.get(key or workflow.id)
        if taken is not None and taken is not workflow:  # `get_workflow` and the runs it finds would be the last one's
            raise WorkflowDefinitionError(
                f"Workflow {key or workflow.id!r} is registered twice (two workflows with one id): give each its own id"
            )
        if not workflow.committed:
            workflow.commit()
        workflow.ensure_committed()
        workflow.bind_storage(self.storage, self.executor_id, self.executor)
        workflow.app = self
        self._workflows[key or workflow.id] = workflow
        if key and key != workflow.id:
            self._workflows.setdefault(workflow.id, workflow)
        return workflow

    def get_workflow(self, id: str) -> Workflow:
        """The registered workflow with this key or id."""
        try:
            return self._workflows[id]
        except KeyError:
            known = ", ".join(sorted(self._workflows)) or "none"
            raise WorkflowNotFoundError(f"Workflow {id!r} not found; registered: {known}") from None

    def add_agent(self, agent: Any, *, name: str | None = None) -> Any:
        """Registers an agent (a pydantic-ai `Agent`) under `name`, else its own name."""
        key = name or getattr(agent, "name", None)
        if not isinstance(key, str) or not key:
            raise StepstreamError("Stepstream.add_agent(): the agent has no name; pass name=")
        self._agents[key] = agent
        return agent

    def get_agent(self, name: str) -> Any:
        """The registered agent with this name (`ctx.app.get_agent(name)` in a step)."""
        try:
            return self._agents[name]
        except KeyError:
            known = ", ".join(sorted(self._agents)) or "none"
            raise AgentNotFoundError(f"Agent {name!r} not found; registered: {known}") from None

    @property
    def agents(self) -> dict[str, Any]:
        """The registered agents by name."""
        return dict(self._agents)

    @property
    def workflows(self) -> dict[str, Workflow]:
        """The registered workflows by key."""
        return dict(self._workflows)

    async def restart_active_runs(self, *, all_executors: bool = False) -> list[WorkflowResult]:
        """Restarts the runs left `running` or `waiting` by a crash of this executor (call it
        at boot). With `all_executors=True`, also takes over runs of other executors: only
        for a replica that is gone for good, since a live one would be fenced mid-run.

        Returns the results of the runs it restarted (a run that ended `failed` is among them).
        A run whose restart raises is logged (logger `stepstream`, with its run and workflow
        ids), stays as stored for the next call, and does not stop the others: as Mastra's
        `restartAllActiveWorkflowRuns`. Runs executing in this process, and runs another
        restarter claimed first, are left alone. Only a failure to list the runs raises."""
        results: list[WorkflowResult] = []
        seen: set[int] = set()
        for wf in self._workflows.values():
            if id(wf) in seen:
                continue
            seen.add(id(wf))
            runs, _ = await self.storage.list_runs(RunQuery(workflow_id=wf.id, status=("running", "waiting")))
            mine = self.executor_id + ":"
            for record in runs:
                if not all_executors and record.owner is not None and not record.owner.startswith(mine):
                    continue  # another replica's run: it is alive, or will recover it itself
                try:
                    run = await wf.create_run(record.run_id)
                    if run._executing:
                        continue  # executing in this process: alive, nothing to recover
                    results.append(await run.restart())
                except ResumeAlreadyClaimedError:
                    continue  # another process (a replica booting at the same time) restarted it
                except Exception:
                    log.exception("Failed to restart run %r of workflow %r; the other active runs are restarted", record.run_id, wf.id)
        return results

    async def setup(self) -> None:
        """Prepares the storage (connects, migrates)."""
        await self.storage.setup()

    async def close(self) -> None:
        """Waits for the runs started or resumed here with `start_async`/`resume_async` to
        settle (cancel them first to stop sooner), stops the scheduler (if started) and
        closes the storage."""
        from .engine.background import drain

        await drain(self._workflows.values())
        await self.scheduler.stop()
        await self.storage.close()

    async def __aenter__(self) -> Stepstream:
        await self.setup()
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<Stepstream workflows={sorted(self._workflows)} storage={type(self.storage).__name__}>"
