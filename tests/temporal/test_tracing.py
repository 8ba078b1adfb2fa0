"""Tracing on Temporal: one trace per stepstream execution, Temporal's interceptor joined to ours."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from stepstream import Stepstream, tracing
from stepstream.storage.postgres import PostgresStorage
from stepstream.temporal import create_worker

from . import flows
from .conftest import DevServer


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        tracing.set_tracer_provider(None)


async def _app(server: DevServer, storage: PostgresStorage, *, interceptor: bool) -> Stepstream:
    queue = f"tracing-{uuid.uuid4().hex[:8]}"
    if not interceptor:
        return flows.build_app(storage, server.address, queue)
    provider = tracing.tracer_provider()
    assert provider is not None
    client = await Client.connect(server.address, interceptors=[TracingInterceptor(provider.get_tracer("temporal"))])
    return flows.build_app(storage, client, queue)


@pytest.fixture
async def storage(pg_dsn: str, pg_schema: str) -> AsyncIterator[PostgresStorage]:
    storage = PostgresStorage(pg_dsn, schema=pg_schema)
    yield storage
    await storage.close()


def _one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


async def test_one_trace_with_temporals_interceptor(
    temporal_server: DevServer, storage: PostgresStorage, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    app = await _app(temporal_server, storage, interceptor=True)
    async with await create_worker(app):
        result = await (await app.get_workflow("chain").create_run()).start({"journal": str(tmp_path / "j.txt"), "n": 0})
    assert result.status == "success"
    spans = list(exporter.get_finished_spans())
    run_span = _one(spans, "workflow run: 'chain'")
    assert result.trace_id == f"{run_span.context.trace_id:032x}"
    assert {s.context.trace_id for s in spans} == {run_span.context.trace_id}  # one trace
    steps = [_one(spans, f"workflow step: 's{i}'") for i in range(10)]
    by_id = {s.context.span_id: s for s in spans}
    for step in steps:
        assert step.parent is not None
        assert by_id[step.parent.span_id].name == "RunActivity:stepstream.attempt"  # under Temporal's activity span
        assert step.attributes is not None and step.attributes[tracing.STEP_STATUS] == "success"
    assert any(
        s.name == "StartWorkflow:stepstream.run" and s.parent is not None and s.parent.span_id == run_span.context.span_id for s in spans
    )


async def test_steps_join_the_run_span_without_an_interceptor(
    temporal_server: DevServer, storage: PostgresStorage, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    app = await _app(temporal_server, storage, interceptor=False)
    async with await create_worker(app):
        result = await (await app.get_workflow("chain").create_run()).start({"journal": str(tmp_path / "j.txt"), "n": 0})
    assert result.status == "success"
    spans = list(exporter.get_finished_spans())
    run_span = _one(spans, "workflow run: 'chain'")
    for i in range(10):
        step = _one(spans, f"workflow step: 's{i}'")
        assert step.context.trace_id == run_span.context.trace_id
        assert step.parent is not None and step.parent.span_id == run_span.context.span_id
