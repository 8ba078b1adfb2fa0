"""time_travel(nested_steps_context=): records of steps inside a nested workflow, keyed by the
nested workflow's id; the target gets the given output as input, nothing before it runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    calls: list[str] = []

    def mk(step_id: str, f: Callable[[int], int]) -> Any:
        def execute(ctx: Any) -> N:
            calls.append(step_id)
            return N(n=f(ctx.input_data.n))

        return create_step(id=step_id, input_schema=N, output_schema=N, execute=execute)

    step1, step2 = mk("step1", lambda n: n + 1), mk("step2", lambda n: n * 10)
    step3, step4 = mk("step3", lambda n: n + 7), mk("step4", lambda n: n * 2)
    nested = create_workflow(id="nested", input_schema=N, output_schema=N).then(step2).then(step3).commit()
    wf = create_workflow(id="travel-ctx", input_schema=N, output_schema=N).then(step1).then(nested).then(step4).commit()
    run = await wf.create_run()
    log.result(await run.start(input_data={"n": 1}))
    calls.clear()
    now = int(time.time() * 1000)
    log.result(
        await run.time_travel(
            step="nested.step3",
            context={"step1": {"status": "success", "payload": {"n": 1}, "output": {"n": 3}, "startedAt": now, "endedAt": now}},
            nested_steps_context={
                "nested": {"step2": {"status": "success", "payload": {"n": 3}, "output": {"n": 42}, "startedAt": now, "endedAt": now}}
            },
        )
    )
    log.note({"calls": calls})
