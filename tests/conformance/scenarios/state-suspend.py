"""Workflow state set by a step before it suspends survives the suspension: after resume a later
step sees it (and the resumed step sees it too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class S(BaseModel):
    count: int
    items: list[str]


class Proceed(BaseModel):
    proceed: bool


class Report(BaseModel):
    value: str
    state: S


async def scenario(log: Log) -> None:
    @step(input_schema=V, output_schema=V, state_schema=S, resume_schema=Proceed)
    async def collect(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            before = ctx.state.count
            await ctx.set_state({"count": before + 1, "items": [*ctx.state.items, ctx.input_data.value]})
            await ctx.suspend({"seen": before})
        return V(value=f"{ctx.input_data.value} after {ctx.state.count}")

    @step(input_schema=V, output_schema=Report, state_schema=S)
    def report(ctx: StepContext) -> Report:
        return Report(value=ctx.input_data.value, state=ctx.state)

    wf = create_workflow(id="state-suspend", input_schema=V, output_schema=Any, state_schema=S).then(collect).then(report).commit()
    run = await wf.create_run()
    log.result(await run.start(input_data={"value": "item-1"}, initial_state={"count": 0, "items": []}))
    done = log.result(await run.resume(resume_data={"proceed": True}))
    log.note({"state": done.state.model_dump() if hasattr(done.state, "model_dump") else done.state})
