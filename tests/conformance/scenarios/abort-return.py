"""A step that calls abort() and then returns: its own record stays "success" with its output;
only the run ends "canceled", and the next step never runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    def stop_fn(ctx: StepContext) -> N:
        ctx.abort()
        return N(n=ctx.input_data.n + 1)

    stop = create_step(id="stop", input_schema=N, output_schema=N, execute=stop_fn)
    after = create_step(id="after", input_schema=N, output_schema=N, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="abort-return", input_schema=N, output_schema=N).then(stop).then(after).commit()
    run = await wf.create_run()
    await log.stream(run.stream(input_data={"n": 1}))
