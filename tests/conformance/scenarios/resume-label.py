"""Steps suspend with resume labels; resume(label=...) picks the labelled step. Two parallel steps
are suspended, so only the label can tell them apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import Step, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class By(BaseModel):
    by: str


def make(step_id: str, label: str) -> Step:
    async def execute(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({"pending": step_id}, resume_label=label)
        return V(value=f"{ctx.input_data.value} {step_id} by {ctx.resume_data.by}")

    return create_step(id=step_id, input_schema=V, output_schema=V, resume_schema=By, execute=execute)


async def scenario(log: Log) -> None:
    wf = (
        create_workflow(id="labels", input_schema=V, output_schema=Any)
        .parallel([make("legal", "legal-review"), make("finance", "finance-review")])
        .commit()
    )
    run = await wf.create_run()
    started = log.result(await run.start(input_data={"value": "doc"}))
    log.note({"suspended": started.suspended})
    mid = log.result(await run.resume(label="finance-review", resume_data={"by": "fin"}))
    log.note({"suspended": mid.suspended})
    log.result(await run.resume(label="legal-review", resume_data={"by": "law"}))
