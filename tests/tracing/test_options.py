"""`tracing_options`: trace and parent ids, tags, metadata, request context keys, hiding."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from opentelemetry import trace

from stepstream import StepContext, create_step, create_workflow
from stepstream import tracing as T

from .conftest import Spans

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def wf_linear(id: str = "opts") -> Any:
    return create_workflow(id=id).then(create_step(id="a", execute=lambda ctx: {"secret": ctx.input_data})).commit()


async def test_trace_and_parent_ids_place_the_run(spans: Spans) -> None:
    result = await (await wf_linear().create_run()).start(input_data=1, tracing_options={"trace_id": TRACE, "parent_span_id": PARENT})
    root = spans.one("workflow run: 'opts'")
    assert trace.format_trace_id(root.context.trace_id) == TRACE
    assert root.parent is not None and root.parent.is_remote
    assert trace.format_span_id(root.parent.span_id) == PARENT
    assert result.trace_id == TRACE
    assert result.span_id == trace.format_span_id(root.context.span_id)
    assert all(trace.format_trace_id(s.context.trace_id) == TRACE for s in spans.all)


async def test_short_ids_are_left_padded_and_case_insensitive(spans: Spans) -> None:
    result = await (await wf_linear().create_run()).start(input_data=1, tracing_options={"trace_id": "ABC", "parent_span_id": "1f"})
    root = spans.one("workflow run: 'opts'")
    assert result.trace_id == "0" * 29 + "abc"
    assert root.parent is not None and root.parent.span_id == 0x1F


async def test_trace_id_alone_joins_the_trace(spans: Spans) -> None:
    await (await wf_linear().create_run()).start(input_data=1, tracing_options={"trace_id": TRACE})
    root = spans.one("workflow run: 'opts'")
    assert trace.format_trace_id(root.context.trace_id) == TRACE
    assert root.parent is not None and root.parent.is_remote and root.parent.trace_id == root.context.trace_id


async def test_parent_span_id_alone_uses_the_callers_trace(spans: Spans) -> None:
    tracer = spans.provider.get_tracer("caller")
    with tracer.start_as_current_span("caller") as outer:
        await (await wf_linear().create_run()).start(input_data=1, tracing_options={"parent_span_id": PARENT})
    root = spans.one("workflow run: 'opts'")
    assert root.context.trace_id == outer.get_span_context().trace_id
    assert root.parent is not None and trace.format_span_id(root.parent.span_id) == PARENT


async def test_parent_span_id_alone_without_a_caller_span(spans: Spans) -> None:
    result = await (await wf_linear().create_run()).start(input_data=1, tracing_options={"parentSpanId": PARENT})
    root = spans.one("workflow run: 'opts'")
    assert root.parent is not None and trace.format_span_id(root.parent.span_id) == PARENT
    assert result.trace_id == trace.format_trace_id(root.context.trace_id)


@pytest.mark.parametrize(
    ("options", "bad"),
    [
        ({"trace_id": "x" * 32}, "trace_id"),
        ({"trace_id": "a" * 33}, "trace_id"),
        ({"trace_id": ""}, "trace_id"),
        ({"trace_id": "0" * 32}, "trace_id"),
        ({"trace_id": 1234}, "trace_id"),
        ({"trace_id": "12 34"}, "trace_id"),
        ({"parent_span_id": "g" * 16}, "parent_span_id"),
        ({"parent_span_id": "a" * 17}, "parent_span_id"),
        ({"parent_span_id": "0000"}, "parent_span_id"),
        ({"traceId": "-1"}, "trace_id"),
    ],
)
async def test_invalid_ids_are_logged_and_ignored(
    spans: Spans, caplog: pytest.LogCaptureFixture, options: dict[str, Any], bad: str
) -> None:
    run = await wf_linear().create_run()
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        result = await run.start(input_data=1, tracing_options=options)
    assert result.status == "success"
    root = spans.one("workflow run: 'opts'")
    assert root.parent is None
    assert result.trace_id == trace.format_trace_id(root.context.trace_id)
    (record,) = [r for r in caplog.records if "invalid" in r.getMessage()]
    message = record.getMessage()
    assert bad in message and repr(next(iter(options.values()))) in message and run.run_id in message


async def test_invalid_trace_id_keeps_a_valid_parent(spans: Spans, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        await (await wf_linear().create_run()).start(input_data=1, tracing_options={"trace_id": "nope", "parent_span_id": PARENT})
    root = spans.one("workflow run: 'opts'")
    assert root.parent is not None and trace.format_span_id(root.parent.span_id) == PARENT
    assert "'nope'" in caplog.text


async def test_tags_metadata_and_request_context_keys(spans: Spans) -> None:
    def touch(ctx: StepContext) -> int:
        ctx.request_context.set("late", "set-by-step")
        return 1

    wf = create_workflow(id="attrs").then(create_step(id="a", execute=touch)).commit()
    options = {
        "tags": ["prod", "checkout"],
        "metadata": {"team": "payments", "attempt": 2, "ratio": 0.5, "flag": True, "ids": [1, 2], "nested": {"k": "v"}, "none": None},
        "request_context_keys": ["tenant", "user.id", "user.profile.plan", "missing", "user.missing", "dotted.key", "late"],
    }
    rc = {"tenant": "acme", "user": {"id": 42, "profile": {"plan": "pro"}}, "dotted.key": "literal"}
    await (await wf.create_run()).start(input_data=1, request_context=rc, tracing_options=options)
    root = spans.one("workflow run: 'attrs'")
    attrs = dict(root.attributes or {})
    assert list(attrs[T.TAGS]) == ["prod", "checkout"]  # type: ignore[arg-type]
    assert attrs["stepstream.metadata.team"] == "payments"
    assert attrs["stepstream.metadata.attempt"] == 2
    assert attrs["stepstream.metadata.ratio"] == 0.5
    assert attrs["stepstream.metadata.flag"] is True
    assert list(attrs["stepstream.metadata.ids"]) == [1, 2]  # type: ignore[arg-type]
    assert json.loads(str(attrs["stepstream.metadata.nested"])) == {"k": "v"}
    assert attrs["stepstream.metadata.none"] == "null"
    assert attrs["stepstream.request_context.tenant"] == "acme"
    assert attrs["stepstream.request_context.user.id"] == 42
    assert attrs["stepstream.request_context.user.profile.plan"] == "pro"
    assert attrs["stepstream.request_context.dotted.key"] == "literal"
    assert not any(k.endswith("missing") for k in attrs)
    assert "stepstream.request_context.late" not in attrs  # read when the run starts
    step = spans.one("workflow step: 'a'")
    assert not any(k.startswith(("stepstream.metadata.", "stepstream.request_context.", T.TAGS)) for k in (step.attributes or {}))


async def test_camel_case_keys_and_unknown_keys(spans: Spans, caplog: pytest.LogCaptureFixture) -> None:
    options = {"traceId": TRACE, "parentSpanId": PARENT, "requestContextKeys": ["a"], "hideInput": True, "hideOutput": True, "bogus": 1}
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        result = await (await wf_linear().create_run()).start(input_data=1, request_context={"a": "b"}, tracing_options=options)
    assert result.trace_id == TRACE
    root = spans.one("workflow run: 'opts'")
    assert (root.attributes or {})["stepstream.request_context.a"] == "b"
    assert not any(k in (s.attributes or {}) for s in spans.all for k in (T.INPUT, T.OUTPUT))
    assert "'bogus'" in caplog.text


async def test_tags_and_metadata_of_the_wrong_type_are_ignored(spans: Spans, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        result = await (await wf_linear().create_run()).start(input_data=1, tracing_options={"tags": 5, "metadata": ["x"]})
    assert result.status == "success"
    attrs = spans.one("workflow run: 'opts'").attributes or {}
    assert T.TAGS not in attrs and not any(k.startswith(T.METADATA_PREFIX) for k in attrs)
    assert "tags" in caplog.text and "metadata" in caplog.text


@pytest.mark.parametrize("hide", ["hide_input", "hide_output"])
async def test_hide_input_and_output_on_every_span(spans: Spans, hide: str) -> None:
    def gate(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({"ask": "secret"})
        return ctx.resume_data

    wf = (
        create_workflow(id="hide")
        .foreach(create_step(id="item", execute=lambda ctx: ctx.input_data), concurrency=1)
        .then(create_step(id="a", execute=lambda ctx: {"secret": ctx.input_data}))
        .then(create_step(id="gate", execute=gate))
        .commit()
    )
    wf2 = create_workflow(id="hide2").then(create_step(id="b", execute=lambda ctx: [ctx.input_data])).then(wf).commit()
    run = await wf2.create_run()
    options = {hide: True}
    await run.start(input_data="secret", tracing_options=options)
    await run.resume(resume_data="secret", tracing_options=options)
    hidden = (T.INPUT,) if hide == "hide_input" else (T.OUTPUT, T.SUSPEND_PAYLOAD)
    shown = T.OUTPUT if hide == "hide_input" else T.INPUT
    assert len(spans.all) > 6
    for span in spans.all:
        assert not any(k in (span.attributes or {}) for k in hidden), span.name
    assert any(shown in (s.attributes or {}) for s in spans.all)


def _ids(result: Any) -> tuple[str | None, str | None]:
    return result.trace_id, result.span_id


async def _drain(stream: Any) -> Any:
    async for _ in stream:
        pass
    return await stream.result


async def test_options_on_every_entry_point(spans: Spans) -> None:
    def gate(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({})
        return ctx.resume_data

    wf = create_workflow(id="entry").then(create_step(id="a", execute=lambda ctx: 1)).then(create_step(id="gate", execute=gate)).commit()
    seen: list[tuple[str, Any]] = []

    def opts(n: int) -> dict[str, Any]:
        return {"trace_id": f"{n:032x}", "tags": [f"call-{n}"]}

    run = await wf.create_run()
    seen.append(("start", await run.start(input_data=1, tracing_options=opts(1))))
    seen.append(("resume", await run.resume(resume_data=None, tracing_options=opts(2))))
    seen.append(("resume_stream", await _drain(run.resume_stream(resume_data=5, tracing_options=opts(3)))))
    run2 = await wf.create_run()
    seen.append(("stream", await _drain(run2.stream(input_data=1, tracing_options=opts(4)))))
    seen.append(("time_travel", await run2.time_travel("a", input_data=2, tracing_options=opts(5))))
    seen.append(("time_travel_stream", await _drain(run2.time_travel_stream("a", input_data=3, tracing_options=opts(6)))))
    await (await wf.create_run()).start(input_data=1)
    for n, (label, result) in enumerate(seen, 1):
        assert result.trace_id == f"{n:032x}", label
    roots = sorted(spans.roots(), key=lambda s: s.start_time or 0)
    assert [list((r.attributes or {}).get(T.TAGS, [])) for r in roots] == [[f"call-{n}"] for n in range(1, 7)] + [[]]  # type: ignore[arg-type]
    assert [(r.attributes or {})[T.RUN_OPERATION] for r in roots] == [
        "start",
        "resume",
        "resume",
        "start",
        "time_travel",
        "time_travel",
        "start",
    ]


async def test_options_on_restart(spans: Spans) -> None:
    from stepstream.results import StepResult
    from stepstream.storage.base import RunRecord
    from stepstream.storage.memory import InMemoryStorage

    storage = InMemoryStorage()
    wf = (
        create_workflow(id="crash")
        .then(create_step(id="a", execute=lambda ctx: 1))
        .then(create_step(id="b", execute=lambda ctx: 2))
        .commit()
    )
    wf.bind_storage(storage)
    # A run that crashed after `a`: stored as running, with a's record.
    await storage.create_run(RunRecord(workflow_id="crash", run_id="crashed", status="running", input=0))
    await storage.save_step("crash", "crashed", "a", StepResult("success", 0, 1, started_at=1, ended_at=2))
    run = await wf.create_run("crashed")
    result = await run.restart(tracing_options={"trace_id": TRACE, "metadata": {"why": "crash"}})
    assert result.status == "success" and result.trace_id == TRACE
    root = spans.one("workflow run: 'crash'")
    assert (root.attributes or {})[T.RUN_OPERATION] == "restart"
    assert (root.attributes or {})["stepstream.metadata.why"] == "crash"
    assert [c.name for c in spans.children(root)] == ["workflow step: 'b'"]


async def test_request_context_keys_as_one_string_or_garbage(spans: Spans, caplog: pytest.LogCaptureFixture) -> None:
    await (await wf_linear().create_run()).start(input_data=1, request_context={"a": 1}, tracing_options={"request_context_keys": "a"})
    assert (spans.one("workflow run: 'opts'").attributes or {})["stepstream.request_context.a"] == 1
    spans.exporter.clear()
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        result = await (await wf_linear().create_run()).start(input_data=1, tracing_options={"request_context_keys": 7})
    assert result.status == "success" and "request_context_keys" in caplog.text


async def test_a_tracer_that_cannot_start_leaves_the_run_untraced(
    spans: Spans, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stepstream.otel import _interceptor

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("exporter misconfigured")

    monkeypatch.setattr(_interceptor, "_ExecutionSpans", broken)
    with caplog.at_level(logging.ERROR, logger="stepstream"):
        result = await (await wf_linear().create_run()).start(input_data=1)
    assert result.status == "success" and result.trace_id is None
    assert "could not open the run span" in caplog.text
