"""A branch whose two conditions both hold runs both steps; both suspend. A resume without a step
is refused ("Multiple suspended steps found"); each branch is then resumed by id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import Step, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class R(BaseModel):
    ok: bool


class Who(BaseModel):
    who: str


def make(step_id: str) -> Step:
    async def execute(ctx: StepContext) -> Who:
        if ctx.resume_data is None:
            await ctx.suspend({"ask": f"{step_id} {ctx.input_data.n}"})
        return Who(who=step_id + (" yes" if ctx.resume_data.ok else " no"))

    return create_step(id=step_id, input_schema=N, output_schema=Who, resume_schema=R, execute=execute)


async def scenario(log: Log) -> None:
    wf = (
        create_workflow(id="branch-suspend", input_schema=N, output_schema=Any)
        .branch([(lambda ctx: ctx.input_data.n > 0, make("first")), (lambda ctx: ctx.input_data.n < 10, make("second"))])
        .commit()
    )
    run = await wf.create_run()
    started = log.result(await run.start(input_data={"n": 5}))
    log.note({"suspended": started.suspended})
    try:
        await run.resume(resume_data={"ok": True})
        log.note("resumed without a step")
    except Exception as exc:
        log.error(exc)
    log.result(await run.resume(step="second", resume_data={"ok": False}))
    log.result(await run.resume(step="first", resume_data={"ok": True}))
