"""run.watch(cb): the events a watcher receives while the run starts, suspends and is resumed, in
order, with their payloads (ids and timestamps dropped): step start, result, finish and suspended
events, a nested workflow's inner steps (ids "inner.dbl"); no workflow-start/finish. (Writer output
is left out: Mastra gives it to watchers only while a stream() is open; stepstream always does.)"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, WorkflowEvent, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

DROP = {"runId", "stepCallId", "startedAt", "endedAt", "suspendedAt", "resumedAt", "timestamp"}


class N(BaseModel):
    n: int


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in DROP}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


async def scenario(log: Log) -> None:
    def ask_fn(ctx: StepContext) -> N:
        if ctx.resume_data:
            return N(n=ctx.input_data.n + ctx.resume_data.n)
        ctx.suspend({"why": "need n"})

    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    dbl = create_step(id="dbl", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 2))
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(dbl).commit()
    ask = create_step(id="ask", input_schema=N, output_schema=N, resume_schema=N, execute=ask_fn)
    wf = create_workflow(id="watch-events", input_schema=N, output_schema=N).then(inc).then(inner).then(ask).commit()
    run = await wf.create_run()
    seen: list[dict[str, Any]] = []

    def on_event(ev: WorkflowEvent) -> None:
        seen.append({"type": ev.type, "payload": clean(ev.to_dict()["payload"])})

    unwatch = run.watch(on_event)
    log.result(await run.start(input_data={"n": 1}))
    log.note(seen[:])
    seen.clear()
    log.result(await run.resume(step="ask", resume_data={"n": 5}))
    log.note(seen[:])
    unwatch()
