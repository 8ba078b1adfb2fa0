"""A foreach item that throws fails the whole run (the next step never runs); its progress event
says iterationStatus "failed". Noted field by field (internal foreach bookkeeping is not compared)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


def halve_item(ctx: StepContext) -> N:
    if ctx.input_data.n % 2:
        raise ValueError(f"odd item {ctx.input_data.n}")
    return N(n=ctx.input_data.n // 2)


def summary(event: dict[str, Any]) -> dict[str, Any]:
    p = event["payload"] or {}
    if event["type"] == "workflow-step-progress":
        keys = ("id", "completedCount", "totalCount", "currentIndex", "iterationStatus", "iterationOutput")
        out = {k: p[k] for k in keys if p.get(k) is not None}
    elif event["type"] == "workflow-step-result":
        out = {"id": p["id"], "status": p["status"], "error": (p.get("error") or {}).get("message")}
    elif event["type"] == "workflow-finish":
        out = {"workflowStatus": p["workflowStatus"]}
    else:
        out = {"id": p.get("id")}
    return {"type": event["type"], **{k: v for k, v in out.items() if v is not None}}


async def scenario(log: Log) -> None:
    halve = create_step(id="halve", input_schema=N, output_schema=N, execute=halve_item)
    never = create_step(id="never", input_schema=list[N], output_schema=list[N], execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="each-fails", input_schema=list[N], output_schema=list[N]).foreach(halve).then(never).commit()
    stream = (await wf.create_run()).stream(input_data=[{"n": 2}, {"n": 3}, {"n": 4}])
    events = [ev.to_dict() async for ev in stream]
    result = (await stream.result).to_dict()
    log.note([summary(e) for e in events])
    log.note(
        {
            "status": result["status"],
            "error": result["error"]["message"],
            "halve": result["steps"]["halve"]["status"],
            "halveError": result["steps"]["halve"]["error"]["message"],
            "ranNever": "never" in result["steps"],
        }
    )
