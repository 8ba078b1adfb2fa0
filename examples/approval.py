"""Demo: a workflow streams its events, suspends for approval, and resumes with `resume_stream`.

    python examples/approval.py

Runs are stored in SQLite at ./.stepstream/stepstream.db (set STEPSTREAM_STORAGE_URL
to use another store), so the suspended run could equally be resumed by another process.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, WorkflowStream, create_step, create_workflow, step


class Value(BaseModel):
    value: str


class Reason(BaseModel):
    reason: str


@step(input_schema=Value, output_schema=Value)
def prepare(ctx: StepContext) -> Value:
    """Normalises the request."""
    return Value(value=ctx.input_data.value.upper())


@step(input_schema=Value, output_schema=Value, resume_schema=Value, suspend_schema=Reason)
async def approve(ctx: StepContext) -> Value:
    """Waits for a human: suspends until resumed with data."""
    await ctx.writer.write({"note": f"asking a human about {ctx.input_data.value!r}"})
    if ctx.resume_data is None:
        await ctx.suspend({"reason": "needs " + ctx.input_data.value})
    return Value(value=ctx.input_data.value + " + " + ctx.resume_data.value)


finish = create_step(
    id="finish", input_schema=Value, output_schema=Value, execute=lambda ctx: Value(value="[" + ctx.input_data.value + "]")
)

workflow = create_workflow(id="seed", input_schema=Value, output_schema=Value).then(prepare).then(approve).then(finish).commit()

#: The app the command line and the server use: `stepstream run examples.approval:app seed --input '{"value": "hi"}'`.
app = Stepstream(workflows=[workflow])


def show(event: dict[str, Any]) -> str:
    payload = event["payload"]
    kind = event["type"]
    if kind.startswith("workflow-step-"):
        who = payload.get("id") or payload.get("stepName")
        detail = {k: payload[k] for k in ("status", "payload", "output", "suspendPayload", "resumePayload") if k in payload}
        return f"  {kind:26} {who:8} {json.dumps(detail)}"
    if kind == "workflow-finish":
        detail = {"workflowStatus": payload["workflowStatus"], **({"result": payload["finalWorkflowResult"]} if "finalWorkflowResult" in payload else {})}
        return f"  {kind:26} {json.dumps(detail)}"
    return f"  {kind:26} {json.dumps(payload)}"


async def print_stream(title: str, stream: WorkflowStream) -> None:
    print(title)
    async for event in stream:
        print(show(event.to_dict()))
    result = await stream.result
    usage = await stream.usage
    print(f"  -> status={result.status} result={json.dumps(result.to_dict().get('result'))} tokens={usage['totalTokens']}\n")


async def main() -> None:
    async with app:
        wf = app.get_workflow("seed")
        run = await wf.create_run()
        await print_stream(f"stream() of run {run.run_id}:", run.stream(input_data={"value": "initial data"}))
        stored = await wf.get_run(run.run_id)
        print(f"run status now: {run.status}; suspended at {stored.suspended if stored else None}\n")
        await print_stream("resume_stream(resume_data={'value': 'resume data'}):", run.resume_stream(resume_data={"value": "resume data"}))


if __name__ == "__main__":
    asyncio.run(main())
