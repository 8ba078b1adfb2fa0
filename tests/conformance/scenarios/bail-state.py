"""A step that changes the workflow state and then bails: the run ends successfully with the bail
value (the step-result event says "bailed", the step record "success"), the state change is kept,
and later steps never run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class S(BaseModel):
    log: list[str]


async def scenario(log: Log) -> None:
    @step(input_schema=N, output_schema=N, state_schema=S)
    async def stamp(ctx: StepContext) -> N:
        await ctx.set_state({"log": [*ctx.state.log, f"stamped {ctx.input_data.n}"]})
        if ctx.input_data.n > 5:
            ctx.bail(N(n=0))
        return N(n=ctx.input_data.n * 2)

    async def note_next(ctx: StepContext) -> N:
        await ctx.set_state({"log": [*ctx.state.log, "next"]})
        data: N = ctx.input_data
        return data

    next_step = create_step(id="next", input_schema=N, output_schema=N, state_schema=S, execute=note_next)

    wf = create_workflow(id="bail-state", input_schema=N, output_schema=N, state_schema=S).then(stamp).then(next_step).commit()
    for n in (9, 2):
        result = await log.stream((await wf.create_run()).stream(input_data={"n": n}, initial_state={"log": []}))
        log.note({"state": result.state.model_dump() if hasattr(result.state, "model_dump") else result.state})
