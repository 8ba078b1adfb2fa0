"""A step waiting on its abort signal is woken, not killed, when the run is canceled: the code
after the wait runs (cleanup) and the step's result is recorded; the run ends "canceled" and the
next step never runs."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

TIMEOUT = 5


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    cleaned: list[str] = []

    async def wait_fn(ctx: StepContext) -> N:
        await ctx.abort_signal.wait()
        cleaned.append("cleanup ran")
        return N(n=ctx.input_data.n + 1)

    wait = create_step(id="wait", input_schema=N, output_schema=N, execute=wait_fn)
    after = create_step(id="after", input_schema=N, output_schema=N, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="abort-wake", input_schema=N, output_schema=N).then(wait).then(after).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})

    async def cancel_soon() -> None:
        await asyncio.sleep(0.05)
        await run.cancel()

    canceller = asyncio.create_task(cancel_soon())
    await log.stream(stream)
    await canceller
    log.note({"cleaned": cleaned})
