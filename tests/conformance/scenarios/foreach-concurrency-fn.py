"""foreach(step, concurrency=fn): the concurrency is a function of the context (the foreach's input
and get_init_data()), called when the foreach starts; a result that is not a finite number >= 1
means 1, a fraction is rounded down. Each item takes 30 ms; the most items seen in flight at once
is noted for each workflow, with the results. (No `from __future__ import annotations`: the
models nest, and pydantic resolves `list[N]` at class creation.)"""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, Workflow, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class In(BaseModel):
    c: int
    items: list[N]


def make_wf(wf_id: str, concurrency: Callable[[StepContext], Any]) -> tuple[Workflow, dict[str, int]]:
    seen = {"max": 0, "now": 0}

    async def each_fn(ctx: StepContext) -> N:
        seen["now"] += 1
        seen["max"] = max(seen["max"], seen["now"])
        await asyncio.sleep(0.03)
        seen["now"] -= 1
        return N(n=ctx.input_data.n * 2)

    each = create_step(id="each", input_schema=N, output_schema=N, execute=each_fn)
    items = create_step(id="items", input_schema=In, output_schema=list[N], execute=lambda ctx: ctx.input_data.items)
    wf = create_workflow(id=wf_id, input_schema=In, output_schema=list[N]).then(items).foreach(each, concurrency=concurrency).commit()
    return wf, seen


async def scenario(log: "Log") -> None:
    cases: list[tuple[str, Callable[[StepContext], Any]]] = [
        ("half-of-input", lambda ctx: len(ctx.input_data) / 2),
        ("from-init-data", lambda ctx: ctx.get_init_data().c),
        ("fraction", lambda ctx: 2.7),
        ("zero", lambda ctx: 0),
        ("not-a-number", lambda ctx: "many"),
    ]
    for wf_id, fn in cases:
        wf, seen = make_wf(wf_id, fn)
        run = await wf.create_run()
        result = await run.start(input_data={"c": 4, "items": [{"n": n} for n in range(1, 7)]})
        out = [item.model_dump() for item in result.result] if result.result is not None else None
        log.note({"id": wf_id, "status": result.status, "result": out, "maxInFlight": seen["max"]})
