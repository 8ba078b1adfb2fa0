"""One OpenTelemetry SDK provider with an in-memory exporter for the tracing tests.

It is handed to stepstream with `stepstream.tracing.set_tracer_provider`, not set
globally (OpenTelemetry allows that once per process, and other tests must run
without tracing); the exporter is cleared before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stepstream import tracing


class Spans:
    """The finished spans of one test, with tree helpers."""

    def __init__(self, exporter: InMemorySpanExporter, provider: TracerProvider):
        self.exporter = exporter
        self.provider = provider

    @property
    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.all if s.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, f"{len(found)} spans named {name!r}: {[s.name for s in self.all]}"
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        pid = parent.context.span_id
        return sorted((s for s in self.all if s.parent is not None and s.parent.span_id == pid), key=lambda s: s.start_time or 0)

    def tree(self, root: ReadableSpan) -> list[object]:
        """`[name, [child trees...]]`, children in start order."""
        return [root.name, [self.tree(c) for c in self.children(root)]]

    def roots(self) -> list[ReadableSpan]:
        ids = {s.context.span_id for s in self.all}
        return [s for s in self.all if s.parent is None or s.parent.span_id not in ids]


@pytest.fixture(scope="session")
def _otel() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


@pytest.fixture
def spans(_otel: tuple[TracerProvider, InMemorySpanExporter]) -> Iterator[Spans]:
    """Tracing on (the SDK provider) for this test; its finished spans."""
    provider, exporter = _otel
    exporter.clear()
    tracing.set_tracer_provider(provider)
    try:
        yield Spans(exporter, provider)
    finally:
        tracing.set_tracer_provider(None)
        exporter.clear()
