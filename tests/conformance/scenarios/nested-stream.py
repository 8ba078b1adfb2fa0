"""A nested workflow that succeeds, streamed: the parent emits step events for the nested workflow
("inner") around its inner steps' events, named "inner.<step>"; the parent step after it gets
the nested result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


async def scenario(log: Log) -> None:
    up = create_step(id="up", input_schema=V, output_schema=V, execute=lambda ctx: V(value=ctx.input_data.value.upper()))
    bang = create_step(id="bang", input_schema=V, output_schema=V, execute=lambda ctx: V(value=ctx.input_data.value + "!"))
    inner = create_workflow(id="inner", input_schema=V, output_schema=V).then(up).then(bang).commit()
    before = create_step(id="before", input_schema=V, output_schema=V, execute=lambda ctx: V(value="<" + ctx.input_data.value))
    after = create_step(id="after", input_schema=V, output_schema=V, execute=lambda ctx: V(value=ctx.input_data.value + ">"))
    wf = create_workflow(id="outer", input_schema=V, output_schema=V).then(before).then(inner).then(after).commit()
    await log.stream((await wf.create_run()).stream(input_data={"value": "hi"}))
