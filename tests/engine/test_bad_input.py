"""Bad input gets a clear stepstream error naming the problem, and nothing is lost or written
(issue 7: items 5, 7, 8 and 9)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    ResumeError,
    RunNotFoundError,
    StepContext,
    StepstreamError,
    ValidationError,
    create_step,
    create_workflow,
)
from stepstream.storage import InMemoryStorage


class N(BaseModel):
    n: int


def _deep(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    node = data
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return data


async def _approval(wf_id: str) -> Any:
    async def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return ctx.resume_data

    return create_workflow(id=wf_id).then(create_step(id="ask", execute=ask)).commit()


# -- item 5: unknown run ids -------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["resume", "restart"])
async def test_an_unknown_run_id_is_not_found_and_nothing_is_written(verb: str) -> None:
    wf = await _approval(f"unknown-{verb}")
    storage = InMemoryStorage()
    wf.bind_storage(storage)
    run = await wf.create_run(run_id="typo-42")
    with pytest.raises(RunNotFoundError, match=r"No snapshot found for this workflow run: unknown-.* typo-42"):
        await (run.resume(resume_data={}) if verb == "resume" else run.restart())
    assert await storage.load_run(wf.id, "typo-42") is None
    assert (await wf.list_runs())["total"] == 0  # not written later either


async def test_a_start_refused_for_its_input_leaves_no_pending_run() -> None:
    wf = create_workflow(id="refused-start", input_schema=N).then(create_step(id="s", execute=lambda ctx: 1)).commit()
    storage = InMemoryStorage()
    wf.bind_storage(storage)
    run = await wf.create_run()
    with pytest.raises(ValidationError):
        await run.start(input_data={"n": "many"})
    assert (await wf.list_runs())["total"] == 0
    assert await storage.load_run(wf.id, run.run_id) is None


async def test_a_fresh_run_that_never_started_is_still_refused_as_not_suspended() -> None:
    """Mastra writes a created run as pending: resuming it is "not suspended", not "not found"."""
    wf = await _approval("fresh-not-suspended")
    run = await wf.create_run()
    with pytest.raises(ResumeError, match="not suspended"):
        await run.resume(resume_data={})


# -- item 8: silent lossy conversions ---------------------------------------------------------


@pytest.mark.parametrize("run_id", ["", "   ", 123, b"id"])
async def test_a_run_id_must_be_a_non_empty_string(run_id: Any) -> None:
    wf = await _approval(f"bad-id-{abs(hash(repr(run_id)))}")
    with pytest.raises(ValidationError, match="run_id must be a non-empty string") as info:
        await wf.create_run(run_id=run_id)
    assert repr(run_id) in str(info.value)


async def test_an_output_that_is_not_json_fails_the_step_instead_of_storing_its_repr() -> None:
    wf = create_workflow(id="opaque").then(create_step(id="opaque-step", execute=lambda ctx: {"thing": object()})).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    message = result.error["message"]
    assert message.startswith("Step 'opaque-step' output cannot be stored: \n- thing: a value of type 'object' is not JSON data")
    assert f"(step 'opaque-step' of workflow 'opaque', run '{run.run_id}')" in message
    assert result.error["code"] == "WORKFLOW_VALUE_NOT_STORABLE"


# -- item 7: errors from outside the tree -----------------------------------------------------


async def test_input_nested_too_deep_is_a_validation_error_naming_the_run() -> None:
    wf = create_workflow(id="deep").then(create_step(id="s", execute=lambda ctx: 1)).commit()
    run = await wf.create_run()
    with pytest.raises(ValidationError) as info:
        await run.start(input_data=_deep(2000))
    assert isinstance(info.value, StepstreamError)
    assert str(info.value).startswith("Input data cannot be stored: \n- a.a.a...: nested more than 254 levels deep")
    assert f"(workflow 'deep', run '{run.run_id}')" in str(info.value)


async def test_invalid_utf8_bytes_from_a_step_fail_it_cleanly() -> None:
    wf = create_workflow(id="bytes").then(create_step(id="raw", execute=lambda ctx: {"blob": b"\xff\x00"})).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert "- blob: bytes are not valid UTF-8 (byte 0xff at position 0)" in result.error["message"]
    assert result.steps["raw"].status == "failed"


# -- item 9: validation messages --------------------------------------------------------------


async def test_a_root_level_problem_shows_no_empty_field_name() -> None:
    wf = create_workflow(id="root-level", input_schema=N).then(create_step(id="s", execute=lambda ctx: 1)).commit()
    run = await wf.create_run()
    with pytest.raises(ValidationError) as info:
        await run.start(input_data=[1, 2])
    assert str(info.value) == (
        "Invalid input data: \n- Input should be a valid dictionary or object to extract fields from\n"
        f"(workflow 'root-level', run '{run.run_id}')"
    )
    assert info.value.issues == [("", "Input should be a valid dictionary or object to extract fields from")]


async def test_a_nested_step_error_names_its_path_and_carries_pydantic_s_text_as_cause() -> None:
    inner = create_workflow(id="inner-v").then(create_step(id="needs-n", input_schema=N, execute=lambda ctx: 1)).commit()
    wf = create_workflow(id="outer-v").then(create_step(id="first", execute=lambda ctx: {"n": "x"})).then(inner).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == (
        "Step input validation failed: \n- n: Input should be a valid integer, unable to parse string as an integer\n"
        f"(step 'inner-v.needs-n' of workflow 'outer-v', run '{run.run_id}')"
    )
    cause = result.error["cause"]
    assert cause["name"] == "ValidationError" and "1 validation error for N" in cause["message"]
    assert "input_value='x'" in cause["message"]


async def test_time_travel_with_data_that_cannot_be_stored_changes_nothing() -> None:
    wf = (
        create_workflow(id="travel-bad")
        .then(create_step(id="one", execute=lambda ctx: {"v": 1}))
        .then(create_step(id="two", execute=lambda ctx: ctx.input_data))
        .commit()
    )
    run = await wf.create_run()
    done = await run.start(input_data={})
    with pytest.raises(ValidationError, match="cannot be stored") as info:
        await run.time_travel(step="two", input_data={"v": "\ud800"})
    assert "- v: string is not valid Unicode" in str(info.value)
    state = await wf.get_run(run.run_id)
    assert state is not None and state.status == "success" and state.steps["two"].output == done.steps["two"].output
