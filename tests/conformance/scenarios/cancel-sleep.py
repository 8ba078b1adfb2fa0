"""cancel() during a long sleep ends the run at once as canceled; the step after the sleep never
runs. Event order: ... step-waiting, workflow-canceled, workflow-finish(canceled). Streamed;
the sleep's random id is noted as "sleep_*"."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

TIMEOUT = 5


class N(BaseModel):
    n: int


def sid(step_id: Any) -> Any:
    return "sleep_*" if isinstance(step_id, str) and step_id.startswith("sleep_") else step_id


def summary(event: dict[str, Any]) -> dict[str, Any]:
    p = event.get("payload") or {}
    out = {"type": event["type"], "id": sid(p.get("id")), "status": p.get("status"), "workflowStatus": p.get("workflowStatus")}
    return {k: v for k, v in out.items() if v is not None}


async def scenario(log: Log) -> None:
    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    after = create_step(id="after", input_schema=N, output_schema=N, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="cancel-sleep", input_schema=N, output_schema=N).then(inc).sleep(10000).then(after).commit()
    run = await wf.create_run()
    t0 = time.monotonic()
    stream = run.stream(input_data={"n": 1})

    async def cancel_soon() -> None:
        await asyncio.sleep(0.05)
        await run.cancel()

    canceller = asyncio.create_task(cancel_soon())
    events = [ev.to_dict() async for ev in stream]
    result = (await stream.result).to_dict()
    await canceller
    log.note([summary(e) for e in events])
    steps = result["steps"]
    log.note(
        {
            "status": result["status"],
            "fast": time.monotonic() - t0 < 2,
            "stepIds": sorted(sid(k) for k in steps),
            "inc": {"status": steps["inc"]["status"], "output": steps["inc"].get("output")},
            "ranAfter": "after" in steps,
        }
    )
