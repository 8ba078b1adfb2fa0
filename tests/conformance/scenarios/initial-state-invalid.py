"""An initial_state that breaks the workflow's state_schema makes start raise ("Invalid initial data")
before any step runs; the same run then starts fine with a valid state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class S(BaseModel):
    count: int


async def scenario(log: Log) -> None:
    ran = []

    @step(input_schema=N, output_schema=N, state_schema=S)
    async def bump(ctx: StepContext) -> N:
        ran.append(1)
        await ctx.set_state({"count": ctx.state.count + ctx.input_data.n})
        data: N = ctx.input_data
        return data

    wf = create_workflow(id="bad-state", input_schema=N, output_schema=N, state_schema=S).then(bump).commit()
    run = await wf.create_run()
    try:
        await run.start(input_data={"n": 1}, initial_state={"count": "many"})
        log.note("accepted bad state")
    except Exception as exc:
        log.error(exc)
    log.note({"ran": len(ran)})
    ok = log.result(await run.start(input_data={"n": 2}, initial_state={"count": 40}))
    state = ok.state.model_dump() if hasattr(ok.state, "model_dump") else ok.state
    log.note({"ran": len(ran), "state": state})
