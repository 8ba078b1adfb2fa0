"""run.watch(cb): the events a watcher receives while the run starts, suspends and is resumed, in
order, with their payloads (ids and timestamps dropped): step start, result, finish and suspended
events, a nested workflow's inner steps (ids "inner.dbl"); no workflow-start/finish. (Writer output
is left out: Mastra gives it to watchers only while a stream() is open; stepstream always does.)
Then over a sleep, a map, a foreach and a failing step, and over a canceled run: waiting/result/
finish for the sleep (its result carries no payload; sleep ids reduced), progress for the foreach
(its result carries the output, no payload), a finish after the failed result (its error noted by
message), and workflow-canceled for the cancel."""

from __future__ import annotations

import asyncio
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
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in DROP:
                continue
            if k == "id" and isinstance(v, str) and v.startswith("sleep_"):
                out[k] = "sleep_*"
            elif k == "error":
                out[k] = v.get("message") if isinstance(v, dict) else str(v)
            else:
                out[k] = clean(v)
        return out
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
    seen.clear()

    def boom_fn(ctx: StepContext) -> N:
        raise RuntimeError("bad")

    each = create_step(id="each", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 3))
    boom = create_step(id="boom", input_schema=Any, output_schema=N, execute=boom_fn)
    wf3 = (
        create_workflow(id="watch-kinds", input_schema=N, output_schema=N)
        .sleep(5)
        .map(lambda ctx: [ctx.input_data, {"n": 2}], id="pair")
        .foreach(each, concurrency=1)
        .then(boom)
        .commit()
    )
    run3 = await wf3.create_run()
    run3.watch(on_event)
    await run3.start(input_data={"n": 1})
    log.note(seen[:])
    seen.clear()

    async def wait_fn(ctx: StepContext) -> N:
        await ctx.abort_signal.wait()
        data: N = ctx.input_data
        return data

    wait = create_step(id="wait", input_schema=N, output_schema=N, execute=wait_fn)
    wf2 = create_workflow(id="watch-cancel", input_schema=N, output_schema=N).then(wait).commit()
    run2 = await wf2.create_run()
    run2.watch(on_event)
    task = asyncio.create_task(run2.start(input_data={"n": 1}))
    await asyncio.sleep(0.03)
    await run2.cancel()
    await task
    log.note(seen[:])
