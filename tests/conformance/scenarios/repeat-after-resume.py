"""A step id that appears again after a suspended step runs again on resume: a resume starts at
the suspended step and runs everything after it, whatever records earlier entries left.
Steps before the suspended one are not run again, even when one of them shares an id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

ORDER = "per-step"  # the parallel's two steps may interleave


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    calls = {"inc": 0, "dbl": 0}

    async def inc_fn(ctx: StepContext[N, None]) -> N:
        calls["inc"] += 1
        return N(n=ctx.input_data.n + 1)

    async def dbl_fn(ctx: StepContext[N, None]) -> N:
        calls["dbl"] += 1
        return N(n=ctx.input_data.n * 2)

    async def ask_fn(ctx: StepContext[N, N]) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return N(n=ctx.input_data.n + ctx.resume_data.n)

    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=inc_fn)
    dbl = create_step(id="dbl", input_schema=N, output_schema=N, execute=dbl_fn)
    ask = create_step(id="ask", input_schema=N, output_schema=N, resume_schema=N, execute=ask_fn)
    sub = create_workflow(id="sub", input_schema=N, output_schema=N).then(dbl).commit()
    flows = [
        create_workflow(id="after", input_schema=N, output_schema=N).then(inc).then(ask).then(inc).commit(),
        create_workflow(id="before", input_schema=N, output_schema=N).then(inc).then(inc).then(ask).commit(),
        create_workflow(id="par", input_schema=N, output_schema=N).then(dbl).then(ask).parallel([dbl, inc]).commit(),
        create_workflow(id="nested", input_schema=N, output_schema=N).then(sub).then(ask).then(sub).commit(),
    ]
    Stepstream(flows, storage=InMemoryStorage())
    for wf in flows:
        run = await wf.create_run()
        log.result(await run.start(input_data={"n": 1}))
        calls.update(inc=0, dbl=0)
        await log.stream(run.resume_stream(step="ask", resume_data={"n": 5}))
        log.note({"workflow": wf.id, "callsOnResume": dict(calls)})
