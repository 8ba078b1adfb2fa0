"""A suspend payload that does not match the step's suspend_schema fails the step (and the run)
instead of suspending it; a set_state value that does not match the step's state_schema fails the
step too. Error messages are compared up to their first colon."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class S(BaseModel):
    count: int


class Reason(BaseModel):
    reason: str


class Ok(BaseModel):
    ok: bool


async def scenario(log: Log) -> None:
    async def run_asks(ctx: StepContext) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"reason": 42})
        data: N = ctx.input_data
        return data

    async def run_counts(ctx: StepContext) -> N:
        await ctx.set_state({"count": "many"})
        return N(n=ctx.input_data.n + ctx.state.count)

    asks = create_step(id="asks", input_schema=N, output_schema=N, suspend_schema=Reason, resume_schema=Ok, execute=run_asks)
    counts = create_step(id="counts", input_schema=N, output_schema=N, state_schema=S, execute=run_counts)
    w1 = create_workflow(id="bad-suspend", input_schema=N, output_schema=N).then(asks).commit()
    w2 = create_workflow(id="bad-state", input_schema=N, output_schema=N, state_schema=S).then(counts).commit()
    await log.stream((await w1.create_run()).stream(input_data={"n": 1}))
    await log.stream((await w2.create_run()).stream(input_data={"n": 1}, initial_state={"count": 0}))
