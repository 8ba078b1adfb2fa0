"""A nested workflow in a parallel block suspends while its sibling step succeeds: the run is
suspended on [nested, gate]; resuming by the dotted path "review.gate" runs only the nested
workflow, the sibling's result is kept, and the step after the block sees both outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

ORDER = "per-step"


class V(BaseModel):
    value: str


class Ok(BaseModel):
    ok: bool


async def scenario(log: Log) -> None:
    calls: list[str] = []

    async def run_sibling(ctx: StepContext) -> V:
        calls.append("sibling")
        return V(value=ctx.input_data.value + " sibling")

    async def run_gate(ctx: StepContext) -> V:
        calls.append("gate")
        if ctx.resume_data is None:
            await ctx.suspend({"waiting": ctx.input_data.value})
        return V(value=ctx.input_data.value + (" approved" if ctx.resume_data.ok else " rejected"))

    def run_join(ctx: StepContext) -> V:
        calls.append("join")
        return V(value=ctx.input_data["sibling"]["value"] + " + " + ctx.input_data["review"]["value"])

    sibling = create_step(id="sibling", input_schema=V, output_schema=V, execute=run_sibling)
    gate = create_step(id="gate", input_schema=V, output_schema=V, resume_schema=Ok, execute=run_gate)
    review = create_workflow(id="review", input_schema=V, output_schema=V).then(gate).commit()
    join = create_step(id="join", input_schema=Any, output_schema=V, execute=run_join)
    wf = create_workflow(id="par-nested", input_schema=V, output_schema=V).parallel([sibling, review]).then(join).commit()
    run = await wf.create_run()
    first = await log.stream(run.stream(input_data={"value": "doc"}))
    log.note({"suspended": first.suspended, "calls": calls[:]})
    calls.clear()
    log.result(await run.resume(step="review.gate", resume_data={"ok": True}))
    log.note({"calls": calls[:]})
