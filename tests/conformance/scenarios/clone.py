"""clone_step / clone_workflow: the same definition under a new id; a cloned step is a separate
step of the flow, and a workflow and its clone can be nested side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import clone_step, clone_workflow, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    add = create_step(id="add", description="adds one", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    add2 = clone_step(add, id="add2")
    log.note({"id": add2.id, "description": add2.description})
    twice = create_workflow(id="twice", input_schema=N, output_schema=N).then(add).then(add2).commit()
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(add).commit()
    inner2 = clone_workflow(inner, id="inner2")
    log.note({"id": inner2.id})
    outer = create_workflow(id="outer", input_schema=N, output_schema=N).then(inner).then(inner2).commit()
    await log.stream((await twice.create_run()).stream(input_data={"n": 0}))
    await log.stream((await outer.create_run()).stream(input_data={"n": 10}))
    log.result(await (await inner2.create_run()).start(input_data={"n": 100}))
