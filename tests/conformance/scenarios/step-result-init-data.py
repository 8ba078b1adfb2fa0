"""get_step_result and get_init_data inside a later step: get_step_result takes a step or an id, returns
the step's output, and None for a step that never ran; get_init_data returns the workflow input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class In(BaseModel):
    name: str


class Text(BaseModel):
    text: str


class Len(BaseModel):
    len: int


async def scenario(log: Log) -> None:
    greet = create_step(id="greet", input_schema=In, output_schema=Text, execute=lambda ctx: Text(text="hello " + ctx.input_data.name))
    count = create_step(id="count", input_schema=Text, output_schema=Len, execute=lambda ctx: Len(len=len(ctx.input_data.text)))
    unused = create_step(id="unused", input_schema=Any, output_schema=Any, execute=lambda ctx: {})

    def look_up(ctx: StepContext) -> dict[str, Any]:
        return {
            "len": ctx.input_data.len,
            "byStep": ctx.get_step_result(greet),
            "byId": ctx.get_step_result("greet"),
            "missing": ctx.get_step_result(unused),
            "init": ctx.get_init_data(),
        }

    look = create_step(id="look", input_schema=Len, output_schema=Any, execute=look_up)
    wf = create_workflow(id="lookups", input_schema=In, output_schema=Any).then(greet).then(count).then(look).commit()
    log.result(await (await wf.create_run()).start(input_data={"name": "ann"}))
