"""Lifecycle callbacks (`on_start`, `on_finish`, `on_error`) and `request_context_schema`
(recorded in conformance/lifecycle-callbacks and conformance/request-context-schema)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import RequestContext, StepContext, ValidationError, create_step, create_workflow
from stepstream.lifecycle import WorkflowFinishInfo, WorkflowStartInfo


class Tenant(BaseModel):
    tenant: str


def ask_step() -> Any:
    async def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({"q": 1})
        return ctx.resume_data

    return create_step("ask", execute=ask)


async def test_on_start_runs_once_per_run_not_on_resume() -> None:
    starts: list[WorkflowStartInfo] = []
    finishes: list[WorkflowFinishInfo] = []
    wf = create_workflow("gate-once", options={"on_start": starts.append, "on_finish": finishes.append}).then(ask_step()).commit()
    run = await wf.create_run(resource_id="r1")
    await run.start(input_data={"x": 1}, request_context={"k": "v"})
    done = await run.resume(resume_data={"ok": True})
    assert done.status == "success"
    assert len(starts) == 1
    assert starts[0].get_init_data() == {"x": 1}
    assert starts[0].resource_id == "r1"
    assert starts[0].request_context.all == {"k": "v"}
    assert [f.status for f in finishes] == ["suspended", "success"]
    assert finishes[1].result == {"ok": True}
    assert finishes[1].resource_id == "r1"
    assert finishes[1].get_init_data() == {"x": 1}
    assert finishes[1].step_execution_path == ["ask"]
    assert finishes[1].to_dict()["requestContext"] == {"k": "v"}


async def test_a_raising_on_start_refuses_the_start_and_writes_nothing() -> None:
    ran: list[str] = []

    async def gate(info: WorkflowStartInfo) -> None:
        raise PermissionError(f"no quota for {info.request_context.get('tenant')}")

    wf = create_workflow("gated", options={"on_start": gate}).then(create_step("s", execute=lambda ctx: ran.append("s"))).commit()
    run = await wf.create_run()
    with pytest.raises(PermissionError, match="no quota for acme"):
        await run.start(input_data={}, request_context={"tenant": "acme"})
    stream = run.stream(input_data={}, request_context={"tenant": "acme"})
    with pytest.raises(PermissionError):
        await stream.result
    assert ran == []
    listed = await wf.list_runs()
    assert all(r["status"] == "pending" for r in listed["runs"])


async def test_on_error_only_after_a_failure_and_callback_errors_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors: list[WorkflowFinishInfo] = []

    def broken_finish(info: WorkflowFinishInfo) -> None:
        raise RuntimeError("finish broke")

    def fail(ctx: StepContext) -> None:
        raise ValueError("bad input")

    wf = (
        create_workflow("errors", options={"on_finish": broken_finish, "on_error": errors.append})
        .then(create_step("f", execute=fail))
        .commit()
    )
    with caplog.at_level(logging.ERROR, logger="stepstream"):
        result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert len(errors) == 1
    assert errors[0].status == "failed"
    assert errors[0].error is not None and errors[0].error["message"] == "bad input"
    assert errors[0].result is None
    assert any("on_finish callback raised" in r.getMessage() for r in caplog.records)


async def test_workflow_request_context_schema_refuses_a_bad_start_before_anything_runs() -> None:
    ran: list[str] = []
    starts: list[Any] = []
    wf = (
        create_workflow("rc-wf", request_context_schema=Tenant, options={"on_start": starts.append})
        .then(create_step("s", execute=lambda ctx: ran.append("s")))
        .commit()
    )
    run = await wf.create_run()
    with pytest.raises(ValidationError) as info:
        await run.start(input_data={}, request_context=RequestContext({"tenant": 3}))
    assert str(info.value).startswith("Request context validation failed for workflow 'rc-wf': \n- tenant:")
    assert ran == [] and starts == []
    ok = await run.start(input_data={}, request_context={"tenant": "acme"})
    assert ok.status == "success" and ran == ["s"]


async def test_step_request_context_schema_is_checked_on_resume_with_the_merged_context() -> None:
    async def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return ctx.request_context.get("tenant")

    guarded = create_step("guarded", execute=ask, request_context_schema=Tenant)
    wf = create_workflow("rc-resume").then(guarded).commit()
    run = await wf.create_run()
    first = await run.start(input_data={}, request_context={"tenant": "acme"})
    assert first.status == "suspended"
    bad = await run.resume(resume_data={}, request_context={"tenant": 5})
    assert bad.status == "failed"
    assert bad.error is not None
    assert bad.error["message"].startswith("Step request context validation failed for step 'guarded'")


async def test_nested_workflow_request_context_schema_fails_its_step() -> None:
    inner = create_workflow("inner-rc", request_context_schema=Tenant).then(create_step("x", execute=lambda ctx: 1)).commit()
    wf = create_workflow("outer-rc").then(inner).commit()
    result = await (await wf.create_run()).start(input_data={}, request_context={})
    assert result.status == "failed"
    assert result.steps["inner-rc"].status == "failed"
    assert result.error is not None
    assert result.error["message"].startswith("Step request context validation failed for step 'inner-rc'")


async def test_validate_inputs_false_skips_request_context_schemas() -> None:
    guarded = create_step("g", execute=lambda ctx: 1, request_context_schema=Tenant)
    wf = create_workflow("rc-off", request_context_schema=Tenant, options={"validate_inputs": False}).then(guarded).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
