"""M. Retries: retry_config, step retries, NonRetryableError (Mastra scenarios 87-89)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stepstream import NonRetryableError, StepContext, create_step, create_workflow
from tests.engine.matchers import without_where


class Failing:
    """A step body that fails `fail_times` times, recording each retry_count."""

    def __init__(self, fail_times: int | float, error: type[Exception] = RuntimeError):
        self.fail_times = fail_times
        self.error = error
        self.retry_counts: list[int] = []

    def __call__(self, ctx: Any) -> dict[str, str]:
        self.retry_counts.append(ctx.retry_count)
        if len(self.retry_counts) <= self.fail_times:
            raise self.error("Step failed")
        return {"result": "success"}


def _wf(wf_id: str, body: Any, *, retries: int | None = None, retry_config: Any = None) -> Any:
    step1_calls: list[int] = []

    def count_call(ctx: StepContext) -> dict[str, str]:
        step1_calls.append(1)
        return {"result": "success"}

    step1 = create_step(id="step1", input_schema=Any, output_schema=Any, execute=count_call)
    step2 = create_step(id="step2", input_schema=Any, output_schema=Any, execute=body, retries=retries)
    wf = create_workflow(id=wf_id, input_schema=Any, output_schema=Any, retry_config=retry_config).then(step1).then(step2).commit()
    return wf, step1_calls


# -- 87: no retries by default ---------------------------------------------------------------------


async def test_no_retries_by_default() -> None:
    body = Failing(float("inf"))
    wf, step1_calls = _wf("retry-default", body)
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert body.retry_counts == [0]
    assert step1_calls == [1]
    record = result.steps["step2"]
    assert record.status == "failed"
    assert record.payload == {"result": "success"}
    assert isinstance(record.error, RuntimeError)
    assert str(record.error) == "Step failed"


# -- 88: workflow-level retry_config -----------------------------------------------------------------


async def test_workflow_retry_config_retries_then_fails() -> None:
    body = Failing(float("inf"))
    wf, step1_calls = _wf("retry-config", body, retry_config={"attempts": 5, "delay": 10})
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await (await wf.create_run()).start(input_data={})
    elapsed = loop.time() - t0
    assert result.status == "failed"
    assert body.retry_counts == [0, 1, 2, 3, 4, 5]  # 1 + 5 attempts
    assert step1_calls == [1]  # earlier steps are not re-run
    assert elapsed >= 5 * 0.010 * 0.9  # a fixed delay between attempts
    assert result.error == {"message": "Step failed", "name": "RuntimeError"}


async def test_retry_succeeds_when_a_later_attempt_works() -> None:
    body = Failing(2)
    wf, _ = _wf("retry-recovers", body, retry_config={"attempts": 3})
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert body.retry_counts == [0, 1, 2]
    assert result.result == {"result": "success"}
    assert result.steps["step2"].status == "success"
    assert result.steps["step2"].error is None


# -- 89: a step's own retries overrides the workflow setting --------------------------------------------


async def test_step_retries_override_the_workflow_config() -> None:
    body = Failing(float("inf"))
    wf, _ = _wf("retry-override", body, retries=5, retry_config={"attempts": 10})
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert len(body.retry_counts) == 6


async def test_step_retries_zero_overrides_a_workflow_config() -> None:
    body = Failing(float("inf"))
    wf, _ = _wf("retry-zero", body, retries=0, retry_config={"attempts": 10})
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert body.retry_counts == [0]


async def test_step_retries_without_workflow_config() -> None:
    body = Failing(1)
    wf, _ = _wf("retry-step-only", body, retries=2)
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert body.retry_counts == [0, 1]


# -- NonRetryableError ---------------------------------------------------------------------------


async def test_non_retryable_error_stops_retries_at_once() -> None:
    body = Failing(float("inf"), error=NonRetryableError)
    wf, _ = _wf("retry-non-retryable", body, retry_config={"attempts": 5})
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert body.retry_counts == [0]
    assert result.error is not None
    assert result.error["message"] == "Step failed"
    assert result.error["name"] == "NonRetryableError"


async def test_non_retryable_error_keeps_its_attributes() -> None:
    def body(ctx: Any) -> Any:
        raise NonRetryableError("card declined", statusCode=402)

    wf = (
        create_workflow(id="retry-nr-attrs", input_schema=Any, output_schema=Any, retry_config={"attempts": 3})
        .then(create_step(id="s", execute=body))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.error == {"message": "card declined", "name": "NonRetryableError", "isNonRetryable": True, "statusCode": 402}
    assert result.to_dict()["steps"]["s"]["nonRetryable"] is True  # as Mastra marks the step's record


# -- retries and the rest of the engine ------------------------------------------------------------


async def test_retries_inside_parallel_and_nested_workflows() -> None:
    a = Failing(1)
    b = Failing(2)
    inner = (
        create_workflow(id="inner-retry", input_schema=Any, output_schema=Any, retry_config={"attempts": 2})
        .then(create_step(id="b", execute=b))
        .commit()
    )
    wf = (
        create_workflow(id="retry-par", input_schema=Any, output_schema=Any, retry_config={"attempts": 1})
        .parallel([create_step(id="a", execute=a), inner])
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert a.retry_counts == [0, 1]
    assert b.retry_counts == [0, 1, 2]  # the nested workflow's own retry_config applies inside it


async def test_suspend_is_not_a_failure_and_is_not_retried() -> None:
    calls: list[int] = []

    async def body(ctx: Any) -> Any:
        calls.append(ctx.retry_count)
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"ok": True}

    wf = (
        create_workflow(id="retry-suspend", input_schema=Any, output_schema=Any, retry_config={"attempts": 3})
        .then(create_step(id="s", resume_schema=Any, execute=body))
        .commit()
    )
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "suspended"
    assert calls == [0]


@pytest.mark.parametrize("attempts", [1, 2])
async def test_failing_input_validation_is_not_a_success_after_retries(attempts: int) -> None:
    from pydantic import BaseModel

    class Need(BaseModel):
        need: str

    calls: list[int] = []
    s = create_step(id="s", input_schema=Need, output_schema=Any, execute=lambda ctx: calls.append(1))
    wf = (
        create_workflow(id=f"retry-validation-{attempts}", input_schema=Any, output_schema=Any, retry_config={"attempts": attempts})
        .then(s)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert calls == []
    assert result.error is not None
    assert without_where(result.error["message"]) == "Step input validation failed: \n- need: Field required"
