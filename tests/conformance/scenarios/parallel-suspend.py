"""Two parallel branches both suspend; resuming one leaves the run suspended on the other,
resuming the other completes the block with outputs keyed by step id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import Step, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

ORDER = "per-step"


class N(BaseModel):
    n: int


class R(BaseModel):
    add: int


def make(step_id: str) -> Step:
    async def execute(ctx: StepContext) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"waiting": step_id})
        return N(n=ctx.input_data.n + ctx.resume_data.add)

    return create_step(id=step_id, input_schema=N, output_schema=N, resume_schema=R, execute=execute)


async def scenario(log: Log) -> None:
    wf = create_workflow(id="par-suspend", input_schema=N, output_schema=Any).parallel([make("left"), make("right")]).commit()
    run = await wf.create_run()
    first = await log.stream(run.stream(input_data={"n": 1}))
    log.note({"suspended": first.suspended})
    second = log.result(await run.resume(step="left", resume_data={"add": 10}))
    log.note({"suspended": second.suspended})
    log.result(await run.resume(step="right", resume_data={"add": 100}))
