"""dowhile runs its body at least once, even when the condition is already false; the loop
condition sees the iteration's output and iteration_count (1, 2, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    seen: list[list[int | None]] = []

    def condition(ctx: StepContext) -> bool:
        seen.append([ctx.input_data.n, ctx.iteration_count])
        data: N = ctx.input_data
        return data.n < 3

    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    wf = create_workflow(id="while", input_schema=N, output_schema=N).dowhile(inc, condition).commit()
    await log.stream((await wf.create_run()).stream(input_data={"n": 0}))
    log.note({"condition": seen[:]})
    seen.clear()
    log.result(await (await wf.create_run()).start(input_data={"n": 10}))
    log.note({"condition": seen[:]})
