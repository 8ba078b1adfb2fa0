"""Time travel on a suspended run to its first step with resume_data: the first step runs again
(without the resume data: it was not suspended),
and the step that was suspended runs again with that resume data (its record gains
resumePayload); the run goes on to the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class By(BaseModel):
    by: str


async def scenario(log: Log) -> None:
    calls: list[str] = []

    def prepare_value(ctx: StepContext) -> V:
        calls.append("prepare" if ctx.resume_data is None else "prepare+resumeData")
        return V(value=ctx.input_data.value + ">prep")

    async def approve_value(ctx: StepContext) -> V:
        calls.append("approve")
        if ctx.resume_data is None:
            await ctx.suspend({"ask": ctx.input_data.value})
        return V(value=ctx.input_data.value + ">ok by " + ctx.resume_data.by)

    def finish_value(ctx: StepContext) -> V:
        calls.append("finish")
        return V(value=ctx.input_data.value + ">done")

    prepare = create_step(id="prepare", input_schema=V, output_schema=V, execute=prepare_value)
    approve = create_step(id="approve", input_schema=V, output_schema=V, resume_schema=By, execute=approve_value)
    finish = create_step(id="finish", input_schema=V, output_schema=V, execute=finish_value)
    wf = create_workflow(id="travel-resume", input_schema=V, output_schema=V).then(prepare).then(approve).then(finish).commit()
    run = await wf.create_run()
    started = log.result(await run.start(input_data={"value": "a"}))
    log.note({"suspended": started.suspended, "calls": calls[:]})
    calls.clear()
    log.result(await run.time_travel(step="prepare", input_data={"value": "b"}, resume_data={"by": "ann"}))
    log.note({"calls": calls[:]})
