"""Resume continues the run's trace (Mastra's rules), in this process or another one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from opentelemetry import trace

from stepstream import StepContext, create_step, create_workflow
from stepstream import tracing as T
from stepstream.storage.memory import InMemoryStorage

from .conftest import Spans

OTHER_TRACE = "11111111111111111111111111111111"
PARENT = "2222222222222222"


def gate(ctx: StepContext) -> Any:
    if ctx.resume_data is None:
        ctx.suspend({"ask": "approve?"})
    return ctx.resume_data


def build() -> Any:
    return (
        create_workflow(id="approval")
        .then(create_step(id="prep", execute=lambda ctx: ctx.input_data))
        .then(create_step(id="gate", execute=gate))
        .commit()
    )


async def _suspended(spans: Spans) -> tuple[Any, Any, Any]:
    wf = build()
    run = await wf.create_run()
    first = await run.start(input_data=1)
    assert first.status == "suspended"
    suspended_span = spans.one("workflow run: 'approval'")
    spans.exporter.clear()
    return wf, run, (first, suspended_span)


async def test_resume_reuses_the_persisted_trace_and_links_the_suspended_span(spans: Spans) -> None:
    wf, run, (first, suspended) = await _suspended(spans)
    stored = await wf.storage.load_run("approval", run.run_id)
    assert stored is not None and stored.tracing_context == {"traceId": first.trace_id, "spanId": first.span_id}
    second = await run.resume(resume_data="yes")
    assert second.status == "success"
    resumed = spans.one("workflow run: 'approval' (resumed)")
    assert second.trace_id == first.trace_id
    assert second.span_id == trace.format_span_id(resumed.context.span_id) != first.span_id
    assert resumed.parent is not None and resumed.parent.span_id == suspended.context.span_id
    (link,) = resumed.links
    assert link.context.span_id == suspended.context.span_id and link.context.trace_id == suspended.context.trace_id
    attrs = resumed.attributes or {}
    assert attrs[T.RESUMED] is True
    assert attrs[T.RUN_OPERATION] == "resume"
    assert attrs[T.RESUMED_FROM_SPAN_ID] == first.span_id
    assert attrs[T.RESUMED_FROM_TRACE_ID] == first.trace_id
    assert attrs[T.INPUT] == '"yes"'
    gate_span_attrs = spans.one("workflow step: 'gate'").attributes or {}
    assert gate_span_attrs[T.RESUMED] is True and gate_span_attrs[T.STEP_STATUS] == "success"


async def test_suspended_step_span_carries_the_suspend_payload(spans: Spans) -> None:
    run = await build().create_run()
    await run.start(input_data=1)
    gate_span = spans.one("workflow step: 'gate'")
    attrs = gate_span.attributes or {}
    assert attrs[T.STEP_STATUS] == "suspended"
    assert json.loads(str(attrs[T.SUSPEND_PAYLOAD])) == {"ask": "approve?"}
    assert (spans.one("workflow run: 'approval'").attributes or {})[T.RUN_STATUS] == "suspended"


async def test_resume_with_another_trace_id_starts_no_link(spans: Spans) -> None:
    _, run, (first, _) = await _suspended(spans)
    second = await run.resume(resume_data="yes", tracing_options={"trace_id": OTHER_TRACE})
    assert second.trace_id == OTHER_TRACE
    resumed = spans.one("workflow run: 'approval' (resumed)")
    assert resumed.links == () or list(resumed.links) == []
    assert T.RESUMED_FROM_SPAN_ID not in (resumed.attributes or {})
    assert resumed.parent is not None and trace.format_span_id(resumed.parent.span_id) != first.span_id


async def test_resume_with_the_persisted_trace_id_links(spans: Spans) -> None:
    _, run, (first, suspended) = await _suspended(spans)
    await run.resume(resume_data="yes", tracing_options={"trace_id": first.trace_id})
    resumed = spans.one("workflow run: 'approval' (resumed)")
    assert [link.context.span_id for link in resumed.links] == [suspended.context.span_id]
    assert resumed.parent is not None and resumed.parent.span_id == suspended.context.span_id


async def test_resume_with_a_parent_span_id_links_nothing(spans: Spans) -> None:
    _, run, (first, _) = await _suspended(spans)
    await run.resume(resume_data="yes", tracing_options={"trace_id": first.trace_id, "parent_span_id": PARENT})
    resumed = spans.one("workflow run: 'approval' (resumed)")
    assert not resumed.links
    assert resumed.parent is not None and trace.format_span_id(resumed.parent.span_id) == PARENT
    assert trace.format_trace_id(resumed.context.trace_id) == first.trace_id


async def test_resume_after_an_untraced_start_starts_a_new_trace(spans: Spans) -> None:
    T.set_tracer_provider(trace.NoOpTracerProvider())
    run = await build().create_run()
    first = await run.start(input_data=1)
    assert first.trace_id is None
    T.set_tracer_provider(spans.provider)
    second = await run.resume(resume_data="yes")
    resumed = spans.one("workflow run: 'approval' (resumed)")
    assert resumed.parent is None and not resumed.links
    assert second.trace_id == trace.format_trace_id(resumed.context.trace_id)


async def test_suspend_twice_chains_the_trace(spans: Spans) -> None:
    def twice(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({})
        return ctx.resume_data

    wf = create_workflow(id="twice").then(create_step(id="g1", execute=twice)).then(create_step(id="g2", execute=twice)).commit()
    run = await wf.create_run()
    r1 = await run.start(input_data=None)
    r2 = await run.resume(resume_data=1)
    r3 = await run.resume(resume_data=2)
    assert r3.status == "success"
    assert r1.trace_id == r2.trace_id == r3.trace_id
    first, second = sorted(spans.named("workflow run: 'twice' (resumed)"), key=lambda s: s.start_time or 0)
    assert [link.context.span_id for link in first.links] == [int(str(r1.span_id), 16)]
    assert [link.context.span_id for link in second.links] == [int(str(r2.span_id), 16)]


async def test_resume_from_a_fresh_workflow_object_on_the_same_storage(spans: Spans) -> None:
    storage = InMemoryStorage()
    wf = build()
    wf.bind_storage(storage)
    run = await wf.create_run()
    first = await run.start(input_data=1)
    again = build()
    again.bind_storage(storage)
    second = await (await again.create_run(run.run_id)).resume(resume_data="yes")
    assert second.status == "success"
    assert second.trace_id == first.trace_id
    resumed = spans.one("workflow run: 'approval' (resumed)")
    assert [trace.format_span_id(link.context.span_id) for link in resumed.links] == [first.span_id]


def _proc(mode: str, db: Path, run_id: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "src"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("proc.py")), mode, str(db), run_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def test_resume_in_another_process_with_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    first = _proc("start", db, "run-1")
    assert first["status"] == "suspended" and first["trace_id"]
    second = _proc("resume", db, "run-1")
    assert second["status"] == "success"
    assert second["trace_id"] == first["trace_id"]
    (run1,) = [s for s in first["spans"] if s["name"] == "workflow run: 'durable-trace'"]
    (run2,) = [s for s in second["spans"] if s["name"] == "workflow run: 'durable-trace' (resumed)"]
    assert run2["links"] == [run1["span_id"]] and run2["parent"] == run1["span_id"]
    assert run2["attributes"][T.RESUMED_FROM_SPAN_ID] == run1["span_id"]
    assert {s["trace_id"] for s in first["spans"] + second["spans"]} == {first["trace_id"]}
    by_id = {s["span_id"]: s for s in second["spans"]}
    (gate,) = [s for s in second["spans"] if s["name"] == "workflow step: 'gate'"]
    assert by_id[gate["parent"]]["name"] == "workflow step: 'inner'"
    assert by_id[by_id[gate["parent"]]["parent"]]["name"] == "workflow run: 'durable-trace' (resumed)"


async def test_restart_after_a_crash_continues_the_crashed_runs_trace(spans: Spans) -> None:
    storage = InMemoryStorage()
    wf = build()
    wf.bind_storage(storage)
    run = await wf.create_run()
    first = await run.start(input_data=1)
    crashed = spans.one("workflow run: 'approval'")
    # The first step write carried the run span's ids: a crash after it leaves them stored.
    stored = await storage.load_run("approval", run.run_id)
    assert stored is not None and stored.tracing_context == {"traceId": first.trace_id, "spanId": first.span_id}
    await storage.update_run("approval", run.run_id, {"status": "running", "suspended": []})
    await storage.delete_steps("approval", run.run_id, ["gate"])
    spans.exporter.clear()
    restarted = await run.restart()
    assert restarted.status == "suspended"
    span = spans.one("workflow run: 'approval'")
    assert restarted.trace_id == first.trace_id
    assert (span.attributes or {})[T.RUN_OPERATION] == "restart"
    (link,) = span.links
    assert link.context.span_id == crashed.context.span_id
