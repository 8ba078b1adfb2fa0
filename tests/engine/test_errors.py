"""L. Errors: a throwing step, custom fields, cause chains, streaming, persistence (Mastra scenarios 82-86)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage

from .matchers import T, wire


class Empty(BaseModel):
    pass


class ApiError(Exception):
    """An error with custom fields, like a JS Error with extra properties."""

    def __init__(self, message: str, **fields: Any):
        super().__init__(message)
        for key, value in fields.items():
            setattr(self, key, value)


# -- 82: a throwing step fails the run ------------------------------------------------------------------


async def test_throwing_step_fails_the_run() -> None:
    thrown: list[BaseException] = []
    after: list[str] = []

    def body(ctx: Any) -> Any:
        err = RuntimeError("Step execution failed")
        thrown.append(err)
        raise err

    step1 = create_step(id="step1", input_schema=Empty, output_schema=Any, execute=body)
    step2 = create_step(id="step2", execute=lambda ctx: after.append("step2"))
    wf = create_workflow(id="err-basic", input_schema=Empty, output_schema=Any).then(step1).then(step2).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})

    assert result.status == "failed"
    assert run.status == "failed"
    assert isinstance(result.error, dict)
    assert result.error == {"message": "Step execution failed", "name": "RuntimeError"}
    assert result.result is None
    assert after == []
    steps = result.to_dict()["steps"]
    assert steps["input"] == {}
    assert steps["step1"] == {
        "status": "failed",
        "payload": {},
        "error": {"message": "Step execution failed", "name": "RuntimeError"},
        "startedAt": T,
        "endedAt": T,
    }
    assert "step2" not in steps
    assert result.steps["step1"].error is thrown[0]  # the step-level error is the very object raised
    assert "result" not in result.to_dict()
    assert result.to_dict()["error"] == {"message": "Step execution failed", "name": "RuntimeError"}


async def test_error_without_message_uses_the_class_name() -> None:
    def body(ctx: Any) -> Any:
        raise KeyError

    wf = create_workflow(id="err-no-msg", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.error == {"message": "KeyError", "name": "KeyError"}


# -- 83: custom error properties are kept -----------------------------------------------------------------


def _custom_error() -> ApiError:
    return ApiError(
        "Rate limit exceeded",
        statusCode=429,
        responseHeaders={"retry-after": "60"},
        isRetryable=True,
        code="STEP_FAILURE",
        details={"reason": "test failure"},
    )


async def test_custom_error_properties_are_kept() -> None:
    raised = _custom_error()

    def body(ctx: Any) -> Any:
        raise raised

    wf = create_workflow(id="err-custom", input_schema=Any, output_schema=Any).then(create_step(id="step1", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    expected = {
        "message": "Rate limit exceeded",
        "name": "ApiError",
        "statusCode": 429,
        "responseHeaders": {"retry-after": "60"},
        "isRetryable": True,
        "code": "STEP_FAILURE",
        "details": {"reason": "test failure"},
    }
    assert result.error == expected
    assert result.steps["step1"].error is raised
    assert result.to_dict()["steps"]["step1"]["error"] == expected


async def test_unserializable_error_attributes_are_left_out() -> None:
    def body(ctx: Any) -> Any:
        raise ApiError("odd", handle=object(), ok=1, _private="hidden")

    wf = create_workflow(id="err-odd", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.error is not None
    assert result.error["message"] == "odd"
    assert result.error["ok"] == 1
    assert "_private" not in result.error
    json.dumps(result.to_dict())  # whatever was kept is JSON


# -- 84: the cause chain is kept --------------------------------------------------------------------------


async def test_cause_chain_is_kept() -> None:
    def body(ctx: Any) -> Any:
        try:
            try:
                raise ConnectionError("Network connection refused")
            except ConnectionError as network:
                raise ApiError("HTTP request failed", statusCode=500) from network
        except ApiError as http:
            raise ApiError("API call failed", statusCode=500, isRetryable=True) from http

    wf = create_workflow(id="err-cause", input_schema=Any, output_schema=Any).then(create_step(id="step1", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.error == {
        "message": "API call failed",
        "name": "ApiError",
        "statusCode": 500,
        "isRetryable": True,
        "cause": {
            "message": "HTTP request failed",
            "name": "ApiError",
            "statusCode": 500,
            "cause": {"message": "Network connection refused", "name": "ConnectionError"},
        },
    }


async def test_implicit_context_is_not_a_cause() -> None:
    def body(ctx: Any) -> Any:
        try:
            raise ValueError("inner")
        except ValueError:
            raise RuntimeError("outer")  # noqa: B904 - an implicit __context__, not a cause

    wf = create_workflow(id="err-context", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.error == {"message": "outer", "name": "RuntimeError"}


async def test_explicit_cause_attribute_is_followed() -> None:
    def body(ctx: Any) -> Any:
        err = ApiError("wrapper")
        err.cause = ValueError("root")  # type: ignore[attr-defined]
        raise err

    wf = create_workflow(id="err-cause-attr", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.error == {"message": "wrapper", "name": "ApiError", "cause": {"message": "root", "name": "ValueError"}}


async def test_self_referencing_cause_chain_is_cut() -> None:
    def body(ctx: Any) -> Any:
        err = ApiError("loop")
        err.cause = err  # type: ignore[attr-defined]
        raise err

    wf = create_workflow(id="err-cycle", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    depth = 0
    node = result.error
    while node is not None and "cause" in node:
        node = node["cause"]
        depth += 1
    assert 1 <= depth <= 10


# -- 85: the same through stream() -------------------------------------------------------------------------


async def test_errors_surface_the_same_way_through_stream() -> None:
    def body(ctx: Any) -> Any:
        raise _custom_error()

    wf = create_workflow(id="err-stream", input_schema=Any, output_schema=Any).then(create_step(id="step1", execute=body)).commit()
    stream = (await wf.create_run()).stream(input_data={})
    events = [e.to_dict() async for e in stream]
    result = await stream.result
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "Rate limit exceeded"
    assert result.error["name"] == "ApiError"
    assert result.error["statusCode"] == 429
    assert result.error["responseHeaders"] == {"retry-after": "60"}
    step_results = [e for e in events if e["type"] == "workflow-step-result"]
    assert len(step_results) == 1
    assert step_results[0]["payload"]["status"] == "failed"
    assert step_results[0]["payload"]["error"]["statusCode"] == 429
    finish = events[-1]
    assert finish["type"] == "workflow-finish"
    assert finish["payload"]["workflowStatus"] == "failed"
    assert stream.status == "failed"


# -- 86: how errors are persisted -------------------------------------------------------------------------


async def test_persisted_errors_are_plain_json_without_a_stack() -> None:
    def body(ctx: Any) -> Any:
        raise ApiError("Internal failure", statusCode=500, errorCode="INTERNAL_ERROR")

    storage = InMemoryStorage()
    wf = create_workflow(id="err-persist", input_schema=Any, output_schema=Any).then(create_step(id="step1", execute=body)).commit()
    Stepstream(workflows=[wf], storage=storage)
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert isinstance(result.steps["step1"].error, ApiError)
    assert result.steps["step1"].error.__traceback__ is not None  # in memory the stack exists

    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["status"] == "failed"
    expected = {"message": "Internal failure", "name": "ApiError", "statusCode": 500, "errorCode": "INTERNAL_ERROR"}
    assert stored["error"] == expected
    assert stored["steps"]["step1"]["error"] == expected
    text = json.dumps(stored)
    assert "stack" not in text and "Traceback" not in text

    # a run rebuilt from storage carries the plain serialized error
    record = await storage.load_run(wf.id, run.run_id)
    assert record is not None
    rebuilt = run.result_from_record(record)
    assert rebuilt.status == "failed"
    assert rebuilt.error == expected
    assert rebuilt.to_dict()["steps"]["step1"]["error"] == expected


async def test_failed_run_stays_failed_and_cannot_be_started_again() -> None:
    from stepstream import RunStateError

    def body(ctx: Any) -> Any:
        raise RuntimeError("nope")

    wf = create_workflow(id="err-once", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "failed"
    with pytest.raises(RunStateError, match=r"was already started \(status 'failed'\)") as info:
        await run.start(input_data={})
    assert info.value.code == "WORKFLOW_START_ALREADY_CLAIMED"


async def test_exception_in_except_exception_block_does_not_swallow_suspend_or_bail() -> None:
    async def body(ctx: Any) -> Any:
        try:
            ctx.bail({"bailed": True})
        except Exception:  # user code catching everything must not catch the bail signal
            return {"swallowed": True}

    wf = create_workflow(id="err-signals", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == {"bailed": True}
