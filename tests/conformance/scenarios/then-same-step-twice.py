"""`.then(s).then(s)`: the same step twice in a row. Both run, each on the previous output, and the
run's record for the step id holds the second execution (one `steps` entry per id)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    wf = create_workflow(id="twice", input_schema=N, output_schema=N).then(inc).then(inc).commit()
    Stepstream([wf], storage=InMemoryStorage())
    await log.stream((await wf.create_run()).stream(input_data={"n": 1}))
    run = await wf.create_run()
    result = await run.start(input_data={"n": 10})
    log.result(result)
    state = await wf.get_run(run.run_id)
    assert state is not None
    inc_record = state.to_dict()["steps"]["inc"]
    data = result.to_dict()
    log.note(
        {
            "steps": list(state.steps),
            "inc": inc_record["output"],
            "payload": inc_record["payload"],
            "path": list(data["steps"]),
            "executionPath": data["stepExecutionPath"],
        }
    )
