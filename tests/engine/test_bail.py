"""N. Bail: ending the workflow early with success (Mastra scenario 90, and bail in composite nodes)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

from .matchers import T, wire


class Value(BaseModel):
    value: str


class Result(BaseModel):
    result: str


def _bail_workflow(calls: list[str]) -> Any:
    def step1_body(ctx: Any) -> Result:
        calls.append("step1")
        if ctx.input_data.value == "bail":
            ctx.bail({"result": "bailed"})
        return Result(result="step1: " + ctx.input_data.value)

    def step2_body(ctx: Any) -> Result:
        calls.append("step2")
        return Result(result="step2: " + ctx.input_data.result)

    step1 = create_step(id="step1", input_schema=Value, output_schema=Result, execute=step1_body)
    step2 = create_step(id="step2", input_schema=Result, output_schema=Result, execute=step2_body)
    return create_workflow(id="bail", input_schema=Value, output_schema=Result).then(step1).then(step2).commit()


async def test_bail_ends_the_workflow_with_success() -> None:
    calls: list[str] = []
    wf = _bail_workflow(calls)
    run = await wf.create_run()
    result = await run.start(input_data={"value": "bail"})
    assert result.status == "success"
    assert calls == ["step1"]
    out = result.to_dict()
    assert out["steps"]["step1"] == {
        "status": "success",
        "output": {"result": "bailed"},
        "payload": {"value": "bail"},
        "startedAt": T,
        "endedAt": T,
    }
    assert "step2" not in out["steps"]
    assert out["result"] == {"result": "bailed"}
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["status"] == "success"
    assert stored["result"] == {"result": "bailed"}


async def test_no_bail_runs_everything() -> None:
    calls: list[str] = []
    result = await (await _bail_workflow(calls).create_run()).start(input_data={"value": "no-bail"})
    assert calls == ["step1", "step2"]
    assert result.to_dict()["steps"]["step2"]["output"] == {"result": "step2: step1: no-bail"}


async def test_bail_event_in_the_stream() -> None:
    calls: list[str] = []
    stream = (await _bail_workflow(calls).create_run()).stream(input_data={"value": "bail"})
    events = [e.to_dict() async for e in stream]
    results = [e["payload"] for e in events if e["type"] == "workflow-step-result"]
    assert [(r["id"], r["status"]) for r in results] == [("step1", "bailed")]
    finish = events[-1]
    assert finish["type"] == "workflow-finish"
    assert finish["payload"]["workflowStatus"] == "success"
    assert (await stream.result).status == "success"


async def test_bail_without_a_value() -> None:
    def body(ctx: Any) -> Any:
        ctx.bail()

    after: list[str] = []
    wf = (
        create_workflow(id="bail-none", input_schema=Any, output_schema=Any)
        .then(create_step(id="s", execute=body))
        .then(create_step(id="after", execute=lambda ctx: after.append("after")))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result is None
    assert after == []


async def test_bail_keeps_state_updates() -> None:
    async def body(ctx: Any) -> Any:
        await ctx.set_state({"seen": True})
        ctx.bail("early")

    wf = create_workflow(id="bail-state", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    result = await (await wf.create_run()).start(input_data={}, initial_state={"n": 1})
    assert result.result == "early"
    assert result.state == {"n": 1, "seen": True}


@pytest.mark.parametrize("where", ["parallel", "branch"])
async def test_bail_inside_parallel_or_branch_ends_the_workflow(where: str) -> None:
    calls: list[str] = []

    def bailer(ctx: Any) -> Any:
        calls.append("bailer")
        ctx.bail({"from": "bailer"})

    def run_other(ctx: StepContext) -> dict[str, bool]:
        calls.append("other")
        return {"other": True}

    bail_step = create_step(id="bailer", execute=bailer)
    other = create_step(id="other", execute=run_other)
    after = create_step(id="after", execute=lambda ctx: calls.append("after"))
    wf = create_workflow(id=f"bail-{where}", input_schema=Any, output_schema=Any)
    if where == "parallel":
        wf.parallel([bail_step, other])
    else:
        wf.branch([(lambda ctx: True, bail_step), (lambda ctx: True, other)])
    wf.then(after).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == {"from": "bailer"}
    assert sorted(calls) == ["bailer", "other"]
    assert "after" not in result.steps
    assert result.steps["bailer"].status == "success"


async def test_bail_inside_a_loop_ends_the_workflow() -> None:
    calls: list[int] = []

    def body(ctx: Any) -> dict[str, int]:
        calls.append(ctx.input_data["n"])
        if ctx.input_data["n"] == 2:
            ctx.bail({"stoppedAt": 2})
        return {"n": ctx.input_data["n"] + 1}

    after = create_step(id="after", execute=lambda ctx: calls.append(-1))
    wf = (
        create_workflow(id="bail-loop", input_schema=Any, output_schema=Any)
        .dountil(create_step(id="counter", execute=body), lambda ctx: ctx.input_data["n"] >= 10)
        .then(after)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.status == "success"
    assert calls == [0, 1, 2]
    assert result.result == {"stoppedAt": 2}
    assert result.steps["counter"].metadata == {"iterationCount": 3}
