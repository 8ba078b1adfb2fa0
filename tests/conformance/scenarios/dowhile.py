"""dowhile runs its body at least once, even when the condition is already false; the loop
condition sees the iteration's output and iteration_count (1, 2, ...)."""
from pydantic import BaseModel

from stepstream import create_step, create_workflow


class N(BaseModel):
    n: int


async def scenario(log):
    seen = []

    def condition(ctx):
        seen.append([ctx.input_data.n, ctx.iteration_count])
        return ctx.input_data.n < 3

    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    wf = create_workflow(id="while", input_schema=N, output_schema=N).dowhile(inc, condition).commit()
    await log.stream((await wf.create_run()).stream(input_data={"n": 0}))
    log.note({"condition": seen[:]})
    seen.clear()
    log.result(await (await wf.create_run()).start(input_data={"n": 10}))
    log.note({"condition": seen[:]})
