"""request_context_schema on a workflow is checked when a run starts (a bad context refuses the
start with "Request context validation failed for workflow '<id>'", before any step); on a step it
is checked before the step runs (a bad context fails the step with "Step request context validation
failed for step '<id>'"). The context itself is passed on unchanged. (No `from __future__ import annotations`: pydantic
resolves the models' `Literal` and `|` annotations at class creation.)"""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from stepstream import RequestContext, StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class Admin(BaseModel):
    role: Literal["admin"]


class Tenant(BaseModel):
    tenant: str
    limit: int | None = None


async def scenario(log: "Log") -> None:
    calls: list[str] = []

    def guarded_fn(ctx: StepContext) -> N:
        calls.append(f"guarded {ctx.request_context.get('role')}")
        return N(n=ctx.input_data.n + 1)

    def open_fn(ctx: StepContext) -> N:
        calls.append("open")
        data: N = ctx.input_data
        return data

    guarded = create_step(id="guarded", input_schema=N, output_schema=N, request_context_schema=Admin, execute=guarded_fn)
    open_step = create_step(id="open", input_schema=N, output_schema=N, execute=open_fn)
    wf = (
        create_workflow(id="rc-schema", input_schema=N, output_schema=N, request_context_schema=Tenant)
        .then(open_step)
        .then(guarded)
        .commit()
    )
    cases: list[dict[str, Any]] = [
        {"role": "admin"},
        {"tenant": 7, "role": "admin"},
        {"tenant": "acme", "limit": "x", "role": "admin"},
        {"tenant": "acme", "role": "guest"},
        {"tenant": "acme", "role": "admin"},
    ]
    for values in cases:
        run = await wf.create_run()
        try:
            await log.stream(run.stream(input_data={"n": 1}, request_context=RequestContext(values)))
        except Exception as exc:
            log.error(exc)
        log.note(calls[:])
        calls.clear()
