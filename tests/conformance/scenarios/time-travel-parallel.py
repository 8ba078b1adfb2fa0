"""Time travel on a new run to one branch of a 3-way parallel block with only input_data: the step
before the block is filled in (payload {}, output = input_data) and never runs; the siblings are
filled in as success with payload = input_data and output {}; only the target and the step after
the block run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import Step, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

ORDER = "per-step"


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    calls: list[str] = []

    def make(step_id: str, f: Callable[[int], int]) -> Step:
        async def execute(ctx: StepContext) -> N:
            calls.append(step_id)
            return N(n=f(ctx.input_data.n))

        return create_step(id=step_id, input_schema=N, output_schema=N, execute=execute)

    def see(ctx: StepContext) -> dict[str, Any]:
        calls.append("last")
        return {"seen": ctx.input_data}

    first = make("first", lambda n: n + 1)
    p1 = make("p1", lambda n: n * 2)
    p2 = make("p2", lambda n: n * 3)
    p3 = make("p3", lambda n: n * 4)
    last = create_step(id="last", input_schema=Any, output_schema=Any, execute=see)
    wf = create_workflow(id="travel-par", input_schema=N, output_schema=Any).then(first).parallel([p1, p2, p3]).then(last).commit()
    run = await wf.create_run()
    log.result(await run.time_travel(step="p2", input_data={"n": 5}))
    log.note({"calls": calls})
