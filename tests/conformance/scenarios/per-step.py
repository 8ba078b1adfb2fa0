"""per_step: one entry of the flow, then status 'paused' (no result), stored 'paused', with a
'workflow-paused' event before 'workflow-finish'; a loop or a foreach is one entry; resume()
refuses a paused run; time travel to the next step continues it. (After the last entry stepstream
ends the run 'success' where Mastra pauses for good; the scenario finishes without per_step.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import ResumeError, Run, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class Add(BaseModel):
    add: int


def mk(step_id: str, d: int) -> Any:
    return create_step(id=step_id, input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + d))


async def ask_execute(ctx: StepContext[N, Add]) -> N:
    if ctx.resume_data is None:
        await ctx.suspend({"q": 1})
    assert ctx.resume_data is not None
    return N(n=ctx.input_data.n + ctx.resume_data.add)


async def scenario(log: Log) -> None:
    a, b, c = mk("a", 1), mk("b", 10), mk("c", 100)
    ask = create_step(id="ask", input_schema=N, output_schema=N, resume_schema=Add, execute=ask_execute)
    seq = create_workflow(id="seq", input_schema=N, output_schema=N).then(a).then(b).then(c).commit()
    loop = create_workflow(id="loop", input_schema=N, output_schema=N).dountil(a, lambda ctx: ctx.input_data.n >= 3).then(c).commit()
    count = create_step(id="count", execute=lambda ctx: len(ctx.input_data))
    each = create_workflow(id="each", input_schema=list[N], output_schema=Any).foreach(a).then(count).commit()
    sus = create_workflow(id="sus", input_schema=N, output_schema=N).then(ask).then(c).commit()

    async def stored(run: Run) -> None:
        record = await run.workflow.storage.load_run(run.workflow_id, run.run_id)
        log.note({"stored": record.status if record is not None else None})

    run = await seq.create_run()
    await log.stream(run.stream(input_data={"n": 0}, per_step=True))
    await stored(run)
    try:
        await run.resume(resume_data={})
    except ResumeError as exc:
        log.error(exc)
    await log.stream(run.time_travel_stream(step="b", per_step=True))
    log.result(await run.time_travel(step="c"))
    await stored(run)

    await log.stream((await loop.create_run()).stream(input_data={"n": 0}, per_step=True))
    log.result(await (await each.create_run()).start(input_data=[{"n": 0}, {"n": 5}], per_step=True))

    r2 = await sus.create_run()
    await log.stream(r2.stream(input_data={"n": 0}, per_step=True))
    await log.stream(r2.resume_stream(resume_data={"add": 5}, per_step=True))
    await stored(r2)
    log.result(await r2.time_travel(step="c"))
