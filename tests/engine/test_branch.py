"""D. Branching and conditions (Mastra scenarios 28-34)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import StepContext, Workflow, create_step, create_workflow

from .matchers import T


class Start(BaseModel):
    startValue: int  # Mastra's field names


class NewValue(BaseModel):
    newValue: int


class Final(BaseModel):
    finalValue: int


# -- 28: if / else ---------------------------------------------------------------------------------


def _if_else(calls: dict[str, int]) -> Workflow:
    def count(name: str) -> None:
        calls[name] = calls.get(name, 0) + 1

    def start_body(ctx: Any) -> NewValue:
        count("start")
        return NewValue(newValue=ctx.input_data.startValue + 1)

    def other_body(ctx: Any) -> dict[str, int]:
        count("other")
        return {"newValue": ctx.input_data.newValue, "other": 26}

    def final_else_body(ctx: Any) -> Final:
        count("finalElse")
        return Final(finalValue=ctx.input_data["newValue"] + ctx.input_data["other"])

    def final_if_body(ctx: Any) -> Final:
        count("finalIf")
        return Final(finalValue=ctx.input_data.newValue)

    start = create_step(id="start", input_schema=Start, output_schema=NewValue, execute=start_body)
    other = create_step(id="other", input_schema=NewValue, output_schema=dict[str, int], execute=other_body)
    final_else = create_step(id="final-else", input_schema=dict[str, int], output_schema=Final, execute=final_else_body)
    final_if = create_step(id="final-if", input_schema=NewValue, output_schema=Final, execute=final_if_body)
    else_branch = create_workflow(id="else-branch", input_schema=NewValue, output_schema=Final).then(other).then(final_else).commit()
    return (
        create_workflow(id="if-else", input_schema=Start, output_schema=Any)
        .then(start)
        .branch(
            [
                (lambda ctx: ctx.input_data.newValue < 5, final_if),
                (lambda ctx: ctx.input_data.newValue >= 5, else_branch),
            ]
        )
        .commit()
    )


async def test_if_branch_runs() -> None:
    calls: dict[str, int] = {}
    result = await (await _if_else(calls).create_run()).start(input_data={"startValue": 1})
    assert result.status == "success"
    assert calls == {"start": 1, "finalIf": 1}
    out = result.to_dict()
    assert out["steps"]["final-if"]["output"] == {"finalValue": 2}
    assert "else-branch" not in out["steps"]
    assert out["result"] == {"final-if": {"finalValue": 2}}


async def test_else_branch_runs_a_nested_workflow() -> None:
    calls: dict[str, int] = {}
    result = await (await _if_else(calls).create_run()).start(input_data={"startValue": 6})
    assert result.status == "success"
    assert calls == {"start": 1, "other": 1, "finalElse": 1}
    out = result.to_dict()
    assert out["steps"]["start"]["output"] == {"newValue": 7}
    assert out["steps"]["else-branch"]["output"] == {"finalValue": 33}
    assert "final-if" not in out["steps"]
    assert out["result"] == {"else-branch": {"finalValue": 33}}


# -- 29: the node after a branch gets only the keys that ran ---------------------------------------------


def _nested_pair() -> tuple[Workflow, Workflow]:
    a_step = create_step(id="a-final", input_schema=Any, output_schema=Final, execute=lambda ctx: Final(finalValue=27))
    b_step = create_step(id="b-final", input_schema=Any, output_schema=Final, execute=lambda ctx: Final(finalValue=1))
    wf_a = create_workflow(id="nested-workflow-a", input_schema=Any, output_schema=Final).then(a_step).commit()
    wf_b = create_workflow(id="nested-workflow-b", input_schema=Any, output_schema=Final).then(b_step).commit()
    return wf_a, wf_b


@pytest.mark.parametrize(
    ("take_a", "expected"), [(True, {"nested-workflow-a": {"finalValue": 27}}), (False, {"nested-workflow-b": {"finalValue": 1}})]
)
async def test_step_after_branch_sees_only_the_branch_that_ran(take_a: bool, expected: dict[str, Any]) -> None:
    wf_a, wf_b = _nested_pair()
    seen: list[Any] = []
    last = create_step(id="last", input_schema=dict[str, Any], output_schema=Any, execute=lambda ctx: seen.append(ctx.input_data))
    wf = (
        create_workflow(id="branch-nested", input_schema=Any, output_schema=Any)
        .branch([(lambda ctx: take_a, wf_a), (lambda ctx: not take_a, wf_b)])
        .then(last)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert len(seen) == 1 and set(seen[0]) == set(expected)
    assert result.to_dict()["steps"]["last"]["payload"] == expected
    untaken = "nested-workflow-b" if take_a else "nested-workflow-a"
    assert untaken not in result.steps
    assert seen[0].get(untaken) is None


# -- 30: every truthy condition runs; map picks the branch that ran ----------------------------------


async def test_all_true_conditions_run_and_map_picks_the_one_that_ran() -> None:
    calls: list[str] = []

    def make(name: str) -> Any:
        def body(ctx: Any) -> dict[str, str]:
            calls.append(name)
            return {"result": name}

        return create_step(id=name, input_schema=Any, output_schema=dict[str, str], execute=body)

    step1, step2, step3, step2b = make("step1"), make("step2"), make("step3"), make("step2b")
    step4 = create_step(id="step4", input_schema=dict[str, Any], output_schema=dict[str, Any], execute=lambda ctx: dict(ctx.input_data))
    wf = (
        create_workflow(id="multi-true", input_schema=Any, output_schema=Any)
        .then(step1)
        .branch([(lambda ctx: True, step2), (lambda ctx: False, step3), (lambda ctx: True, step2b)])
        .map({"result": {"step": [step3, step2], "path": "result"}})
        .then(step4)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert sorted(calls) == ["step1", "step2", "step2b"]
    branch_output = result.steps["mapping_multi-true_0"].payload
    assert branch_output == {"step2": {"result": "step2"}, "step2b": {"result": "step2b"}}
    assert result.steps["step4"].output == {"result": "step2"}
    assert "step3" not in result.steps


# -- 31: no true condition -------------------------------------------------------------------------


async def test_no_true_condition_continues_with_an_empty_output() -> None:
    calls: list[str] = []
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], execute=lambda ctx: {"status": "success"})
    step2 = create_step(id="step2", input_schema=Any, output_schema=Any, execute=lambda ctx: calls.append("step2"))
    step3 = create_step(id="step3", input_schema=Any, output_schema=Any, execute=lambda ctx: calls.append("step3"))
    seen: list[Any] = []

    def record_input(ctx: StepContext) -> str:
        seen.append(ctx.input_data)
        return "done"

    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=record_input)
    wf = (
        create_workflow(id="none-true", input_schema=Any, output_schema=Any)
        .then(step1)
        .branch([(lambda ctx: ctx.input_data["status"] == "failed", step2), (lambda ctx: False, step3)])
        .map({"maybe": {"step": step2, "path": "x.y"}, "status": {"step": step1, "path": "status"}})
        .then(after)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert calls == []
    assert seen == [{"maybe": None, "status": "success"}]
    assert result.result == "done"
    assert "step2" not in result.steps and "step3" not in result.steps


# -- 32: conditions read earlier steps ---------------------------------------------------------------


async def test_conditions_can_read_earlier_steps() -> None:
    calls: list[str] = []
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, Any], execute=lambda ctx: {"status": "partial", "score": 75})

    def run_step2(ctx: StepContext) -> dict[str, str]:
        calls.append("step2")
        return {"result": "step2"}

    step2 = create_step(id="step2", input_schema=dict[str, Any], output_schema=dict[str, str], execute=run_step2)
    step3 = create_step(id="step3", input_schema=Any, output_schema=Any, execute=lambda ctx: calls.append("step3"))

    def good_enough(ctx: Any) -> bool:
        r = ctx.get_step_result(step1)
        verdict: bool = r["status"] == "success" or (r["status"] == "partial" and r["score"] >= 70)
        return verdict

    async def never(ctx: Any) -> bool:
        score: int = ctx.get_step_result("step1")["score"]
        return score > 100

    wf = (
        create_workflow(id="complex-cond", input_schema=Any, output_schema=Any)
        .then(step1)
        .branch([(good_enough, step2)])
        .branch([(never, step3)])
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert calls == ["step2"]
    assert result.to_dict()["steps"]["step2"] == {
        "status": "success",
        "output": {"result": "step2"},
        "payload": {"status": "partial", "score": 75},
        "startedAt": T,
        "endedAt": T,
    }
    assert "step3" not in result.steps
    assert result.result == {}


async def test_condition_context_fields() -> None:
    seen: list[tuple[Any, ...]] = []
    target = create_step(id="target", input_schema=dict[str, int], output_schema=Any, execute=lambda ctx: "ran")

    def cond(ctx: Any) -> bool:
        seen.append((ctx.input_data, ctx.retry_count, ctx.get_init_data(), ctx.request_context.get("k"), ctx.state, ctx.run_id))
        return True

    wf = create_workflow(id="cond-ctx", input_schema=dict[str, int], output_schema=Any).branch([(cond, target)]).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"n": 1}, request_context={"k": "v"}, initial_state={"s": 1})
    assert result.result == {"target": "ran"}
    assert seen == [({"n": 1}, -1, {"n": 1}, "v", {"s": 1}, run.run_id)]


# -- 33: a throwing condition counts as false and is logged --------------------------------------


async def test_throwing_condition_is_false_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def run_a(ctx: StepContext) -> str:
        calls.append("a")
        return "a"

    def run_b(ctx: StepContext) -> str:
        calls.append("b")
        return "b"

    a = create_step(id="a", input_schema=Any, output_schema=Any, execute=run_a)
    b = create_step(id="b", input_schema=Any, output_schema=Any, execute=run_b)

    def broken(ctx: Any) -> bool:
        raise RuntimeError("condition exploded")

    wf = create_workflow(id="cond-error", input_schema=Any, output_schema=Any).branch([(broken, a), (lambda ctx: True, b)]).commit()
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        run = await wf.create_run()
        result = await run.start(input_data={})
    assert result.status == "success"
    assert calls == ["b"]
    assert result.result == {"b": "b"}
    warnings = [r for r in caplog.records if "WORKFLOW_CONDITION_EVALUATION_FAILED" in r.getMessage()]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "'cond-error'" in message and run.run_id in message and "condition exploded" in message


# -- 34: a nested workflow used as a branch gets the branch input -----------------------------------


async def test_nested_workflow_branch_receives_the_branch_input() -> None:
    seen: list[Any] = []

    def process(ctx: Any) -> dict[str, str]:
        return {"result": f"Processed value: {ctx.input_data['numberValue']}"}

    def to_number(ctx: Any) -> dict[str, int]:
        seen.append(ctx.input_data)
        return {"numberValue": ctx.input_data["value"]}

    nested = (
        create_workflow(id="nested", input_schema=dict[str, int], output_schema=dict[str, str])
        .map(to_number)
        .then(create_step(id="process", input_schema=dict[str, int], output_schema=dict[str, str], execute=process))
        .commit()
    )
    wf = (
        create_workflow(id="branch-map", input_schema=dict[str, int], output_schema=Any)
        .branch([(lambda ctx: ctx.input_data["value"] > 10, nested)])
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"value": 15})
    assert result.status == "success"
    assert seen == [{"value": 15}]
    assert result.steps["nested"].output == {"result": "Processed value: 15"}
    assert result.steps["nested"].payload == {"value": 15}


async def test_branch_failure_fails_the_run() -> None:
    def boom(ctx: Any) -> Any:
        raise ValueError("branch step failed")

    bad = create_step(id="bad", input_schema=Any, output_schema=Any, execute=boom)
    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=lambda ctx: "after")
    wf = create_workflow(id="branch-fail", input_schema=Any, output_schema=Any).branch([(lambda ctx: True, bad)]).then(after).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None and result.error["message"] == "branch step failed"
    assert result.steps["bad"].status == "failed"
    assert "after" not in result.steps
