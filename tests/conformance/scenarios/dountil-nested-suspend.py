"""dountil over a nested workflow whose step suspends on every iteration: each resume finishes one
iteration, the loop condition runs and the next iteration suspends again. The condition's
iteration_count keeps counting across resumes (1, then 2), and so does the loop record's metadata.
The second suspension is noted field by field: Mastra's loop record there still carries the previous
iteration's resumePayload, although that iteration's step got no resume data (a stale carry-over
this scenario does not record)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, WorkflowResult, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class Add(BaseModel):
    add: int


async def scenario(log: Log) -> None:
    seen: list[list[int | None]] = []

    async def run_ask(ctx: StepContext) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"at": ctx.input_data.n})
        return N(n=ctx.input_data.n + ctx.resume_data.add)

    def done(ctx: StepContext) -> bool:
        seen.append([ctx.input_data.n, ctx.iteration_count])
        data: N = ctx.input_data
        return data.n >= 20

    ask = create_step(id="ask", input_schema=N, output_schema=N, resume_schema=Add, execute=run_ask)
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(ask).commit()
    wf = create_workflow(id="loop-suspend", input_schema=N, output_schema=N).dountil(inner, done).commit()
    run = await wf.create_run()

    def meta(result: WorkflowResult) -> Any:
        record = result.to_dict()["steps"].get("inner") or {}
        return record.get("metadata")

    first = log.result(await run.start(input_data={"n": 0}))
    log.note({"suspended": first.suspended, "seen": seen[:], "meta": meta(first)})
    seen.clear()
    second = (await run.resume(step="inner.ask", resume_data={"add": 10})).to_dict()
    log.note(
        {
            "status": second["status"],
            "suspended": second["suspended"],
            "suspendPayload": second["suspendPayload"],
            "inner": second["steps"]["inner"]["status"],
            "seen": seen[:],
            "meta": second["steps"]["inner"].get("metadata"),
        }
    )
    seen.clear()
    third = log.result(await run.resume(step="inner.ask", resume_data={"add": 10}))
    log.note({"seen": seen[:], "meta": meta(third)})
