"""Resume misuse (scenarios T.130-T.133): every refused resume leaves the run suspended and resumable."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    ResumeError,
    Run,
    RunNotFoundError,
    StepContext,
    StepstreamError,
    ValidationError,
    Workflow,
    create_step,
    create_workflow,
)
from stepstream.workflow.builder import WorkflowOptions
from tests.engine.matchers import without_where


class V(BaseModel):
    value: int


def resume_workflow(calls: Counter[str], wf_id: str = "misuse", options: WorkflowOptions | None = None) -> Workflow:
    """increment (+1) -> resume (suspends; adds the resume value) -> final (passes through)."""

    async def increment(ctx: StepContext) -> V:
        calls["increment"] += 1
        return V(value=ctx.input_data.value + 1)

    async def resume(ctx: StepContext) -> V:
        calls["resume"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"message": "give me a value"}, resume_label="the-label")
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    async def final(ctx: StepContext) -> V:
        calls["final"] += 1
        value: V = ctx.input_data
        return value

    inc = create_step("increment", input_schema=V, output_schema=V, execute=increment)
    res = create_step("resume", input_schema=V, output_schema=V, resume_schema=V, execute=resume)
    fin = create_step("final", input_schema=V, output_schema=V, execute=final)
    return create_workflow(wf_id, input_schema=V, output_schema=V, options=options).then(inc).then(res).then(fin).commit()


async def suspended_run(calls: Counter[str], **kwargs: Any) -> tuple[Workflow, Run]:
    wf = resume_workflow(calls, **kwargs)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.status == "suspended"
    return wf, run


async def assert_still_suspended_and_resumable(wf: Workflow, run: Run, calls: Counter[str]) -> None:
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "suspended"
    assert stored.suspended == [["resume"]]
    assert stored.resume_labels == {"the-label": {"stepId": "resume", "path": ["resume"]}}  # stored with the full path
    assert stored.steps["resume"].status == "suspended"
    assert run.status == "suspended"
    assert calls == Counter({"increment": 1, "resume": 1})
    done = await run.resume(step="resume", resume_data={"value": 21})
    assert done.status == "success"
    assert done.result == V(value=22)
    assert calls == Counter({"increment": 1, "resume": 2, "final": 1})


async def test_resuming_a_finished_run_is_refused() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    await run.resume(resume_data={"value": 1})
    with pytest.raises(ResumeError) as info:
        await run.resume(step=["increment"], resume_data={"value": 2})
    assert str(info.value).startswith("This workflow run was not suspended")
    assert info.value.code == "WORKFLOW_RESUME_REFUSED"
    assert isinstance(info.value, StepstreamError)
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "success"
    assert stored.result == {"value": 2}


async def test_resuming_a_run_that_never_started_is_refused() -> None:
    calls: Counter[str] = Counter()
    wf = resume_workflow(calls)
    run = await wf.create_run()
    with pytest.raises(ResumeError, match=r"^This workflow run was not suspended"):
        await run.resume(resume_data={"value": 1})
    assert calls == Counter()
    # the refused resume did not consume the run: it can still start
    result = await run.start(input_data={"value": 5})
    assert result.status == "suspended"


async def test_resuming_a_failed_run_is_refused() -> None:
    async def boom(ctx: StepContext) -> V:
        raise RuntimeError("nope")

    wf = (
        create_workflow("fails", input_schema=V, output_schema=V)
        .then(create_step("boom", input_schema=V, output_schema=V, execute=boom))
        .commit()
    )
    run = await wf.create_run()
    assert (await run.start(input_data={"value": 0})).status == "failed"
    with pytest.raises(ResumeError, match=r"^This workflow run was not suspended"):
        await run.resume(step="boom", resume_data={})


async def test_resuming_an_unknown_run_id_from_another_storage_is_not_found() -> None:
    calls: Counter[str] = Counter()
    wf = resume_workflow(calls)
    run = await wf.create_run(run_id="gone")
    await run.start(input_data={"value": 0})
    await wf.delete_run("gone")
    with pytest.raises(RunNotFoundError) as info:
        await run.resume(resume_data={"value": 1})
    assert str(info.value) == f"No snapshot found for this workflow run: {wf.id} gone"


async def test_resuming_a_step_that_is_not_suspended() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ResumeError) as info:
        await run.resume(step="increment", resume_data={"value": 2})
    assert str(info.value) == 'This workflow step "increment" was not suspended. Available suspended steps: [resume]'
    await assert_still_suspended_and_resumable(wf, run, calls)


async def test_resuming_a_step_that_does_not_exist() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ResumeError) as info:
        await run.resume(step="no-such-step", resume_data={"value": 2})
    assert str(info.value) == 'This workflow step "no-such-step" was not suspended. Available suspended steps: [resume]'
    with pytest.raises(ResumeError) as info:
        await run.resume(step="resume.deeper", resume_data={"value": 2})
    assert str(info.value) == 'This workflow step "resume.deeper" was not suspended. Available suspended steps: [resume]'
    await assert_still_suspended_and_resumable(wf, run, calls)


async def test_resume_with_a_malformed_step_reference() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ResumeError):
        await run.resume(step=42, resume_data={"value": 2})  # type: ignore[arg-type]
    with pytest.raises(ResumeError, match=r"^step must name a step$"):
        await run.resume(step="", resume_data={"value": 2})
    await assert_still_suspended_and_resumable(wf, run, calls)


async def test_resume_data_breaking_the_resume_schema() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ValidationError) as info:
        await run.resume(step=["resume"], resume_data={"number": 2})
    assert without_where(str(info.value)) == "Invalid resume data: \n- value: Field required"
    assert info.value.issues == [("value", "Field required")]
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValidationError, match=r"^Invalid resume data: \n- value: Input should be a valid integer"):
        await run.resume(resume_data={"value": "many"})
    with pytest.raises(ValidationError, match=r"^Invalid resume data"):
        await run.resume(resume_data=None)
    await assert_still_suspended_and_resumable(wf, run, calls)


async def test_unknown_label_is_refused() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ResumeError) as info:
        await run.resume(label="other-label", resume_data={"value": 1})
    assert str(info.value) == 'Resume label "other-label" not found. Available labels: [the-label]'
    await assert_still_suspended_and_resumable(wf, run, calls)


async def test_for_each_index_on_a_step_that_is_not_a_foreach_is_refused() -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ResumeError) as info:
        await run.resume(for_each_index=0, resume_data={"value": 1})
    assert str(info.value) == 'for_each_index given, but step "resume" is not a suspended foreach'
    await assert_still_suspended_and_resumable(wf, run, calls)


@pytest.mark.parametrize("index", ["2", 1.0, True])
async def test_a_for_each_index_that_is_not_a_position_is_refused_by_name(index: Any) -> None:
    calls: Counter[str] = Counter()
    wf, run = await suspended_run(calls)
    with pytest.raises(ResumeError) as info:
        await run.resume(for_each_index=index, resume_data={"value": 1})
    assert str(info.value) == f"for_each_index must be an int (a foreach item's position), not {index!r}"
    await assert_still_suspended_and_resumable(wf, run, calls)


async def test_without_input_validation_resume_data_is_passed_as_is() -> None:
    calls: Counter[str] = Counter()
    seen: list[Any] = []

    async def ask(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        seen.append(ctx.resume_data)
        return {"got": ctx.resume_data}

    wf = (
        create_workflow("no-validate", input_schema=V, output_schema=dict[str, Any], options={"validate_inputs": False})
        .then(create_step("ask", input_schema=V, output_schema=dict[str, Any], resume_schema=V, execute=ask))
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    done = await run.resume(resume_data={"number": 2})
    assert done.status == "success"
    assert seen == [{"number": 2}]
    assert calls == Counter()


async def test_refused_resume_stream_rejects_its_result_and_a_correct_one_completes() -> None:
    calls: Counter[str] = Counter()
    _, run = await suspended_run(calls)
    stream = run.resume_stream(step="increment", resume_data={"value": 1})
    with pytest.raises(ResumeError) as info:
        await stream.result
    assert str(info.value) == 'This workflow step "increment" was not suspended. Available suspended steps: [resume]'
    with pytest.raises(ResumeError):
        _ = [event async for event in stream]
    assert stream.status == "failed"
    assert stream.events == []
    assert await stream.usage == {
        "inputTokens": 0,
        "outputTokens": 0,
        "totalTokens": 0,
        "cachedInputTokens": 0,
        "cacheCreationInputTokens": 0,
        "reasoningTokens": 0,
    }

    good = run.resume_stream(step="resume", resume_data={"value": 21})
    types = [event.type async for event in good]
    assert types == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    result = await good.result
    assert result.status == "success"
    assert result.result == V(value=22)
    assert calls == Counter({"increment": 1, "resume": 2, "final": 1})


async def test_a_step_failing_after_resume_fails_the_run() -> None:
    calls: Counter[str] = Counter()

    async def picky(ctx: StepContext) -> V:
        calls["picky"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({})
        if ctx.resume_data.value < 0:
            raise ValueError(f"negative: {ctx.resume_data.value}")
        value: V = ctx.resume_data
        return value

    wf = (
        create_workflow("picky", input_schema=V, output_schema=V)
        .then(create_step("picky", input_schema=V, output_schema=V, resume_schema=V, execute=picky))
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    done = await run.resume(resume_data={"value": -1})
    assert done.status == "failed"
    assert done.error == {"message": "negative: -1", "name": "ValueError"}
    assert done.steps["picky"].status == "failed"
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "failed"
    with pytest.raises(ResumeError, match=r"^This workflow run was not suspended"):
        await run.resume(resume_data={"value": 1})
    assert calls["picky"] == 2


async def test_error_after_resume_keeps_custom_properties_and_cause() -> None:
    class PaymentError(Exception):
        def __init__(self, message: str, code: str, amount: int):
            super().__init__(message)
            self.code = code
            self.amount = amount

    async def pay(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({})
        try:
            raise ConnectionError("gateway unreachable")
        except ConnectionError as low:
            raise PaymentError("payment failed", "E_PAY", ctx.resume_data.value) from low

    wf = (
        create_workflow("pay", input_schema=V, output_schema=V)
        .then(create_step("pay", input_schema=V, output_schema=V, resume_schema=V, execute=pay))
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    done = await run.resume(resume_data={"value": 500})
    assert done.status == "failed"
    assert done.error == {
        "message": "payment failed",
        "name": "PaymentError",
        "code": "E_PAY",
        "amount": 500,
        "cause": {"message": "gateway unreachable", "name": "ConnectionError"},
    }
    step_error = done.steps["pay"].error
    assert isinstance(step_error, PaymentError)
    assert step_error.amount == 500
    assert isinstance(step_error.__cause__, ConnectionError)
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.error == done.error
    assert "stack" not in stored.error
