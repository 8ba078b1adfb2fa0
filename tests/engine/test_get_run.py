"""`get_run()` returns a typed WorkflowState; `to_dict()` is Mastra's JSON (issue 7, item 10)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.results import StepResult, WorkflowState
from stepstream.storage import SQLiteStorage

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_get_run_is_typed_and_its_dict_is_mastras_workflow_state() -> None:
    async def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({"q": 1}, resume_label="go")
        return {"done": True}

    wf = (
        create_workflow(id="typed-state")
        .then(create_step(id="first", execute=lambda ctx: {"n": 1}))
        .parallel([create_step(id="left", execute=lambda ctx: 1), create_step(id="ask", execute=ask)])
        .commit()
    )
    run = await wf.create_run(resource_id="user-1")
    await run.start(input_data={"x": 1}, initial_state={"count": 0})
    state = await wf.get_run(run.run_id)
    assert isinstance(state, WorkflowState)
    assert (state.run_id, state.workflow_id, state.status, state.resource_id) == (run.run_id, "typed-state", "suspended", "user-1")
    assert isinstance(state.steps["first"], StepResult) and state.steps["first"].output == {"n": 1}
    assert state.suspended == [["ask"]] and state.payload == {"x": 1} and state.initial_state == {"count": 0}
    assert isinstance(state.created_at, int) and state.created_at <= state.updated_at
    data = state.to_dict()
    assert _ISO.match(data["createdAt"]) and _ISO.match(data["updatedAt"])
    assert data["suspendedPaths"] == {"ask": [1, 1]}  # entry 1, second step of the parallel
    assert data["resumeLabels"] == {"go": {"stepId": "ask"}}
    assert data["activeStepsPath"] == {} and data["waitingPaths"] == {}
    assert [e["type"] for e in data["serializedStepGraph"]] == ["step", "parallel"]
    assert data["initialState"] == {"count": 0} and data["resourceId"] == "user-1"
    assert "result" not in data and "error" not in data and "requestContext" not in data
    assert await wf.get_run("missing") is None


async def test_fields_limit_the_dict_to_what_was_asked() -> None:
    wf = create_workflow(id="fields").then(create_step(id="s", execute=lambda ctx: {"ok": True})).commit()
    run = await wf.create_run()
    await run.start(input_data={}, request_context={"user": "ann"})
    state = await wf.get_run(run.run_id, fields=["result", "requestContext"])
    assert state is not None
    assert set(state.to_dict()) == {"runId", "workflowName", "resourceId", "createdAt", "updatedAt", "status", "result", "requestContext"}
    assert state.to_dict()["requestContext"] == {"user": "ann"}
    assert state.steps["s"].output == {"ok": True}  # the typed object keeps everything


async def test_a_started_run_is_found_and_listed_before_its_first_write(tmp_path: Path) -> None:
    """On shared storage a fresh run's insert rides with its first write; `get_run` and
    `list_runs` in this process still see the run as soon as its start is under way."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(ctx: StepContext) -> int:
        entered.set()
        await release.wait()
        return 1

    wf = create_workflow(id="fresh-state").then(create_step(id="slow", execute=slow)).commit()
    Stepstream([wf], storage=SQLiteStorage(tmp_path / "runs.db"))
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={}))
    await entered.wait()
    state = await wf.get_run(run.run_id)
    assert state is not None and state.status == "running"
    assert [r["runId"] for r in (await wf.list_runs())["runs"]] == [run.run_id]
    release.set()
    assert (await task).status == "success"
    state = await wf.get_run(run.run_id)
    assert state is not None and state.status == "success"
