"""The workflow-step-result event of a sleep carries the sleep's output and no payload (the
sleep id is random in Mastra, so each event is noted with its keys and the id reduced)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


SKIP = {"id", "stepName", "stepCallId", "startedAt", "endedAt", "runId"}


async def scenario(log: Log) -> None:
    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    wf = create_workflow(id="sleep-result", input_schema=N, output_schema=N).then(inc).sleep(5).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})
    events = [ev.to_dict() async for ev in stream]
    await stream.result
    notes = []
    for ev in events:
        p = ev["payload"]
        if str(p.get("id", "")).startswith("sleep_"):
            note = {"type": ev["type"], "keys": sorted(k for k in p if k not in SKIP), "status": p.get("status")}
            for key in ("output", "payload"):
                if key in p:
                    note[key] = p[key]
            notes.append(note)
    log.note(notes)
