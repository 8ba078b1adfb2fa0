"""The OpenTelemetry interceptor given explicitly to an executor."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stepstream import LocalExecutor, Stepstream, create_step, create_workflow
from stepstream.otel import TracingInterceptor
from stepstream.storage import InMemoryStorage

from .conftest import Spans


async def test_an_executors_own_tracing_interceptor_replaces_the_default_one(spans: Spans) -> None:
    exporter = InMemorySpanExporter()
    own = TracerProvider()
    own.add_span_processor(SimpleSpanProcessor(exporter))
    wf = create_workflow(id="own").then(create_step(id="a", execute=lambda ctx: ctx.input_data)).commit()
    Stepstream(workflows=[wf], storage=InMemoryStorage(), executor=LocalExecutor(interceptors=[TracingInterceptor(own)]))
    result = await (await wf.create_run()).start(input_data=1)
    assert [s.name for s in exporter.get_finished_spans()] == ["workflow step: 'a'", "workflow run: 'own'"]
    assert spans.all == []  # the process-wide provider got nothing: no duplicate spans
    assert result.trace_id == format(exporter.get_finished_spans()[1].context.trace_id, "032x")
