"""A step inside a nested workflow suspends with a payload and a resume label; the parent run is
resumed by that label alone. On resume the step sees its earlier suspend payload (suspend_data)
and the new resume_data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class Reason(BaseModel):
    reason: str


class By(BaseModel):
    by: str


async def scenario(log: Log) -> None:
    async def run_approve(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({"reason": "check " + ctx.input_data.value}, resume_label="approval")
        return {"value": ctx.input_data.value, "suspendData": ctx.suspend_data, "resumeData": ctx.resume_data}

    approve = create_step(id="approve", input_schema=V, output_schema=Any, suspend_schema=Reason, resume_schema=By, execute=run_approve)
    inner = create_workflow(id="inner", input_schema=V, output_schema=Any).then(approve).commit()
    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=lambda ctx: {"done": ctx.input_data})
    wf = create_workflow(id="nested-label", input_schema=V, output_schema=Any).then(inner).then(after).commit()
    run = await wf.create_run()
    first = await log.stream(run.stream(input_data={"value": "doc"}))
    log.note({"suspended": first.suspended})
    await log.stream(run.resume_stream(label="approval", resume_data={"by": "ann"}))
