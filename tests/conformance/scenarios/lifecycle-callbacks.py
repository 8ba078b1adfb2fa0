"""Lifecycle callbacks. on_start runs after input validation and before any step, with the run's
workflow_id, resource_id, get_init_data(), request_context and initial state; when it raises, start()
raises its error and no step runs. on_finish gets {status, result, error, steps, workflow_id,
resource_id, get_init_data, request_context, state, step_execution_path} after success, failure and
suspension; on_error the same without result, only after a failure."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import RequestContext, StepContext, create_step, create_workflow
from stepstream.lifecycle import WorkflowFinishInfo, WorkflowStartInfo

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class S(BaseModel):
    seen: list[str]


def keys_of(info: WorkflowStartInfo | WorkflowFinishInfo, kind: str) -> list[str]:
    """The payload's fields under Mastra's names (`input` is `getInitData`); ids, tripwire and,
    for on_error (whose info always has `result=None`), the result are left out, as in the .mjs."""
    skip = {"run_id", "tripwire"} | ({"result"} if kind == "error" else set())
    names = [f.name for f in dataclasses.fields(info) if f.name not in skip]
    camel = ["getInitData" if n == "input" else n.split("_")[0] + "".join(p.title() for p in n.split("_")[1:]) for n in names]
    return sorted(camel)


def brief(kind: str, info: WorkflowStartInfo | WorkflowFinishInfo) -> dict[str, Any]:
    init = info.get_init_data()
    out: dict[str, Any] = {
        "kind": kind,
        "workflowId": info.workflow_id,
        "resourceId": info.resource_id,
        "init": init.model_dump() if isinstance(init, BaseModel) else init,
        "requestContext": info.request_context.all,
        "state": info.state,
    }
    out["keys"] = keys_of(info, kind)
    if isinstance(info, WorkflowStartInfo):
        return out
    wire = info.to_dict()
    out["status"] = info.status
    if info.result is not None:
        out["result"] = wire["result"]
    if info.error is not None:
        out["error"] = info.error["message"]
    out["stepExecutionPath"] = info.step_execution_path
    out["steps"] = {k: v if k == "input" else v["status"] for k, v in wire["steps"].items()}
    return out


async def scenario(log: Log) -> None:
    calls: list[Any] = []

    async def work_fn(ctx: StepContext) -> N:
        n = ctx.input_data.n
        calls.append(f"work {n}")
        await ctx.set_state({"seen": [*ctx.state.seen, "work"]})
        if n < 0:
            raise RuntimeError("negative")
        if n == 0 and ctx.resume_data is None:
            ctx.suspend({"why": "zero"})
        return N(n=n * 2)

    async def on_start(info: WorkflowStartInfo) -> None:
        calls.append(brief("start", info))
        if info.get_init_data().n == 13:
            raise RuntimeError(f"quota exceeded for {info.request_context.get('tenant')}")

    work = create_step(id="work", input_schema=N, output_schema=N, state_schema=S, execute=work_fn)
    wf = (
        create_workflow(
            id="lifecycle",
            input_schema=N,
            output_schema=N,
            state_schema=S,
            options={
                "on_start": on_start,
                "on_finish": lambda info: calls.append(brief("finish", info)),
                "on_error": lambda info: calls.append(brief("error", info)),
            },
        )
        .then(work)
        .commit()
    )
    for n in (2, -1, 0, 13):
        run = await wf.create_run(resource_id=f"user-{n}")
        try:
            log.result(await run.start(input_data={"n": n}, initial_state={"seen": []}, request_context=RequestContext({"tenant": "acme"})))
        except Exception as exc:
            log.error(exc)
        log.note(calls[:])
        calls.clear()
