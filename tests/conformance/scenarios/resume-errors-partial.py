"""After partial progress (first step resumed, second now suspended): resuming the finished first
step is refused ("This workflow step ... was not suspended"), resume data that breaks the
schema is refused ("Invalid resume data") and leaves the run resumable; a valid resume finishes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import Step, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class Answer(BaseModel):
    answer: str


def make(step_id: str) -> Step:
    async def execute(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({"asking": step_id})
        return V(value=f"{ctx.input_data.value} {step_id}={ctx.resume_data.answer}")

    return create_step(id=step_id, input_schema=V, output_schema=V, resume_schema=Answer, execute=execute)


async def scenario(log: Log) -> None:
    wf = create_workflow(id="partial", input_schema=V, output_schema=V).then(make("one")).then(make("two")).commit()
    run = await wf.create_run()
    await run.start(input_data={"value": "q"})
    log.result(await run.resume(step="one", resume_data={"answer": "a"}))
    for kwargs, note in (
        ({"step": "one", "resume_data": {"answer": "again"}}, "resumed a finished step"),
        ({"step": "two", "resume_data": {"answer": 7}}, "accepted bad resume data"),
        ({"resume_data": {}}, "accepted missing resume data"),
    ):
        try:
            await run.resume(**kwargs)
            log.note(note)
        except Exception as exc:
            log.error(exc)
    log.result(await run.resume(step="two", resume_data={"answer": "b"}))
