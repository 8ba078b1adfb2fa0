"""get_step_result of a step that is in the workflow but never ran (its branch was not taken)
returns None; inside a nested workflow, get_init_data returns the nested workflow's input (the
output of the step before it), not the outer run's input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    prep = create_step(id="prep", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 10))
    big = create_step(id="big", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    small = create_step(id="small", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n - 1))
    look = create_step(
        id="look",
        input_schema=N,
        output_schema=Any,
        execute=lambda ctx: {"n": ctx.input_data.n, "init": ctx.get_init_data(), "first": ctx.get_step_result("first")},
    )
    inner = create_workflow(id="inner", input_schema=N, output_schema=Any).then(look).commit()
    check = create_step(
        id="check",
        input_schema=Any,
        output_schema=Any,
        execute=lambda ctx: {
            "fromInner": ctx.input_data,
            "big": ctx.get_step_result(big),
            "small": ctx.get_step_result(small),
            "init": ctx.get_init_data(),
        },
    )
    first = create_step(id="first", input_schema=N, output_schema=N, execute=lambda ctx: ctx.input_data)
    wf = (
        create_workflow(id="lookups-nested", input_schema=N, output_schema=Any)
        .then(first)
        .then(prep)
        .branch([(lambda ctx: ctx.input_data.n > 5, big), (lambda ctx: ctx.input_data.n <= 5, small)])
        .map(lambda ctx: ctx.get_step_result(big))
        .then(inner)
        .then(check)
        .commit()
    )
    log.result(await (await wf.create_run()).start(input_data={"n": 2}))
