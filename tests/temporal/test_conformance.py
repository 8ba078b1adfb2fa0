"""The conformance scenarios on the Temporal executor: the same transcripts as in-process.

Every scenario of tests/conformance runs again with its workflows executed by a
`TemporalExecutor` (a worker in this process, on the session's dev server, PostgreSQL
storage): a workflow no app binds gets the test's storage and executor, and an app made
without an executor gets the Temporal one. The transcripts must equal Mastra's, as they
do in-process, except the scenarios listed in `DIFFERENT`, which are not run here
(docs/temporal.md, "What differs on Temporal").
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

import stepstream.app
from stepstream import WorkflowNotFoundError
from stepstream.storage.postgres import PostgresStorage
from stepstream.temporal import TemporalExecutor, create_worker
from stepstream.workflow import _runtime
from stepstream.workflow.builder import Workflow

from ..conformance.test_conformance import NAMES, check_scenario
from .conftest import DevServer

#: scenarios whose transcript differs on Temporal by design (see docs/temporal.md), with why
DIFFERENT: dict[str, str] = {
    "cancel-sleep": "it cancels 50 ms after the start, when an in-process run is asleep already; on Temporal the first step's activity may not have run yet, so the cancel lands before it (a cancel is never held back)",
    "abort-signal-wake": "it cancels 50 ms after the start, when the in-process step awaits its abort signal; on Temporal that step's activity may not have started yet, so it never runs",
    "foreach-concurrency-fn": "it notes the most 30 ms items seen in flight at once; on Temporal an activity takes tens of ms to reach a worker, so fewer may overlap than the concurrency allows",
}


class _Registry:
    """The worker's app: every workflow the scenario ran, by id (scenarios define them inline)."""

    def __init__(self, storage: PostgresStorage, executor: TemporalExecutor):
        self.storage = storage
        self.executor = executor
        self.workflows: dict[str, Workflow] = {}

    def get_workflow(self, id: str) -> Workflow:
        try:
            return self.workflows[id]
        except KeyError:
            raise WorkflowNotFoundError(f"Workflow {id!r} not found") from None


class _Runtime:
    """The engine's runtime, with workflows bound to the Temporal executor and registered."""

    def __init__(self, inner: Any, registry: _Registry):
        self.inner = inner
        self.registry = registry

    def default_storage(self) -> Any:
        return self.registry.storage

    async def create_run(self, workflow: Workflow, run_id: str | None, resource_id: str | None) -> Any:
        if workflow.executor is None:
            workflow.executor = self.registry.executor
        self.registry.workflows[workflow.id] = workflow
        return await self.inner.create_run(workflow, run_id, resource_id)

    async def list_runs(self, workflow: Workflow, *args: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.inner.list_runs(workflow, *args)
        return result

    async def get_run(self, workflow: Workflow, run_id: str, with_nested: bool, fields: Sequence[str] | None) -> Any:
        return await self.inner.get_run(workflow, run_id, with_nested, fields)


@pytest.fixture
async def on_temporal(temporal_server: DevServer, pg_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    storage = PostgresStorage(pg_dsn, schema=pg_schema)
    queue = f"conformance-{uuid.uuid4().hex[:8]}"
    executor = TemporalExecutor(temporal_server.address, task_queue=queue, heartbeat_timeout=timedelta(seconds=2))
    registry = _Registry(storage, executor)
    inner = _runtime.runtime()
    _runtime.install_runtime(_Runtime(inner, registry))
    monkeypatch.setattr(stepstream.app, "default_executor", lambda: executor)
    try:
        worker = await create_worker(registry, task_queue=queue)
        async with worker:
            yield
    finally:
        _runtime.install_runtime(inner)
        await storage.close()


def test_the_differences_name_scenarios() -> None:
    assert set(DIFFERENT) <= set(NAMES)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in DIFFERENT])
async def test_matches_mastra_on_temporal(name: str, on_temporal: None) -> None:
    """The scenario's transcript on Temporal equals Mastra's."""
    await check_scenario(name, "on Temporal")
