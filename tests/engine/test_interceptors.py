"""Interceptors: the hooks the engine calls, with one frozen input each, in walk order."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from stepstream import LocalExecutor, StepContext, Stepstream, create_step, create_workflow
from stepstream import interceptors as I
from stepstream.storage import InMemoryStorage


class Recorder(I.Interceptor):
    """Records every hook of every execution as (hook, input)."""

    def __init__(self, want: bool = True) -> None:
        self.want = want
        self.starts: list[I.StartExecutionInput] = []
        self.calls: list[tuple[str, Any]] = []

    def intercept_execution(self, input: I.StartExecutionInput) -> I.ExecutionInterceptor | None:
        self.starts.append(input)
        return _Hooks(self.calls) if self.want else None


class _Hooks(I.ExecutionInterceptor):
    def __init__(self, calls: list[tuple[str, Any]]) -> None:
        self.calls = calls

    def __getattribute__(self, name: str) -> Any:
        if name in vars(I.ExecutionInterceptor) and not name.startswith("_") and callable(getattr(I.ExecutionInterceptor, name)):
            calls = object.__getattribute__(self, "calls")
            return lambda input: calls.append((name, input))
        return object.__getattribute__(self, name)


def add(id: str, n: int = 1) -> Any:
    return create_step(id=id, execute=lambda ctx: ctx.input_data + n)


def gate(ctx: StepContext) -> Any:
    if ctx.resume_data is None:
        ctx.suspend({"ask": "ok?"})
    return ctx.resume_data


def app_with(*interceptors: I.Interceptor, workflows: list[Any]) -> Stepstream:
    return Stepstream(workflows=workflows, storage=InMemoryStorage(), executor=LocalExecutor(interceptors=interceptors))


def hooks(rec: Recorder) -> list[str]:
    return [name for name, _ in rec.calls]


async def test_a_chain_gets_execution_and_step_hooks_in_order() -> None:
    rec = Recorder()
    wf = create_workflow(id="chain").then(add("a")).then(add("b", 10)).commit()
    app_with(rec, workflows=[wf])
    result = await (await wf.create_run(run_id="r1")).start(input_data=1, tracing_options={"tags": ["x"]}, request_context={"user": "u"})
    assert result.result == 12
    (start,) = rec.starts
    assert (start.workflow_id, start.run_id, start.operation, start.input) == ("chain", "r1", "start", 1)
    assert (start.tracing_options, start.request_context, start.tracing_context, start.internal_spans) == (
        {"tags": ["x"]},
        {"user": "u"},
        None,
        0,
    )
    assert hooks(rec) == ["start_step", "end_step", "start_step", "end_step", "end_execution", "close_execution"]
    first, ended = rec.calls[0][1], rec.calls[1][1]
    assert (first.path, first.step_id, first.prefix, first.input, first.foreach_index) == ("a", "a", "", 1, None)
    assert (ended.status, ended.output, ended.error, ended.resumed) == ("success", 2, None, False)
    assert rec.calls[4][1] == I.EndExecutionInput("success", 12, None, {})
    assert rec.calls[5][1] == I.CloseExecutionInput(None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.path = "b"


async def test_composite_entries_nested_workflows_and_sleeps() -> None:
    rec = Recorder()
    inner = create_workflow(id="inner").then(add("i")).commit()
    wf = (
        create_workflow(id="shapes")
        .parallel([add("p1"), add("p2")], id="both")
        .map(lambda ctx: ctx.input_data["p1"])
        .branch([(lambda ctx: ctx.input_data > 100, add("big")), (lambda ctx: True, add("small"))])
        .map(lambda ctx: ctx.input_data["small"])
        .dountil(add("up"), lambda ctx: ctx.input_data >= 6)
        .then(inner)
        .sleep(1)
        .map(lambda ctx: [1, 2])
        .foreach(add("item"), concurrency=lambda ctx: 2)
        .commit()
    )
    app_with(rec, workflows=[wf])
    result = await (await wf.create_run()).start(input_data=1)
    assert result.status == "success" and result.result == [2, 3]
    inputs = {name: [i for n, i in rec.calls if n == name] for name, _ in rec.calls}
    nodes = [(i.kind, i.step_ids, i.entry.id if i.entry else None) for i in inputs["start_node"]]
    assert nodes == [
        ("parallel", ("p1", "p2"), "both"),
        ("conditional", ("big", "small"), None),
        ("dountil", ("up",), None),
        ("foreach", ("item",), None),
    ]
    assert [(i.kind, i.status) for i in inputs["end_node"]] == [
        ("parallel", "success"),
        ("conditional", "success"),
        ("dountil", "success"),
        ("foreach", "success"),
    ]
    assert inputs["conditions_evaluated"] == [I.ConditionsInput("", ("big", "small"), (False, True))]
    assert [(i.iteration, i.holds) for i in inputs["loop_condition_checked"]] == [(1, False), (2, False), (3, True)]
    assert inputs["concurrency_resolved"] == [I.ConcurrencyInput("item", 2)]
    steps = [(i.path, i.prefix, i.nested_workflow_id, i.foreach_index) for i in inputs["start_step"]]
    assert ("inner", "", "inner", None) in steps and ("inner.i", "inner.", None, None) in steps
    assert ("item", "", None, 0) in steps and ("item", "", None, 1) in steps
    (sleep,) = inputs["start_sleep"]
    assert (sleep.kind, sleep.duration_ms, sleep.dynamic, sleep.seconds) == ("sleep", 1.0, False, 0.001)
    assert inputs["end_sleep"] == [I.EndSleepInput(sleep.path, "success")]
    # everything but a live exception is JSON: another executor (Temporal) can build and ship the inputs
    for _, inp in [("start", start) for start in rec.starts] + rec.calls:
        json.dumps({k: v for k, v in dataclasses.asdict(inp).items() if k != "exception"})


async def test_suspend_resume_and_failure_reach_the_hooks() -> None:
    rec = Recorder()
    wf = create_workflow(id="gated").then(add("a")).then(create_step(id="gate", execute=gate)).commit()
    app_with(rec, workflows=[wf])
    run = await wf.create_run()
    assert (await run.start(input_data=1)).status == "suspended"
    suspended = [i for n, i in rec.calls if n == "end_step"][-1]
    assert (suspended.status, suspended.suspend_payload) == ("suspended", {"ask": "ok?"})
    rec.calls.clear()
    assert (await run.resume(resume_data="yes")).result == "yes"
    assert (rec.starts[-1].operation, rec.starts[-1].input) == ("resume", "yes")
    assert [i.path for n, i in rec.calls if n == "start_step"] == ["gate"]
    assert [i.resumed for n, i in rec.calls if n == "end_step"] == [True]

    def boom(ctx: StepContext) -> Any:
        raise RuntimeError("no")

    bad = create_workflow(id="bad").then(create_step(id="boom", execute=boom)).commit()
    app_with(rec, workflows=[bad])
    rec.calls.clear()
    assert (await (await bad.create_run()).start(input_data=1)).status == "failed"
    ended = next(i for n, i in rec.calls if n == "end_step")
    assert isinstance(ended.exception, RuntimeError) and ended.error is not None and ended.error["message"] == "no"
    assert next(i for n, i in rec.calls if n == "end_execution").error["message"] == "no"


async def test_an_interceptor_that_declines_gets_no_hooks_and_records_no_trace() -> None:
    declines, takes = Recorder(want=False), Recorder()
    wf = create_workflow(id="two").then(add("a")).commit()
    app_with(declines, takes, workflows=[wf])
    result = await (await wf.create_run()).start(input_data=1)
    assert len(declines.starts) == 1 and declines.calls == []
    assert hooks(takes)[:2] == ["start_step", "end_step"]
    assert result.trace_id is None  # no interceptor recorded a trace


async def test_an_interceptors_trace_ids_are_reported_and_kept_for_the_resume() -> None:
    class Traced(I.Interceptor):
        def __init__(self) -> None:
            self.contexts: list[Any] = []

        def intercept_execution(self, input: I.StartExecutionInput) -> I.ExecutionInterceptor:
            self.contexts.append(input.tracing_context)
            hooks = I.ExecutionInterceptor()
            hooks.trace_id, hooks.span_id = "ab" * 16, f"{len(self.contexts):016x}"
            return hooks

    traced = Traced()
    wf = create_workflow(id="ids").then(create_step(id="gate", execute=gate)).commit()
    app_with(traced, workflows=[wf])
    run = await wf.create_run()
    first = await run.start(input_data=1)
    assert (first.status, first.trace_id, first.span_id) == ("suspended", "ab" * 16, f"{1:016x}")
    await run.resume(resume_data=True)
    assert traced.contexts == [None, {"traceId": "ab" * 16, "spanId": f"{1:016x}"}]
