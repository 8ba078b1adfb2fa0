"""The span tree of a run: run, steps, control-flow constructs, nested workflows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import trace

from stepstream import StepContext, create_step, create_workflow
from stepstream import tracing as T
from stepstream.otel import TracingInterceptor

from .conftest import Spans


def add(id: str, n: int = 1) -> Any:
    return create_step(id=id, execute=lambda ctx: ctx.input_data + n)


async def test_linear_run_and_step_spans(spans: Spans) -> None:
    wf = create_workflow(id="linear").then(add("a")).then(add("b", 10)).commit()
    run = await wf.create_run(resource_id="user-1")
    result = await run.start(input_data=1)
    assert result.status == "success"
    root = spans.one("workflow run: 'linear'")
    assert spans.tree(root) == ["workflow run: 'linear'", [["workflow step: 'a'", []], ["workflow step: 'b'", []]]]
    assert result.trace_id == trace.format_trace_id(root.context.trace_id)
    assert result.span_id == trace.format_span_id(root.context.span_id)
    assert result.to_dict()["traceId"] == result.trace_id
    attrs = dict(root.attributes or {})
    assert attrs == {
        T.SPAN_TYPE: T.TYPE_RUN,
        T.WORKFLOW_ID: "linear",
        T.RUN_ID: run.run_id,
        T.RESOURCE_ID: "user-1",
        T.RUN_OPERATION: "start",
        T.RESUMED: False,
        T.INPUT: "1",
        T.RUN_STATUS: "success",
        T.OUTPUT: "12",
    }
    assert root.kind == trace.SpanKind.INTERNAL
    assert root.status.status_code == trace.StatusCode.UNSET
    b = spans.one("workflow step: 'b'")
    assert dict(b.attributes or {}) == {
        T.SPAN_TYPE: T.TYPE_STEP,
        T.STEP_ID: "b",
        T.STEP_PATH: "b",
        T.INPUT: "2",
        T.STEP_STATUS: "success",
        T.OUTPUT: "12",
    }
    assert all(s.context.trace_id == root.context.trace_id for s in spans.all)
    assert root.instrumentation_scope is not None and root.instrumentation_scope.name == "stepstream"


async def test_nested_workflows_nest_under_their_step(spans: Spans) -> None:
    deepest = create_workflow(id="deepest").then(add("z")).commit()
    inner = create_workflow(id="inner").then(add("x")).then(deepest).commit()
    wf = create_workflow(id="outer").then(inner).then(add("after")).commit()
    result = await (await wf.create_run()).start(input_data=0)
    assert result.status == "success"
    root = spans.one("workflow run: 'outer'")
    assert spans.tree(root) == [
        "workflow run: 'outer'",
        [
            ["workflow step: 'inner'", [["workflow step: 'x'", []], ["workflow step: 'deepest'", [["workflow step: 'z'", []]]]]],
            ["workflow step: 'after'", []],
        ],
    ]
    z = spans.one("workflow step: 'z'")
    assert z.attributes is not None and z.attributes[T.STEP_PATH] == "inner.deepest.z"
    assert z.attributes[T.STEP_ID] == "z"


async def test_parallel_span(spans: Spans) -> None:
    inner = create_workflow(id="inner").then(add("x")).commit()

    async def slow(ctx: StepContext) -> int:
        await asyncio.sleep(0.01)
        return int(ctx.input_data) * 2

    wf = create_workflow(id="par").parallel([create_step(id="slow", execute=slow), inner, add("fast")]).commit()
    result = await (await wf.create_run()).start(input_data=1)
    assert result.status == "success"
    root = spans.one("workflow run: 'par'")
    (par,) = spans.children(root)
    assert par.name == "parallel: '3 branches'"
    assert par.attributes is not None
    assert par.attributes[T.SPAN_TYPE] == T.TYPE_PARALLEL
    assert par.attributes[T.PARALLEL_BRANCH_COUNT] == 3
    assert list(par.attributes[T.PARALLEL_STEPS]) == ["slow", "inner", "fast"]  # type: ignore[arg-type]
    assert par.attributes[T.STATUS] == "success"
    assert sorted(c.name for c in spans.children(par)) == ["workflow step: 'fast'", "workflow step: 'inner'", "workflow step: 'slow'"]
    assert [c.name for c in spans.children(spans.one("workflow step: 'inner'"))] == ["workflow step: 'x'"]
    slow_span = spans.one("workflow step: 'slow'")
    assert par.start_time is not None and par.end_time is not None
    assert par.start_time <= (slow_span.start_time or 0) and (slow_span.end_time or 0) <= par.end_time


async def test_conditional_and_condition_spans(spans: Spans) -> None:
    wf = (
        create_workflow(id="cond")
        .branch(
            [
                (lambda ctx: ctx.input_data > 10, add("big")),
                (lambda ctx: ctx.input_data > 0, add("positive")),
                (lambda ctx: True, add("always")),
            ]
        )
        .commit()
    )
    result = await (await wf.create_run()).start(input_data=5)
    assert result.status == "success"
    cond = spans.one("conditional: '3 conditions'")
    assert cond.attributes is not None
    assert cond.attributes[T.CONDITION_COUNT] == 3
    assert list(cond.attributes[T.TRUTHY_INDEXES]) == [1, 2]  # type: ignore[arg-type]
    assert list(cond.attributes[T.SELECTED_STEPS]) == ["positive", "always"]  # type: ignore[arg-type]
    kids = spans.children(cond)
    evals = {c.name: dict(c.attributes or {}) for c in kids if c.name.startswith("condition")}
    assert evals == {f"condition '{i}'": {T.SPAN_TYPE: T.TYPE_CONDITION, T.CONDITION_INDEX: i, T.CONDITION_RESULT: i > 0} for i in range(3)}
    assert sorted(c.name for c in kids if c.name.startswith("workflow step")) == ["workflow step: 'always'", "workflow step: 'positive'"]
    assert spans.children(spans.one("workflow run: 'cond'")) == [cond]


async def test_dowhile_loop_span_and_iterations(spans: Spans) -> None:
    wf = create_workflow(id="loop").dowhile(add("inc"), lambda ctx: ctx.input_data < 3).commit()
    result = await (await wf.create_run()).start(input_data=0)
    assert result.result == 3
    loop = spans.one("loop: 'dowhile'")
    assert loop.attributes is not None
    assert loop.attributes[T.LOOP_TYPE] == "dowhile"
    assert loop.attributes[T.LOOP_TOTAL_ITERATIONS] == 3
    assert [c.name for c in spans.children(loop)] == ["workflow step: 'inc'", "condition: 'dowhile'"] * 3
    steps = [c for c in spans.children(loop) if c.name == "workflow step: 'inc'"]
    assert [s.attributes[T.LOOP_ITERATION] for s in steps if s.attributes] == [1, 2, 3]
    checks = [c for c in spans.children(loop) if c.name == "condition: 'dowhile'"]
    assert [(c.attributes or {})[T.CONDITION_RESULT] for c in checks] == [True, True, False]
    assert [(c.attributes or {})[T.LOOP_ITERATION] for c in checks] == [1, 2, 3]


async def test_dountil_loop(spans: Spans) -> None:
    wf = create_workflow(id="until").dountil(add("inc"), lambda ctx: ctx.input_data >= 2).commit()
    await (await wf.create_run()).start(input_data=0)
    loop = spans.one("loop: 'dountil'")
    assert (loop.attributes or {})[T.LOOP_TOTAL_ITERATIONS] == 2
    assert len(spans.named("condition: 'dountil'")) == 2


async def test_foreach_items_are_step_spans(spans: Spans) -> None:
    inner = create_workflow(id="per").then(add("x")).commit()
    wf = create_workflow(id="each").foreach(add("item", 100), concurrency=2).foreach(inner).commit()
    result = await (await wf.create_run()).start(input_data=[1, 2, 3])
    assert result.result == [102, 103, 104]
    first, second = spans.named("loop: 'foreach'")
    first, second = sorted((first, second), key=lambda s: s.start_time or 0)
    assert first.attributes is not None
    assert first.attributes[T.LOOP_TYPE] == "foreach"
    assert first.attributes[T.LOOP_CONCURRENCY] == 2
    assert first.attributes[T.FOREACH_ITEM_COUNT] == 3
    assert first.attributes[T.LOOP_TOTAL_ITERATIONS] == 3
    items = spans.children(first)
    assert [c.name for c in items] == ["workflow step: 'item'"] * 3
    assert sorted((c.attributes or {})[T.FOREACH_INDEX] for c in items) == [0, 1, 2]  # type: ignore[type-var]
    nested = spans.children(second)
    assert [c.name for c in nested] == ["workflow step: 'per'"] * 3
    for item in nested:
        (x,) = spans.children(item)
        assert x.name == "workflow step: 'x'"
        index = (item.attributes or {})[T.FOREACH_INDEX]
        assert isinstance(index, int)
        assert (x.attributes or {})[T.STEP_PATH] == f"per[{index}].x"


async def test_sleep_spans(spans: Spans) -> None:
    soon = datetime.now(UTC) + timedelta(milliseconds=5)
    wf = create_workflow(id="sleepy").sleep(5).sleep(lambda ctx: 1).sleep_until(soon).sleep_until(lambda ctx: datetime.now(UTC)).commit()
    result = await (await wf.create_run()).start(input_data=1)
    assert result.status == "success"
    root = spans.one("workflow run: 'sleepy'")
    names = [c.name for c in spans.children(root)]
    assert names == ["sleep: 5ms", "sleep: dynamic", f"sleepUntil: {soon.isoformat()}", "sleepUntil: dynamic"]
    fixed = spans.one("sleep: 5ms")
    assert fixed.attributes is not None
    assert fixed.attributes[T.SPAN_TYPE] == T.TYPE_SLEEP
    assert fixed.attributes[T.SLEEP_TYPE] == "fixed"
    assert fixed.attributes[T.SLEEP_DURATION_MS] == 5
    assert fixed.attributes[T.STEP_STATUS] == "success"
    assert (spans.one("sleep: dynamic").attributes or {})[T.SLEEP_TYPE] == "dynamic"
    assert (spans.one(f"sleepUntil: {soon.isoformat()}").attributes or {})[T.SLEEP_UNTIL] == soon.isoformat()


async def test_sleep_inside_nested_workflow(spans: Spans) -> None:
    inner = create_workflow(id="inner").sleep(1).commit()
    wf = create_workflow(id="outer").then(inner).commit()
    await (await wf.create_run()).start(input_data=1)
    assert [c.name for c in spans.children(spans.one("workflow step: 'inner'"))] == ["sleep: 1ms"]


async def test_user_spans_nest_under_the_running_step(spans: Spans) -> None:
    tracer = spans.provider.get_tracer("user-code")

    async def work(ctx: StepContext) -> int:
        with tracer.start_as_current_span("llm call"):
            await asyncio.sleep(0)
        return 1

    wf = create_workflow(id="user").parallel([create_step(id="p1", execute=work), create_step(id="p2", execute=work)]).commit()
    await (await wf.create_run()).start(input_data=None)
    for step_name in ("workflow step: 'p1'", "workflow step: 'p2'"):
        assert [c.name for c in spans.children(spans.one(step_name))] == ["llm call"]


async def test_run_is_a_child_of_the_callers_current_span(spans: Spans) -> None:
    tracer = spans.provider.get_tracer("caller")
    wf = create_workflow(id="child").then(add("a")).commit()
    with tracer.start_as_current_span("http request") as outer:
        result = await (await wf.create_run()).start(input_data=1)
        assert trace.get_current_span() is outer
    root = spans.one("workflow run: 'child'")
    assert root.parent is not None and root.parent.span_id == outer.get_span_context().span_id
    assert result.trace_id == trace.format_trace_id(outer.get_span_context().trace_id)


async def test_current_span_restored_after_the_run(spans: Spans) -> None:
    wf = create_workflow(id="restore").then(add("a")).commit()
    before = trace.get_current_span()
    await (await wf.create_run()).start(input_data=1)
    stream = (await wf.create_run()).stream(input_data=1)
    async for _ in stream:
        pass
    await stream.result
    assert trace.get_current_span() is before


async def test_usage_on_the_run_span(spans: Spans) -> None:
    def llm(ctx: StepContext) -> int:
        ctx.report_usage(10, 5, reasoning_tokens=2)
        return 1

    wf = create_workflow(id="usage").then(create_step(id="llm", execute=llm)).then(create_step(id="llm2", execute=llm)).commit()
    await (await wf.create_run()).start(input_data=None)
    attrs = spans.one("workflow run: 'usage'").attributes or {}
    assert attrs[T.USAGE_INPUT_TOKENS] == 20
    assert attrs[T.USAGE_OUTPUT_TOKENS] == 10
    assert attrs[T.USAGE_PREFIX + "total_tokens"] == 30
    assert attrs[T.USAGE_PREFIX + "reasoning_tokens"] == 4


async def test_streamed_run_and_outputs_as_json(spans: Spans) -> None:
    wf = create_workflow(id="json").then(create_step(id="obj", execute=lambda ctx: {"a": [1, "é"]})).commit()
    stream = (await wf.create_run()).stream(input_data={"in": True})
    async for _ in stream:
        pass
    result = await stream.result
    step = spans.one("workflow step: 'obj'")
    assert json.loads(str((step.attributes or {})[T.OUTPUT])) == {"a": [1, "é"]}
    assert json.loads(str((step.attributes or {})[T.INPUT])) == {"in": True}
    assert result.trace_id == trace.format_trace_id(step.context.trace_id)


async def test_replayed_steps_get_no_spans_on_resume(spans: Spans) -> None:
    def gate(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({})
        return ctx.resume_data

    wf = create_workflow(id="replay").then(add("a")).parallel([add("b"), add("c")]).then(create_step(id="gate", execute=gate)).commit()
    run = await wf.create_run()
    await run.start(input_data=1)
    spans.exporter.clear()
    await run.resume(resume_data=7)
    resumed = spans.one("workflow run: 'replay' (resumed)")
    assert spans.tree(resumed) == ["workflow run: 'replay' (resumed)", [["workflow step: 'gate'", []]]]


async def test_no_provider_no_tracer() -> None:
    T.set_tracer_provider(None)
    assert TracingInterceptor().tracer() is None
    wf = create_workflow(id="off").then(add("a")).commit()
    result = await (await wf.create_run()).start(input_data=1)
    assert result.trace_id is None and result.span_id is None
    assert "traceId" not in result.to_dict()


async def test_no_op_provider_is_off() -> None:
    T.set_tracer_provider(trace.NoOpTracerProvider())
    try:
        wf = create_workflow(id="noop").then(add("a")).commit()
        result = await (await wf.create_run()).start(input_data=1)
        assert result.trace_id is None
    finally:
        T.set_tracer_provider(None)


async def test_foreach_span_records_the_concurrency_a_function_resolved_to(spans: Spans) -> None:
    wf = create_workflow(id="each-fn").foreach(add("item", 1), concurrency=lambda ctx: len(ctx.input_data)).commit()
    result = await (await wf.create_run()).start(input_data=[1, 2, 3])
    assert result.result == [2, 3, 4]
    loop = spans.one("loop: 'foreach'")
    assert (loop.attributes or {})[T.LOOP_CONCURRENCY] == 3
