"""writer.write() inside a nested workflow reaches the parent's stream as a workflow-step-output
event whose stepName is the inner step's bare id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    async def talk_fn(ctx: StepContext) -> N:
        await ctx.writer.write({"said": ctx.input_data.n})
        data: N = ctx.input_data
        return data

    talk = create_step(id="talk", input_schema=N, output_schema=N, execute=talk_fn)
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(talk).commit()
    wf = create_workflow(id="outer", input_schema=N, output_schema=N).then(inner).commit()
    run = await wf.create_run()
    await log.stream(run.stream(input_data={"n": 7}))
