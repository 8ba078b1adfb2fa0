"""Data that validates but cannot be stored: refused before anything changes (issue 7, item 2).

Runs in-process against a real SQLite file and a real PostgreSQL database: before the fix the
resume claimed the run, the final write then failed with a raw UnicodeEncodeError, and the
run stayed `running` for good, refusing every later resume.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import StepContext, Stepstream, ValidationError, create_step, create_workflow, step
from stepstream.app import storage_from_url


class Answer(BaseModel):
    answer: str


def _approval(wf_id: str, resume_schema: Any) -> Any:
    @step(id="approve", resume_schema=resume_schema)
    async def approve(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({"question": "ok?"})
        return {"approved": True}

    return create_workflow(id=wf_id).then(approve).commit()


def _circular() -> dict[str, Any]:
    data: dict[str, Any] = {"answer": "yes"}
    data["self"] = data
    return data


@pytest.mark.parametrize(
    ("resume_schema", "bad", "field", "reason"),
    [
        (Answer, {"answer": "\ud800"}, "answer", "not valid Unicode"),
        # validating against `dict` copies the outer dict, so the loop closes one level down
        (dict, _circular(), "self.self", "circular reference"),
    ],
)
async def test_an_unstorable_resume_is_refused_and_the_run_stays_resumable(
    storage_url: str, resume_schema: Any, bad: Any, field: str, reason: str
) -> None:
    wf = _approval("unstorable-resume", resume_schema)
    async with Stepstream([wf], storage=storage_from_url(storage_url)):
        run = await wf.create_run(run_id="r1")
        assert (await run.start(input_data={})).status == "suspended"
        with pytest.raises(ValidationError) as info:
            await run.resume(resume_data=bad)
        message = str(info.value)
        assert message.startswith("Resume data cannot be stored: \n")
        assert f"- {field}: " in message and reason in message
        assert "step 'approve' of workflow 'unstorable-resume', run 'r1'" in message
        assert info.value.code == "WORKFLOW_VALUE_NOT_STORABLE"
        stored = await wf.get_run("r1")
        assert stored is not None and stored.status == "suspended"
        result = await run.resume(resume_data={"answer": "yes"})
        assert result.status == "success" and result.result == {"approved": True}


@pytest.mark.parametrize(
    ("output", "field", "reason"),
    [
        ({"s": "\ud800"}, "s", "string is not valid Unicode"),
        ({"raw": [b"ok", b"\xff\xfe"]}, "raw.1", "bytes are not valid UTF-8"),
    ],
)
async def test_a_step_whose_output_cannot_be_stored_fails_naming_the_step(storage_url: str, output: Any, field: str, reason: str) -> None:
    after: list[Any] = []
    wf = (
        create_workflow(id="unstorable-output")
        .then(create_step(id="bad", execute=lambda ctx: output))
        .then(create_step(id="after", execute=lambda ctx: after.append(ctx.input_data)))
        .commit()
    )
    async with Stepstream([wf], storage=storage_from_url(storage_url)):
        run = await wf.create_run(run_id="r2")
        result = await run.start(input_data={})
        assert result.status == "failed" and after == []
        assert result.error is not None
        message = result.error["message"]
        assert message.startswith("Step 'bad' output cannot be stored: \n")
        assert f"- {field}: {reason}" in message and "step 'bad' of workflow 'unstorable-output', run 'r2'" in message
        stored = await wf.get_run("r2")
        assert stored is not None and stored.status == "failed"
        assert stored.steps["bad"].status == "failed"


async def test_a_state_update_that_cannot_be_stored_fails_the_step(storage_url: str) -> None:
    async def write_state(ctx: StepContext) -> Any:
        await ctx.set_state({"note": "\udfff"})
        return {"ok": True}

    wf = create_workflow(id="unstorable-state").then(create_step(id="writer", execute=write_state)).commit()
    async with Stepstream([wf], storage=storage_from_url(storage_url)):
        run = await wf.create_run(run_id="r3")
        result = await run.start(input_data={})
        assert result.status == "failed" and result.error is not None
        assert result.error["message"].startswith("Step state data cannot be stored: \n- note: string is not valid Unicode")
        stored = await wf.get_run("r3")
        assert stored is not None and stored.status == "failed"


class Anything(BaseModel):
    data: Any = None


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("\ud800", "data", "string is not valid Unicode"),
        ([b"ok", b"\xff\xfe"], "data.1", "bytes are not valid UTF-8"),
        (object(), "data", "is not JSON data"),
    ],
)
async def test_a_typed_output_that_cannot_be_stored_fails_naming_the_field(storage_url: str, value: Any, field: str, reason: str) -> None:
    """A model of the step's output type is dumped by its own serializer: what it lets through
    (a lone surrogate) or refuses (an unknown object) is still refused, naming the field."""
    wf = (
        create_workflow(id="unstorable-typed")
        .then(create_step(id="bad", output_schema=Anything, execute=lambda ctx: Anything(data=value)))
        .commit()
    )
    async with Stepstream([wf], storage=storage_from_url(storage_url)):
        run = await wf.create_run(run_id="r3")
        result = await run.start(input_data={})
        assert result.status == "failed" and result.error is not None
        message = result.error["message"]
        assert message.startswith("Step 'bad' output cannot be stored: \n")
        assert f"- {field}: " in message and reason in message
