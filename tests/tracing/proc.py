"""A process that starts or resumes a suspending run in a SQLite file, with tracing on.

    python proc.py start|resume DB_PATH RUN_ID

It sets OpenTelemetry's *global* tracer provider (the SDK, in-memory exporter) and
prints one JSON object: the result's trace and span ids, and the finished spans.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stepstream import StepContext, create_step, create_workflow
from stepstream.storage.sqlite import SQLiteStorage


def gate(ctx: StepContext) -> Any:
    if ctx.resume_data is None:
        ctx.suspend({"need": "approval"})
    return {"approved": ctx.resume_data}


def build() -> Any:
    inner = create_workflow(id="inner").then(create_step(id="gate", execute=gate)).commit()
    return create_workflow(id="durable-trace").then(create_step(id="prep", execute=lambda ctx: ctx.input_data)).then(inner).commit()


async def main(mode: str, path: str, run_id: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    storage = SQLiteStorage(path)
    wf = build()
    wf.bind_storage(storage)
    try:
        run = await wf.create_run(run_id)
        result = await (run.start(input_data=1) if mode == "start" else run.resume(resume_data=True))
    finally:
        await storage.close()
    spans = [
        {
            "name": s.name,
            "trace_id": trace.format_trace_id(s.context.trace_id),
            "span_id": trace.format_span_id(s.context.span_id),
            "parent": trace.format_span_id(s.parent.span_id) if s.parent else None,
            "links": [trace.format_span_id(link.context.span_id) for link in s.links],
            "attributes": dict(s.attributes or {}),
        }
        for s in exporter.get_finished_spans()
    ]
    print(json.dumps({"status": result.status, "trace_id": result.trace_id, "span_id": result.span_id, "spans": spans}, default=list))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
