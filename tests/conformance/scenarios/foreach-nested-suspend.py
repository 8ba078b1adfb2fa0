"""foreach (concurrency 2) over a nested workflow whose second step suspends for the last item: the
run is suspended on [inner, gate] after the other items finished; resume with for_each_index (and
the dotted path) resumes that item only, and the result lists every item's output in order.
The suspended result is noted field by field (the foreach record's internal bookkeeping is not
compared). The suspending item is the last one: in Mastra, an item that starts after another
item's nested workflow suspended fails with "Invalid resume data" (a Mastra bug not recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class Add(BaseModel):
    add: int


async def scenario(log: Log) -> None:
    calls: list[str] = []

    async def run_double(ctx: StepContext) -> N:
        calls.append(f"double:{ctx.input_data.n}")
        return N(n=ctx.input_data.n * 2)

    async def run_gate(ctx: StepContext) -> N:
        calls.append(f"gate:{ctx.input_data.n}")
        if ctx.input_data.n != 6:
            return N(n=ctx.input_data.n + 1)
        if ctx.resume_data is None:
            await ctx.suspend({"hold": ctx.input_data.n})
        return N(n=ctx.input_data.n + ctx.resume_data.add)

    double = create_step(id="double", input_schema=N, output_schema=N, execute=run_double)
    gate = create_step(id="gate", input_schema=N, output_schema=N, resume_schema=Add, execute=run_gate)
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(double).then(gate).commit()
    wf = create_workflow(id="each-nested-suspend", input_schema=list[N], output_schema=list[N]).foreach(inner, concurrency=2).commit()
    run = await wf.create_run()
    first = (await run.start(input_data=[{"n": 1}, {"n": 2}, {"n": 3}])).to_dict()
    log.note(
        {
            "status": first["status"],
            "suspended": first.get("suspended"),
            "suspendPayload": first.get("suspendPayload"),
            "inner": first["steps"]["inner"]["status"],
            "calls": sorted(calls),
        }
    )
    calls.clear()
    log.result(await run.resume(step="inner.gate", for_each_index=2, resume_data={"add": 100}))
    log.note({"calls": sorted(calls)})
