"""Time travel: after a 3-step run finishes, time_travel(step="step2", input_data=...) re-runs from
step2 with that input; step1 is not run again (its record's output becomes the given input) and
step3 gets step2's new output."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

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
    step3 = make("step3", lambda n: n - 3)
    wf = create_workflow(id="travel", input_schema=N, output_schema=N).then(step1).then(step2).then(step3).commit()
    run = await wf.create_run()
    log.result(await run.start(input_data={"n": 1}))
    log.note({"calls": calls[:]})
    calls.clear()
    log.result(await run.time_travel(step="step2", input_data={"n": 5}))
    log.note({"calls": calls[:]})
