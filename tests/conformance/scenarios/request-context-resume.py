"""The request context across suspend/resume: a key a step writes before suspending is visible
after resume; a key the caller passed at start survives a resume without a context; a resume
with a new context overrides the keys it names and keeps the others."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import RequestContext, StepContext, create_workflow, step

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


class Ok(BaseModel):
    ok: bool


class Seen(BaseModel):
    value: str
    tenant: str
    written: str
    user: str


async def scenario(log: Log) -> None:
    @step(input_schema=V, output_schema=V, resume_schema=Ok)
    async def ask(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            ctx.request_context.set("written", "by-ask")
            await ctx.suspend({})
        return V(value=f"{ctx.input_data.value} tenant={ctx.request_context.get('tenant')}")

    @step(input_schema=V, output_schema=Seen)
    def read(ctx: StepContext) -> Seen:
        rc = ctx.request_context
        return Seen(value=ctx.input_data.value, tenant=rc.get("tenant"), written=rc.get("written"), user=rc.get("user"))

    wf = create_workflow(id="ctx-resume", input_schema=V, output_schema=Any).then(ask).then(read).commit()

    def start_context() -> RequestContext:
        rc = RequestContext()
        rc.set("tenant", "acme")
        rc.set("user", "ann")
        return rc

    run1 = await wf.create_run()
    await run1.start(input_data={"value": "a"}, request_context=start_context())
    log.result(await run1.resume(resume_data={"ok": True}))

    run2 = await wf.create_run()
    await run2.start(input_data={"value": "b"}, request_context=start_context())
    log.result(await run2.resume(resume_data={"ok": True}, request_context={"tenant": "globex"}))
