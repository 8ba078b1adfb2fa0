"""get_run: Mastra's WorkflowState for a suspended run with a nested workflow, with and without
nested steps, with `fields`, and after the resume. Ids and times are noted by type only; the
serializedStepGraph is reduced to its entry types (its full shape is not compared here), and the
engine's internal `__workflow_meta` (each engine's own bookkeeping) is dropped from suspend
payloads. A resumed step's settled record keeps its `suspendedAt` in stepstream (as loop and
foreach records do in Mastra): not compared here."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.results import WorkflowState
from stepstream.storage import InMemoryStorage

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

_JS_TYPES = {str: "string", int: "number", float: "number"}


class V(BaseModel):
    value: str


class Ok(BaseModel):
    ok: bool


def clean(state: WorkflowState | None) -> Any:
    if state is None:
        return None
    out: dict[str, Any] = json.loads(json.dumps(state.to_dict()))
    for key in ("runId", "createdAt", "updatedAt"):
        if key in out:
            out[key] = _JS_TYPES[type(out[key])]
    if out.get("resourceId") is None:
        out.pop("resourceId", None)  # absent in Mastra's in-memory store, null in its SQL stores
    if "serializedStepGraph" in out:
        out["serializedStepGraph"] = [entry["type"] for entry in out["serializedStepGraph"]]
    for step in (out.get("steps") or {}).values():
        for key in ("startedAt", "endedAt", "suspendedAt", "resumedAt"):
            if key in step:
                step[key] = _JS_TYPES[type(step[key])]
        if isinstance(step.get("suspendPayload"), dict):
            step["suspendPayload"].pop("__workflow_meta", None)
        if step["status"] not in ("suspended", "running"):
            step.pop("suspendedAt", None)
    return out


async def scenario(log: Log) -> None:
    async def run_gate(ctx: StepContext[V, Ok]) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({"waiting": ctx.input_data.value}, resume_label="approve")
        assert ctx.resume_data is not None
        return V(value=ctx.input_data.value + (" approved" if ctx.resume_data.ok else " rejected"))

    gate = create_step(id="gate", input_schema=V, output_schema=V, resume_schema=Ok, execute=run_gate)
    inner = create_workflow(id="inner", input_schema=V, output_schema=V).then(gate).commit()
    before = create_step(id="before", input_schema=V, output_schema=V, execute=lambda ctx: V(value="doc:" + ctx.input_data.value))
    wf = create_workflow(id="outer", input_schema=V, output_schema=V).then(before).then(inner).commit()
    Stepstream([wf], storage=InMemoryStorage())
    run = await wf.create_run()
    await run.start(input_data={"value": "x"})
    log.note(clean(await wf.get_run(run.run_id)))
    log.note(clean(await wf.get_run(run.run_id, with_nested_workflows=False)))
    log.note(clean(await wf.get_run(run.run_id, fields=["status", "result", "suspendedPaths"])))
    log.note(clean(await wf.get_run(run.run_id, fields=["steps", "requestContext"])))
    await run.resume(step="inner.gate", resume_data={"ok": True})
    log.note(clean(await wf.get_run(run.run_id)))
    log.note(clean(await wf.get_run("no-such-run")))
