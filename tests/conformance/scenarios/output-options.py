"""output_options: include_state adds the state to the result's JSON, include_resume_labels the
resume labels of a suspended result; by default neither (the Python attributes are always set)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, WorkflowResult, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class S(BaseModel):
    count: int


class Ok(BaseModel):
    ok: bool


async def ask_execute(ctx: StepContext[Any, Ok]) -> dict[str, bool]:
    await ctx.set_state({"count": ctx.state.count + 1})
    if ctx.resume_data is None:
        await ctx.suspend({"why": "approve"}, resume_label="approve")
    assert ctx.resume_data is not None
    return {"ok": ctx.resume_data.ok}


async def scenario(log: Log) -> None:
    ask = create_step(id="ask", input_schema=Any, output_schema=Any, state_schema=S, resume_schema=Ok, execute=ask_execute)
    wf = create_workflow(id="out", input_schema=Any, output_schema=Any, state_schema=S).then(ask).commit()

    def show(r: WorkflowResult) -> None:
        d = r.to_dict()
        note: dict[str, Any] = {"status": d["status"], "hasState": "state" in d}
        if "state" in d:
            note["state"] = d["state"]
        note["hasLabels"] = "resumeLabels" in d
        if "resumeLabels" in d:
            note["labels"] = d["resumeLabels"]
        log.note(note)

    both = {"include_state": True, "include_resume_labels": True}
    r1 = await wf.create_run()
    show(await r1.start(input_data={}, initial_state={"count": 0}))
    show(await r1.resume(resume_data={"ok": True}))
    r2 = await wf.create_run()
    show(await r2.start(input_data={}, initial_state={"count": 0}, output_options=both))
    show(await r2.resume(label="approve", resume_data={"ok": True}, output_options={"includeState": True, "includeResumeLabels": True}))
    r3 = await wf.create_run()
    s3 = r3.stream(input_data={}, initial_state={"count": 5}, output_options={"include_resume_labels": True})
    async for _ in s3:
        pass
    show(await s3.result)
    show(await r3.time_travel(step="ask", resume_data={"ok": False}, output_options={"include_state": True}))
