"""ctx.state during a step is the state as it was when the step started: set_state() takes effect
when the step ends, so a read after set_state() still shows the old value; the next step (and the
run's final state) see the update. Also inside a parallel block: a sibling that finished first does
not change what a running step reads."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class S(BaseModel):
    count: int


class R(BaseModel):
    before: int
    after: int


async def scenario(log: Log) -> None:
    async def bump_fn(ctx: StepContext) -> R:
        before = ctx.state.count
        await ctx.set_state({"count": ctx.state.count + 10})
        return R(before=before, after=ctx.state.count)

    async def fast_fn(ctx: StepContext) -> N:
        await ctx.set_state({"count": ctx.state.count + 1})
        return N(n=ctx.state.count)

    async def slow_fn(ctx: StepContext) -> N:
        await asyncio.sleep(0.03)
        return N(n=ctx.state.count)

    bump = create_step(id="bump", input_schema=N, output_schema=R, state_schema=S, execute=bump_fn)
    read = create_step(id="read", input_schema=R, output_schema=N, state_schema=S, execute=lambda ctx: N(n=ctx.state.count))
    fast = create_step(id="fast", input_schema=N, output_schema=N, state_schema=S, execute=fast_fn)
    slow = create_step(id="slow", input_schema=N, output_schema=N, state_schema=S, execute=slow_fn)
    wf = (
        create_workflow(id="state-snapshot", input_schema=N, output_schema=Any, state_schema=S)
        .then(bump)
        .then(read)
        .parallel([fast, slow])
        .commit()
    )
    run = await wf.create_run()
    result = log.result(await run.start(input_data={"n": 1}, initial_state={"count": 0}))
    log.note({"state": result.state})
