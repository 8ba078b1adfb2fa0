"""foreach (concurrency 1) whose odd items suspend, streamed, then one item resumed by index
with resume_stream: the foreach's workflow-step-start carries the items, and its
workflow-step-suspended carries the first suspended item's own suspend payload only
(no items, no per-item bookkeeping), on the start and on the resume. Times and call ids are
left out of the notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, WorkflowStream, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class Add(BaseModel):
    add: int


async def check_item(ctx: StepContext) -> N:
    if ctx.input_data.n % 2 == 0:
        return N(n=ctx.input_data.n * 10)
    if ctx.resume_data is None:
        await ctx.suspend({"item": ctx.input_data.n})
    return N(n=ctx.input_data.n + ctx.resume_data.add)


DROP = {"startedAt", "endedAt", "suspendedAt", "resumedAt", "stepCallId"}


async def steps(log: Log, stream: WorkflowStream) -> None:
    events = []
    async for ev in stream:
        d = ev.to_dict()
        if d["type"].startswith("workflow-step-") and d["type"] != "workflow-step-progress":
            events.append({"type": d["type"], "payload": {k: v for k, v in d["payload"].items() if k not in DROP}})
    log.note(events)
    result = (await stream.result).to_dict()
    log.note({k: result[k] for k in ("status", "suspended", "suspendPayload") if k in result})


async def scenario(log: Log) -> None:
    check = create_step(id="check", input_schema=N, output_schema=N, resume_schema=Add, execute=check_item)
    wf = create_workflow(id="each-events", input_schema=list[N], output_schema=list[N]).foreach(check, concurrency=1).commit()
    run = await wf.create_run()
    await steps(log, run.stream(input_data=[{"n": 2}, {"n": 1}, {"n": 3}]))
    await steps(log, run.resume_stream(for_each_index=1, resume_data={"add": 100}))
    await steps(log, run.resume_stream(for_each_index=2, resume_data={"add": 7}))
