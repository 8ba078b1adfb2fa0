"""stream(close_on_suspend=False) keeps the stream open when a step suspends: resuming the run
when the suspended event arrives continues the same stream (no second workflow-start) through
to workflow-finish, and the stream's result is the final success. Only event types and step ids
are compared (Mastra's closing workflow-finish carries a stale "suspended" status)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

TIMEOUT = 10


class V(BaseModel):
    value: str


async def scenario(log: Log) -> None:
    @step(input_schema=V, output_schema=V, resume_schema=V)
    async def ask(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({"question": "more?"})
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    done = create_step(id="done", input_schema=V, output_schema=V, execute=lambda ctx: V(value=ctx.input_data.value + "."))
    wf = create_workflow(id="keep-open", input_schema=V, output_schema=V).then(ask).then(done).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"value": "a"}, close_on_suspend=False)
    events = []
    resumed = None
    async for ev in stream:
        events.append(ev.to_dict())
        if ev.type == "workflow-step-suspended":
            resumed = asyncio.create_task(run.resume(resume_data={"value": "b"}))
    log.note([[e["type"], (e.get("payload") or {}).get("id")] for e in events])
    log.result(await stream.result)
    assert resumed is not None
    log.result(await resumed)
