"""`create_workflow_state_reader`: a stored run's suspended steps and resume labels, read by a
process that did not run it (recorded in conformance/state-reader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stepstream import (
    StepContext,
    Stepstream,
    SuspendedStep,
    Workflow,
    create_step,
    create_workflow,
    create_workflow_state_reader,
)
from stepstream.storage import SQLiteStorage


def approval_flow() -> Workflow:
    async def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({"amount": ctx.input_data["amount"]}, resume_label="approve")
        return {"approved": ctx.resume_data["ok"]}

    inner = create_workflow("review").then(create_step("ask", execute=ask)).commit()
    return create_workflow("approvals").then(create_step("prep", execute=lambda ctx: ctx.input_data)).then(inner).commit()


async def test_another_process_finds_what_waits_and_resumes_it(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    async with Stepstream(workflows=[approval_flow()], storage=SQLiteStorage(db)) as app:
        run = await app.get_workflow("approvals").create_run()
        assert (await run.start(input_data={"amount": 70})).status == "suspended"
        run_id = run.run_id

    async with Stepstream(workflows=[approval_flow()], storage=SQLiteStorage(db)) as other:
        wf = other.get_workflow("approvals")
        reader = create_workflow_state_reader(await wf.get_run(run_id))
        assert reader.get_status() == "suspended"
        step = reader.get_suspended_step()
        assert isinstance(step, SuspendedStep)
        assert step.step_id == "review"
        assert step.path == ["review", "ask"]
        assert step.execution_path == [1]
        assert step.suspend_payload is not None and step.suspend_payload["amount"] == 70
        assert step.resume_labels == {"approve": {"stepId": "review"}}
        assert reader.get_resume_label("approve") == {"stepId": "review"}
        assert reader.get_resume_label("missing") is None
        assert reader.get_step_output("prep") == {"amount": 70}
        assert reader.get_step_payload("review.ask") == {"amount": 70}
        assert step.to_dict()["path"] == ["review", "ask"]
        done = await (await wf.create_run(run_id)).resume(resume_data={"ok": True}, step=step.path)
        assert done.status == "success"
        after = create_workflow_state_reader(await wf.get_run(run_id))
        assert after.get_status() == "success"
        assert after.get_result() == {"approved": True}
        assert after.get_suspended_steps() == []
        assert after.get_suspended_step() is None
        assert after.get_error() is None


class _Typed:
    """A state object with `to_dict()` (the typed form of `get_run()`'s result)."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


def test_a_typed_state_and_a_foreach_stored_per_item() -> None:
    state = {
        "status": "suspended",
        "steps": {
            "each": [
                {"status": "success", "payload": 1, "output": 10},
                {"status": "suspended", "payload": 2, "suspendPayload": {"why": "two"}, "suspendOutput": {"partial": 1}},
            ]
        },
        "suspendedPaths": {"each": [0]},
        "resumeLabels": {"item-2": {"stepId": "each", "foreachIndex": 1, "path": ["each"]}},
    }
    reader = create_workflow_state_reader(_Typed(state))
    assert reader.get_step_output("each") == [10, None]
    assert reader.get_step_payload("each") == [1, 2]
    (step,) = reader.get_suspended_steps()
    assert step.execution_path == [0]
    assert step.suspend_payload == {"why": "two"}
    assert step.suspend_output == {"partial": 1}
    assert step.resume_labels == {"item-2": {"stepId": "each", "foreachIndex": 1}}


def test_anything_else_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"what workflow\.get_run\(\) returns"):
        create_workflow_state_reader(None)
