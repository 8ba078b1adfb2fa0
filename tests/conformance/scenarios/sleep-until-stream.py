"""sleep_until with a date 20 ms ahead between two steps, streamed: the event types (the waiting
event, then the sleep's result) and the run result. The sleep node's id is random in Mastra, so
only event types, the run's status and result, the outputs of the named steps and the number of
sleep records are noted; the run ends after the date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    dbl = create_step(id="dbl", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 2))
    until = datetime.now(UTC) + timedelta(milliseconds=20)
    wf = create_workflow(id="sleepy-until", input_schema=N, output_schema=N).then(inc).sleep_until(until).then(dbl).commit()
    stream = (await wf.create_run()).stream(input_data={"n": 1})
    events = [ev.to_dict() async for ev in stream]
    result = (await stream.result).to_dict()
    log.note([e["type"] for e in events])
    steps = result["steps"]
    log.note(
        {
            "status": result["status"],
            "result": result["result"],
            "inc": steps["inc"]["output"],
            "dbl": steps["dbl"]["output"],
            "sleeps": len([k for k in steps if k.startswith("sleep")]),
            "waited": datetime.now(UTC) >= until,
        }
    )
