"""Type-level checks of the public API, verified by mypy (see tests/test_quality.py).

Nothing here runs under pytest; `assert_type` fails the mypy run when a promised
type changes.
"""

from __future__ import annotations

from typing import Any, assert_type

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel

from stepstream import (
    RequestContext,
    Run,
    Step,
    StepContext,
    StepResult,
    Stepstream,
    Workflow,
    WorkflowEvent,
    WorkflowResult,
    WorkflowStream,
    create_step,
    create_workflow,
    step,
)


class Order(BaseModel):
    item: str


class Approval(BaseModel):
    ok: bool


def typed(ctx: StepContext[Order, Approval]) -> Order:
    assert_type(ctx.input_data, Order)
    assert_type(ctx.resume_data, Approval | None)
    assert_type(ctx.retry_count, int)
    assert_type(ctx.app, Stepstream)
    assert_type(ctx.iteration_count, int | None)
    assert_type(ctx.request_context, RequestContext)
    assert_type(ctx.run_id, str)
    return ctx.input_data


def untyped(ctx: StepContext) -> Any:
    assert_type(ctx.input_data, Any)
    return ctx.input_data


@step(input_schema=Order, output_schema=Order)
async def decorated(ctx: StepContext[Order]) -> Order:
    assert_type(ctx.input_data, Order)
    await ctx.writer.write({"progress": 1})
    if ctx.resume_data is None:
        await ctx.suspend({"ask": "ok?"}, resume_label="approve")
    return ctx.input_data


def lookup(topic: str) -> Order:
    return Order(item=topic)


async def api() -> None:
    made = create_step("typed", execute=typed, input_schema=Order, output_schema=Order, resume_schema=Approval)
    assert_type(made, Step)
    assert_type(create_step(Agent(TestModel(), name="writer"), structured_output=Order), Step)
    assert_type(create_step(lookup), Step)
    assert_type(decorated, Step)
    wf = create_workflow("orders", input_schema=Order, output_schema=Order).then(made).then(decorated).commit()
    assert_type(wf, Workflow)
    run = await wf.create_run()
    assert_type(run, Run)
    result = await run.start(input_data={"item": "book"})
    assert_type(result, WorkflowResult)
    assert_type(result.steps, dict[str, StepResult])
    assert_type(result.to_dict(), dict[str, Any])
    stream = run.resume_stream(resume_data={"ok": True}, step="decorated")
    assert_type(stream, WorkflowStream)
    async for event in stream:
        assert_type(event, WorkflowEvent)
    assert_type(await stream.result, WorkflowResult)
    assert_type(await stream.usage, dict[str, int])
    assert_type(run.watch(lambda event: None)(), None)


def cloning_and_predicates(s: Step, wf: Workflow) -> None:
    from stepstream import Predicate, clone_step, clone_workflow
    from stepstream.predicate import eq, path

    assert_type(clone_step(s, id="s2"), Step)
    assert_type(clone_workflow(wf, id="w2"), Workflow)
    cond = eq(path("input_data.kind"), "a") & eq(path("state.n"), 1)
    assert_type(cond, Predicate)
    assert_type(cond.to_dict(), dict[str, Any])
    assert_type(Predicate.from_dict(cond.to_dict()), Predicate)
    assert_type(wf.branch([(cond, s), ({"predicate": cond.to_dict()}, s), (lambda ctx: True, s)], id="route"), Workflow)
    assert_type(wf.dountil(s, cond, description="until a"), Workflow)


async def run_options(run: Run, wf: Workflow) -> None:
    from stepstream import InternalSpans, OutputOptions

    opts: OutputOptions = {"include_state": True, "include_resume_labels": True}
    assert_type(await run.start(input_data={}, per_step=True, output_options=opts), WorkflowResult)
    assert_type(run.stream(input_data={}, per_step=True), WorkflowStream)
    assert_type(await run.time_travel(step="a", nested_steps_context={"inner": {}}, per_step=True), WorkflowResult)
    assert_type(await run.restart(request_context={"user": "bob"}), WorkflowResult)
    assert_type(await wf.create_run(tracing_policy={"internal": InternalSpans.WORKFLOW}), Run)
