"""foreach (concurrency 2) over a nested workflow of two steps: every item runs through both steps
and the result is the list of the nested workflow's outputs in item order. Progress events name
the foreach step (stepName and id) and carry each item's output.
Items settle concurrently: progress events are compared in index order (without completedCount).
Only the events of the foreach step itself are compared: Mastra runs foreach items without step
events, so the nested workflow's own steps emit nothing there, while stepstream emits them as
"inner[i].step" (an open question, not recorded here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    double = create_step(id="double", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 2))
    plus_one = create_step(id="plus-one", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(double).then(plus_one).commit()
    wf = create_workflow(id="each-nested", input_schema=list[N], output_schema=list[N]).foreach(inner, concurrency=2).commit()
    run = await wf.create_run()
    stream = run.stream(input_data=[{"n": 1}, {"n": 2}, {"n": 3}])
    events = [ev.to_dict() async for ev in stream]
    own = [e for e in events if (e.get("payload") or {}).get("id") in (None, "inner")]
    log.note([e["type"] for e in own if e["type"] != "workflow-step-progress"])
    progress = [
        {k: v for k, v in e["payload"].items() if k not in ("completedCount", "runId")}
        for e in own
        if e["type"] == "workflow-step-progress"
    ]
    log.note(sorted(progress, key=lambda p: p["currentIndex"]))
    log.result(await stream.result)
