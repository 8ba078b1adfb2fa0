"""The first branch suspends after the second (it waits first): the run lists its suspended
steps, and their payloads, in the parallel's order, not in the order they suspended in."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class R(BaseModel):
    add: int


async def late_execute(ctx: StepContext) -> N:
    if ctx.resume_data is None:
        await asyncio.sleep(0.05)
        await ctx.suspend({"waiting": "late"})
    return N(n=ctx.input_data.n + ctx.resume_data.add)


async def now_execute(ctx: StepContext) -> N:
    if ctx.resume_data is None:
        await ctx.suspend({"waiting": "now"})
    return N(n=ctx.input_data.n + ctx.resume_data.add)


async def scenario(log: Log) -> None:
    late = create_step(id="late", input_schema=N, output_schema=N, resume_schema=R, execute=late_execute)
    now = create_step(id="now", input_schema=N, output_schema=N, resume_schema=R, execute=now_execute)
    wf = create_workflow(id="par-order", input_schema=N, output_schema=Any).parallel([late, now]).commit()
    run = await wf.create_run()
    first = log.result(await run.start(input_data={"n": 1}))
    log.note({"suspended": first.suspended, "payloads": list(first.suspend_payload)})
    snapshot = await run.resume(step="now", resume_data={"add": 10})
    log.note({"suspended": snapshot.suspended})
    log.result(await run.resume(step="late", resume_data={"add": 100}))
