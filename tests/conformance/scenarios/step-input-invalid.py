"""A step whose input breaks its schema mid-workflow fails the run (start resolves, it does not
raise); the message starts "Step input validation failed"; the next step never runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class Result(BaseModel):
    result: str


class Start(BaseModel):
    start: str


class Done(BaseModel):
    done: bool


async def scenario(log: Log) -> None:
    produce = create_step(id="produce", input_schema=N, output_schema=Result, execute=lambda ctx: Result(result=f"got {ctx.input_data.n}"))
    consume = create_step(id="consume", input_schema=Start, output_schema=Done, execute=lambda ctx: Done(done=True))
    never = create_step(id="never", input_schema=Any, output_schema=Any, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="bad-step-input", input_schema=N, output_schema=Any).then(produce).then(consume).then(never).commit()
    await log.stream((await wf.create_run()).stream(input_data={"n": 1}))
    result = log.result(await (await wf.create_run()).start(input_data={"n": 2}))
    log.note({"mentionsField": "start" in result.to_dict()["error"]["message"]})
