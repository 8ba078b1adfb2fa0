"""Ways to name the resume target: omitted (exactly one step suspended), a path list ["step"]
taken from result.suspended, and the step object itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class By(BaseModel):
    by: int


async def scenario(log: Log) -> None:
    @step(input_schema=N, output_schema=N, resume_schema=By)
    async def multiply(ctx: StepContext) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"need": "by"})
        return N(n=ctx.input_data.n * ctx.resume_data.by)

    wf = create_workflow(id="targets", input_schema=N, output_schema=N).then(multiply).commit()

    run1 = await wf.create_run()
    s1 = log.result(await run1.start(input_data={"n": 10}))
    log.note({"suspended": s1.suspended})
    log.result(await run1.resume(resume_data={"by": 5}))

    run2 = await wf.create_run()
    s2 = await run2.start(input_data={"n": 20})
    log.result(await run2.resume(step=s2.suspended[0], resume_data={"by": 3}))

    run3 = await wf.create_run()
    await run3.start(input_data={"n": 7})
    log.result(await run3.resume(step=multiply, resume_data={"by": 2}))
