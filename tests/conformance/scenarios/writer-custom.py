"""writer.custom({"type": "data-*", "data": ...}) emits the chunk at the top level of the stream
(no workflow-step-output wrapper), between the step's start and result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    @step(input_schema=N, output_schema=N)
    async def work(ctx: StepContext) -> N:
        for i in range(1, ctx.input_data.n + 1):
            await ctx.writer.custom({"type": "data-progress", "data": {"step": i, "of": ctx.input_data.n}})
        return N(n=ctx.input_data.n)

    wf = create_workflow(id="custom", input_schema=N, output_schema=N).then(work).commit()
    await log.stream((await wf.create_run()).stream(input_data={"n": 2}))
