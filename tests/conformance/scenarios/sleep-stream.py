"""A 20 ms sleep between two steps, streamed: workflow-step-waiting, then a step-result whose
output equals its input. Sleep ids are random (sleep_<uuid>), so events and results are noted
with the sleep id reduced to "sleep_*" (and without step-result payloads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


def sid(step_id: Any) -> Any:
    return "sleep_*" if isinstance(step_id, str) and step_id.startswith("sleep_") else step_id


def summary(event: dict[str, Any]) -> dict[str, Any]:
    p = event["payload"] or {}
    out = {
        "type": event["type"],
        "id": sid(p.get("id")),
        "status": p.get("status"),
        "payload": None if event["type"] == "workflow-step-result" else p.get("payload"),
        "output": p.get("output"),
        "workflowStatus": p.get("workflowStatus"),
    }
    return {k: v for k, v in out.items() if v is not None}


async def scenario(log: Log) -> None:
    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    dbl = create_step(id="dbl", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 2))
    wf = create_workflow(id="sleepy", input_schema=N, output_schema=N).then(inc).sleep(20).then(dbl).commit()
    stream = (await wf.create_run()).stream(input_data={"n": 1})
    events = [ev.to_dict() async for ev in stream]
    result = (await stream.result).to_dict()
    log.note([summary(e) for e in events])
    steps = {sid(k): v if k == "input" else {"status": v["status"], "output": v.get("output")} for k, v in result["steps"].items()}
    log.note({"status": result["status"], "result": result["result"], "steps": steps})
