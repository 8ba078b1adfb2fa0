"""create_workflow_state_reader over a stored run (workflow.get_run): the status, each suspended
step (top-level id, resume path, suspend payload, its labels), the resume labels, step outputs and
payloads (dot paths for nested steps), the execution path (the step's position in the graph), for
a plain, a nested, a parallel and a foreach suspension, and again after the run finished. Ids and
times are left out; a nested suspend payload's __workflow_meta is reduced to its path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, Workflow, create_step, create_workflow, create_workflow_state_reader
from stepstream.step import Step

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


def ask(step_id: str, label: Callable[[N], str] | None = None) -> Step:
    def body(ctx: StepContext[N, N]) -> N:
        if ctx.resume_data is not None:
            return N(n=ctx.input_data.n + ctx.resume_data.n)
        ctx.suspend({"need": step_id, "at": ctx.input_data.n}, resume_label=label(ctx.input_data) if label else None)

    return create_step(id=step_id, input_schema=N, output_schema=N, resume_schema=N, execute=body)


def meta(payload: Any) -> Any:
    if isinstance(payload, dict) and "__workflow_meta" in payload:
        kept = {k: v for k, v in payload["__workflow_meta"].items() if k == "path"}
        return {**payload, "__workflow_meta": kept}
    return payload


def read(state: Any, ids: list[str]) -> dict[str, Any]:
    r = create_workflow_state_reader(state)
    first = r.get_suspended_step()
    return {
        "status": r.get_status(),
        "result": r.get_result(),
        "suspended": [
            {
                "stepId": s.step_id,
                "path": s.path,
                "executionPath": s.execution_path,
                "payload": s.payload,
                "suspendPayload": meta(s.suspend_payload),
                "resumeLabels": s.resume_labels,
            }
            for s in r.get_suspended_steps()
        ],
        "first": first.step_id if first else None,
        "labels": r.get_resume_labels(),
        "outputs": {i: r.get_step_output(i) for i in ids},
        "payloads": {i: r.get_step_payload(i) for i in ids},
    }


async def scenario(log: Log) -> None:
    first = create_step(id="first", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(ask("deep", lambda d: "deep-label")).commit()
    flows: dict[str, Callable[[], Workflow]] = {
        "plain": lambda: (
            create_workflow(id="plain", input_schema=N, output_schema=N).then(first).then(ask("approve", lambda d: "approve")).commit()
        ),
        "nested": lambda: create_workflow(id="nested", input_schema=N, output_schema=N).then(first).then(inner).commit(),
        "parallel": lambda: (
            create_workflow(id="parallel", input_schema=N, output_schema=Any)
            .then(first)
            .parallel([ask("left"), ask("right", lambda d: "right-label")])
            .commit()
        ),
        "foreach": lambda: (
            create_workflow(id="foreach", input_schema=list[N], output_schema=Any).foreach(ask("each", lambda d: f"item-{d.n}")).commit()
        ),
    }
    ids = {
        "plain": ["first", "approve"],
        "nested": ["first", "inner", "inner.deep"],
        "parallel": ["first", "left", "right"],
        "foreach": ["each"],
    }
    inputs: dict[str, Any] = {"plain": {"n": 1}, "nested": {"n": 1}, "parallel": {"n": 1}, "foreach": [{"n": 1}, {"n": 2}]}
    for name, make in flows.items():
        wf = make()
        run = await wf.create_run()
        await run.start(input_data=inputs[name])
        log.note({"name": name, **read(await wf.get_run(run.run_id), ids[name])})
    wf = flows["plain"]()
    run = await wf.create_run()
    await run.start(input_data={"n": 1})
    await run.resume(label="approve", resume_data={"n": 10})
    log.note({"name": "plain-done", **read(await wf.get_run(run.run_id), ids["plain"])})
