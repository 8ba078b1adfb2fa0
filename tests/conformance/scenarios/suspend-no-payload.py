"""suspend() with no payload leaves no suspendPayload key; on resume the step sees its earlier
suspend payload as suspend_data (checked with a second step that suspends with a payload)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class Go(BaseModel):
    go: bool


class Seen(BaseModel):
    value: str
    seen: Any


async def scenario(log: Log) -> None:
    @step(input_schema=V, output_schema=V, resume_schema=Go)
    async def bare(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend()
        return V(value=ctx.input_data.value + " bare")

    @step(input_schema=V, output_schema=Seen, resume_schema=Go)
    async def remembers(ctx: StepContext) -> Seen:
        if ctx.resume_data is None:
            await ctx.suspend({"ticket": "T-1", "note": ctx.input_data.value})
        return Seen(value=ctx.input_data.value, seen=ctx.suspend_data)

    wf = create_workflow(id="bare-suspend", input_schema=V, output_schema=Any).then(bare).then(remembers).commit()
    run = await wf.create_run()
    first = await log.stream(run.stream(input_data={"value": "x"}))
    log.note({"noPayload": first.steps["bare"].suspend_payload is None, "suspended": first.suspended})
    log.result(await run.resume(resume_data={"go": True}))
    log.result(await run.resume(resume_data={"go": True}))
