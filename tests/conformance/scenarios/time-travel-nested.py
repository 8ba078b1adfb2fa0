"""Time travel on a new run into a nested workflow, target "nested.step3" with only input_data: the
outer step before the nested workflow is filled in (output {}), the nested step before the target
is filled in with output = input_data; only step3 and the steps after it run.
The nested workflow's input_schema is Any: Mastra validates the nested workflow's filled-in input
({}, the placeholder output of step1) against it and fails the run otherwise (a Mastra bug this
scenario does not record)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import Step, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    calls: list[str] = []

    def make(step_id: str, f: Callable[[int], int]) -> Step:
        def execute(ctx: StepContext) -> N:
            calls.append(step_id)
            return N(n=f(ctx.input_data.n))

        return create_step(id=step_id, input_schema=N, output_schema=N, execute=execute)

    step1 = make("step1", lambda n: n + 1)
    step2 = make("step2", lambda n: n * 10)
    step3 = make("step3", lambda n: n + 7)
    step4 = make("step4", lambda n: n * 2)
    nested = create_workflow(id="nested", input_schema=Any, output_schema=N).then(step2).then(step3).commit()
    wf = create_workflow(id="travel-nested", input_schema=N, output_schema=N).then(step1).then(nested).then(step4).commit()
    run = await wf.create_run()
    log.result(await run.time_travel(step="nested.step3", input_data={"n": 5}))
    log.note({"calls": calls})
