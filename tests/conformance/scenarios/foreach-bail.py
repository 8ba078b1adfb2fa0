"""A step that bails inside foreach: the foreach's step-result says "bailed" (as a plain step's
bail does), the progress events carry Mastra's iterationStatus values and count the bailed item as
completed ("failed" is Mastra's iterationStatus for a bailed item), and the run ends successfully
with the bail value. The foreach's step-result payload is dropped: Mastra puts the bailed item's
input there, stepstream the foreach's input (as in its step-start and its record)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, WorkflowEvent, WorkflowStream, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class DropResultPayload:
    """The stream's events, with the payload of step-result events dropped."""

    def __init__(self, stream: WorkflowStream):
        self.inner = stream
        self.result = stream.result

    async def __aiter__(self) -> AsyncIterator[WorkflowEvent]:
        async for ev in self.inner:
            if ev.type == "workflow-step-result":
                ev = WorkflowEvent(ev.type, ev.run_id, {k: v for k, v in ev.payload.items() if k != "payload"}, ev.from_)
            yield ev


async def scenario(log: Log) -> None:
    def each_fn(ctx: StepContext) -> N:
        if ctx.input_data.n == 2:
            ctx.bail(N(n=-1))
        return N(n=ctx.input_data.n * 10)

    each = create_step(id="each", input_schema=N, output_schema=N, execute=each_fn)
    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="foreach-bail", input_schema=list[N], output_schema=Any).foreach(each).then(after).commit()
    run = await wf.create_run()
    stream: Any = DropResultPayload(run.stream(input_data=[{"n": 1}, {"n": 2}, {"n": 3}]))
    await log.stream(stream)
