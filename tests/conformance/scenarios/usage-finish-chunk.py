"""A step forwards two agent-style `finish` chunks through writer.write (two "agent calls"): each
appears as a workflow-step-output, and the stream's usage adds them up (workflow-finish's
output.usage and `await stream.usage`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    @step(input_schema=N, output_schema=N)
    async def agentish(ctx: StepContext) -> N:
        for _ in range(2):
            await ctx.writer.write({"type": "finish", "payload": {"usage": {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30}}})
        return N(n=ctx.input_data.n + 1)

    wf = create_workflow(id="usage", input_schema=N, output_schema=N).then(agentish).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})
    await log.stream(stream)
    log.note({"usage": await stream.usage})
