"""H. Nested workflows (Mastra scenarios 56-61)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from pydantic import BaseModel

from stepstream import StepContext, Workflow, create_step, create_workflow

from .matchers import T, wire


class Start(BaseModel):
    startValue: int


class NewValue(BaseModel):
    newValue: int


class Final(BaseModel):
    finalValue: int


def _pair(calls: Counter[str]) -> tuple[Workflow, Workflow]:
    def start_body(ctx: Any) -> dict[str, int]:
        calls["start"] += 1
        return {"newValue": ctx.input_data.startValue + 1}

    def other_body(ctx: Any) -> dict[str, int]:
        calls["other"] += 1
        return {"other": 26}

    def final_body(ctx: Any) -> Final:
        calls["final"] += 1
        start_out = ctx.get_step_result("start")
        other_out = ctx.get_step_result("other")
        return Final(finalValue=start_out["newValue"] + (other_out["other"] if other_out else 0))

    start = create_step(id="start", input_schema=Start, output_schema=dict[str, int], execute=start_body)
    other = create_step(id="other", input_schema=NewValue, output_schema=dict[str, int], execute=other_body)
    final = create_step(id="final", input_schema=Any, output_schema=Final, execute=final_body)
    wf_a = create_workflow(id="nested-workflow-a", input_schema=Start, output_schema=Final).then(start).then(other).then(final).commit()
    wf_b = (
        create_workflow(id="nested-workflow-b", input_schema=Start, output_schema=Final)
        .then(start)
        .map(lambda ctx: {"newValue": ctx.input_data["newValue"]})
        .then(final)
        .commit()
    )
    return wf_a, wf_b


# -- 56: two nested workflows in parallel -------------------------------------------------------------


async def test_two_nested_workflows_in_parallel() -> None:
    calls: Counter[str] = Counter()
    wf_a, wf_b = _pair(calls)

    def last_body(ctx: Any) -> dict[str, bool]:
        calls["last"] += 1
        return {"done": True}

    last = create_step(id="last-step", input_schema=dict[str, Final], output_schema=dict[str, bool], execute=last_body)
    wf = create_workflow(id="nest-par", input_schema=Start, output_schema=Any).parallel([wf_a, wf_b]).then(last).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"startValue": 0})
    assert result.status == "success"
    assert calls == {"start": 2, "other": 1, "final": 2, "last": 1}
    steps = result.to_dict()["steps"]
    assert steps["nested-workflow-a"]["output"] == {"finalValue": 27}
    assert steps["nested-workflow-b"]["output"] == {"finalValue": 1}
    assert steps["last-step"] == {
        "status": "success",
        "output": {"done": True},
        "payload": {"nested-workflow-a": {"finalValue": 27}, "nested-workflow-b": {"finalValue": 1}},
        "startedAt": T,
        "endedAt": T,
    }
    # the run result holds only this level; inner steps are stored under dotted keys
    assert set(result.steps) == {"nested-workflow-a", "nested-workflow-b", "last-step"}
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["steps"]["nested-workflow-a.other"]["output"] == {"other": 26}
    assert stored["steps"]["nested-workflow-b.final"]["output"] == {"finalValue": 1}


async def test_nested_record_shape() -> None:
    calls: Counter[str] = Counter()
    wf_a, _ = _pair(calls)
    wf = create_workflow(id="nest-one", input_schema=Start, output_schema=Final).then(wf_a).commit()
    result = await (await wf.create_run()).start(input_data={"startValue": 0})
    assert result.to_dict()["steps"] == {
        "input": {"startValue": 0},
        "nested-workflow-a": {
            "status": "success",
            "payload": {"startValue": 0},
            "output": {"finalValue": 27},
            "startedAt": T,
            "endedAt": T,
        },
    }


# -- 58: a branch inside a nested workflow ---------------------------------------------------------


async def test_branch_inside_a_nested_workflow() -> None:
    calls: Counter[str] = Counter()

    def start_body(ctx: Any) -> NewValue:
        calls["start"] += 1
        return NewValue(newValue=ctx.input_data.startValue + 1)

    start = create_step(id="start", input_schema=Start, output_schema=NewValue, execute=start_body)
    other = create_step(id="other", input_schema=NewValue, output_schema=Any, execute=lambda ctx: calls.update(["other"]))
    final = create_step(
        id="final", input_schema=NewValue, output_schema=Final, execute=lambda ctx: Final(finalValue=ctx.input_data.newValue)
    )
    wf_b = (
        create_workflow(id="nested-workflow-b", input_schema=Start, output_schema=Final)
        .then(start)
        .branch([(lambda ctx: False, other), (lambda ctx: True, final)])
        .map({"finalValue": {"step": final, "path": "finalValue"}})
        .commit()
    )
    wf_a = (
        create_workflow(id="nested-workflow-a", input_schema=Start, output_schema=Final)
        .then(create_step(id="a-step", execute=lambda ctx: {"finalValue": -1}))
        .commit()
    )
    seen: list[Any] = []
    last = create_step(id="last-step", input_schema=Any, output_schema=Any, execute=lambda ctx: seen.append(ctx.input_data))
    wf = (
        create_workflow(id="nest-branch", input_schema=Start, output_schema=Any)
        .branch([(lambda ctx: False, wf_a), (lambda ctx: True, wf_b)])
        .then(last)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"startValue": 0})
    assert result.status == "success"
    assert result.to_dict()["steps"]["nested-workflow-b"]["output"] == {"finalValue": 1}
    assert result.to_dict()["steps"]["last-step"]["payload"] == {"nested-workflow-b": {"finalValue": 1}}
    assert "nested-workflow-a" not in result.steps
    assert calls == {"start": 1}


# -- 59: a failing nested workflow -------------------------------------------------------------------


async def test_failing_nested_workflow_fails_the_parent() -> None:
    after_calls: list[str] = []

    def boom(ctx: Any) -> Any:
        raise RuntimeError("Step execution failed")

    inner = create_workflow(id="failing-nested", input_schema=Any, output_schema=Any).then(create_step(id="boom", execute=boom)).commit()
    after = create_step(id="after", execute=lambda ctx: after_calls.append("after"))
    wf = create_workflow(id="nest-fail", input_schema=Any, output_schema=Any).then(inner).then(after).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    steps = result.to_dict()["steps"]
    assert steps["failing-nested"] == {
        "status": "failed",
        "payload": {},
        "error": {"message": "Step execution failed", "name": "RuntimeError"},
        "startedAt": T,
        "endedAt": T,
    }
    error = result.steps["failing-nested"].error
    assert isinstance(error, RuntimeError)
    assert str(error) == "Step execution failed"
    assert result.error == {"message": "Step execution failed", "name": "RuntimeError"}
    assert after_calls == []
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["steps"]["failing-nested.boom"]["status"] == "failed"


async def test_invalid_input_to_a_nested_workflow_fails_the_step() -> None:
    inner_calls: list[str] = []
    inner = (
        create_workflow(id="typed-nested", input_schema=Start, output_schema=Any)
        .then(create_step(id="inner", input_schema=Start, execute=lambda ctx: inner_calls.append("inner")))
        .commit()
    )
    wf = create_workflow(id="nest-bad-input", input_schema=Any, output_schema=Any).then(inner).commit()
    result = await (await wf.create_run()).start(input_data={"wrong": 1})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "Step input validation failed: \n- startValue: Field required"
    assert result.steps["typed-nested"].status == "failed"
    assert inner_calls == []


# -- 60: a nested success passes through unchanged ---------------------------------------------------------


async def test_nested_bail_ends_only_the_nested_workflow() -> None:
    calls: list[str] = []

    def bailer(ctx: Any) -> Any:
        ctx.bail({"bailed": True})

    inner = (
        create_workflow(id="bailing-nested", input_schema=Any, output_schema=Any)
        .then(create_step(id="bailer", execute=bailer))
        .then(create_step(id="never", execute=lambda ctx: calls.append("never")))
        .commit()
    )

    def after_bail(ctx: StepContext) -> dict[str, Any]:
        calls.append("after")
        return {"got": ctx.input_data}

    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=after_bail)
    wf = create_workflow(id="nest-bail", input_schema=Any, output_schema=Any).then(inner).then(after).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert calls == ["after"]
    assert result.steps["bailing-nested"].output == {"bailed": True}
    assert result.result == {"got": {"bailed": True}}


async def test_three_levels_of_nesting_and_init_data() -> None:
    seen: list[Any] = []

    def leaf_body(ctx: Any) -> dict[str, int]:
        seen.append(ctx.get_init_data())
        return {"depth": ctx.input_data["depth"] + 1}

    def level(name: str, inner: Any) -> Workflow:
        return (
            create_workflow(id=name, input_schema=dict[str, int], output_schema=dict[str, int])
            .map(lambda ctx: {"depth": ctx.input_data["depth"] + 1})
            .then(inner)
            .commit()
        )

    leaf = create_step(id="leaf", input_schema=dict[str, int], output_schema=dict[str, int], execute=leaf_body)
    wf_c = level("c", level("b", level("a", leaf)))
    wf = create_workflow(id="nest-deep", input_schema=dict[str, int], output_schema=Any).then(wf_c).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"depth": 0})
    assert result.result == {"depth": 4}
    assert seen == [{"depth": 2}]  # get_init_data() inside a nested workflow is that workflow's input
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["steps"]["c.b.a.leaf"]["output"] == {"depth": 4}
    assert stored["steps"]["c.b.a.leaf"]["payload"] == {"depth": 3}


# -- 61: the stored view flattens nested steps ------------------------------------------------------------


async def test_stored_view_flattens_nested_steps() -> None:
    inc = create_step(
        id="increment",
        input_schema=dict[str, int],
        output_schema=dict[str, int],
        execute=lambda ctx: {"value": ctx.input_data["value"] + 1},
    )
    again = (
        create_workflow(id="nested-increment-workflow-again", input_schema=dict[str, int], output_schema=dict[str, int]).then(inc).commit()
    )
    nested = create_workflow(id="nested-increment-workflow", input_schema=dict[str, int], output_schema=dict[str, int]).then(again).commit()
    final = create_step(id="final", input_schema=dict[str, int], output_schema=dict[str, int], execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="nest-view", input_schema=dict[str, int], output_schema=Any).then(nested).then(final).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"value": 0})
    assert result.status == "success"
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["status"] == "success"
    keys = [
        "nested-increment-workflow",
        "nested-increment-workflow.nested-increment-workflow-again",
        "nested-increment-workflow.nested-increment-workflow-again.increment",
    ]
    for key in keys:
        assert stored["steps"][key]["payload"] == {"value": 0}
        assert stored["steps"][key]["output"] == {"value": 1}
        assert stored["steps"][key]["status"] == "success"
    assert set(stored["steps"]) == {*keys, "final"}
    top = wire(await wf.get_run(run.run_id, with_nested_workflows=False))
    assert top is not None
    assert set(top["steps"]) == {"nested-increment-workflow", "final"}


async def test_nested_workflow_steps_run_concurrently_with_siblings() -> None:
    active = 0
    peak = 0

    async def slow(ctx: Any) -> int:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        return 1

    n1 = create_workflow(id="n1", input_schema=Any, output_schema=int).then(create_step(id="s1", execute=slow)).commit()
    n2 = create_workflow(id="n2", input_schema=Any, output_schema=int).then(create_step(id="s2", execute=slow)).commit()
    wf = create_workflow(id="nest-concurrent", input_schema=Any, output_schema=Any).parallel([n1, n2]).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.result == {"n1": 1, "n2": 1}
    assert peak == 2


async def test_abort_inside_a_nested_workflow_cancels_the_parent() -> None:
    calls: list[str] = []

    def aborting(ctx: Any) -> dict[str, bool]:
        calls.append("aborting")
        ctx.abort()
        return {"done": True}

    inner = (
        create_workflow(id="aborting-nested", input_schema=Any, output_schema=Any)
        .then(create_step(id="aborting", execute=aborting))
        .then(create_step(id="inner-after", execute=lambda ctx: calls.append("inner-after")))
        .commit()
    )
    after = create_step(id="after", execute=lambda ctx: calls.append("after"))
    wf = create_workflow(id="nest-abort", input_schema=Any, output_schema=Any).then(inner).then(after).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "canceled"
    assert calls == ["aborting"]
    assert result.steps["aborting-nested"].status == "canceled"
    assert "after" not in result.steps
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "canceled"
