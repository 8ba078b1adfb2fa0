"""foreach (concurrency 3) where odd items suspend: resume them one index at a time with
for_each_index; in a second run, one plain resume resumes every suspended item at once.
Suspended results are noted field by field (the record's internal foreach bookkeeping is not compared)."""

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


async def check_item(ctx: StepContext) -> N:
    if ctx.input_data.n % 2 == 0:
        return N(n=ctx.input_data.n * 10)
    if ctx.resume_data is None:
        await ctx.suspend({"item": ctx.input_data.n})
    return N(n=ctx.input_data.n + ctx.resume_data.add)


def brief(result: WorkflowResult) -> dict[str, Any]:
    d = result.to_dict()
    return {
        "status": d["status"],
        "suspended": d.get("suspended"),
        "suspendPayload": d.get("suspendPayload"),
        "check": d["steps"]["check"]["status"],
    }


async def scenario(log: Log) -> None:
    check = create_step(id="check", input_schema=N, output_schema=N, resume_schema=Add, execute=check_item)
    wf = create_workflow(id="each-suspend", input_schema=list[N], output_schema=list[N]).foreach(check, concurrency=3).commit()
    items = [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]

    run = await wf.create_run()
    stream = run.stream(input_data=items)
    events = [ev.to_dict() async for ev in stream]
    log.note([e["type"] for e in events if e["type"] != "workflow-step-progress"])
    progress = [e["payload"] for e in events if e["type"] == "workflow-step-progress"]
    log.note(sorted([p["currentIndex"], p["iterationStatus"], p["totalCount"]] for p in progress))
    log.note(brief(await stream.result))
    log.note(brief(await run.resume(for_each_index=2, resume_data={"add": 100})))
    log.result(await run.resume(for_each_index=0, resume_data={"add": 200}))

    run2 = await wf.create_run()
    log.note(brief(await run2.start(input_data=items)))
    log.result(await run2.resume(resume_data={"add": 5}))
