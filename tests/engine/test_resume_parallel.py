"""Suspend and resume with several suspended steps at once (scenarios Q.107-Q.111)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import ResumeError, Step, StepContext, Workflow, create_step, create_workflow


class V(BaseModel):
    value: int


class R(BaseModel):
    result: int


def suspending(step_id: str, calls: Counter[str], op: Callable[[int, int], int], resume_key: str, label: str | None = None) -> Step:
    """A step that suspends until it gets `{resume_key: n}`, then returns `{result: op(value, n)}`."""

    async def execute(ctx: StepContext) -> R:
        calls[step_id] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"waitingFor": resume_key}, resume_label=label)
        return R(result=op(ctx.input_data.value, ctx.resume_data[resume_key]))

    return create_step(step_id, input_schema=V, output_schema=R, resume_schema=dict[str, int], execute=execute)


def two_suspending_parallel(calls: Counter[str], then_calls: Counter[str] | None = None) -> tuple[Workflow, Step, Step]:
    p1 = suspending("parallel-step-1", calls, lambda v, n: v * n, "multiplier")
    p2 = suspending("parallel-step-2", calls, lambda v, n: v // n, "divisor")
    wf = create_workflow("par-suspend", input_schema=V, output_schema=dict[str, Any]).parallel([p1, p2])
    if then_calls is not None:

        async def after(ctx: StepContext) -> dict[str, Any]:
            then_calls["after"] += 1
            return {"sum": ctx.input_data["parallel-step-1"].result + ctx.input_data["parallel-step-2"].result}

        wf = wf.then(create_step("after", input_schema=dict[str, R], output_schema=dict[str, Any], execute=after))
    return wf.commit(), p1, p2


async def test_one_parallel_branch_suspends_the_other_succeeds() -> None:
    calls: Counter[str] = Counter()

    async def normal(ctx: StepContext) -> dict[str, str]:
        calls["step1"] += 1
        return {"result": "normal-done"}

    async def waits(ctx: StepContext) -> dict[str, str]:
        calls["step2"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"waitingFor": "approval"})
        return {"result": "approved"}

    async def after(ctx: StepContext) -> dict[str, Any]:
        calls["after"] += 1
        data: dict[str, Any] = ctx.input_data
        return data

    s1 = create_step("step1", input_schema=V, output_schema=dict[str, str], execute=normal)
    s2 = create_step("step2", input_schema=V, output_schema=dict[str, str], execute=waits)
    s3 = create_step("after", input_schema=dict[str, Any], output_schema=dict[str, Any], execute=after)
    wf = create_workflow("one-suspends", input_schema=V, output_schema=dict[str, Any]).parallel([s1, s2]).then(s3).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 1})
    assert first.status == "suspended"
    assert first.steps["step1"].status == "success"
    assert first.steps["step1"].output == {"result": "normal-done"}
    assert first.steps["step2"].status == "suspended"
    assert first.steps["step2"].suspend_payload == {"waitingFor": "approval"}
    assert first.suspended == [["step2"]]
    assert "after" not in first.steps

    done = await run.resume(resume_data={})
    assert done.status == "success"
    assert done.result == {"step1": {"result": "normal-done"}, "step2": {"result": "approved"}}
    assert calls == Counter({"step1": 1, "step2": 2, "after": 1})
    # the sibling that had finished keeps its record untouched
    assert done.steps["step1"].to_dict() == first.steps["step1"].to_dict()


async def test_parallel_without_suspension_completes() -> None:
    async def ten(ctx: StepContext) -> V:
        return V(value=10)

    async def twenty(ctx: StepContext) -> V:
        return V(value=20)

    a = create_step("a", input_schema=V, output_schema=V, execute=ten)
    b = create_step("b", input_schema=V, output_schema=V, execute=twenty)
    wf = create_workflow("no-suspend", input_schema=V, output_schema=dict[str, Any]).parallel([a, b]).commit()
    result = await (await wf.create_run()).start(input_data={"value": 0})
    assert result.status == "success"
    assert result.to_dict()["result"] == {"a": {"value": 10}, "b": {"value": 20}}


async def test_both_parallel_branches_suspend_and_are_resumed_one_at_a_time() -> None:
    calls: Counter[str] = Counter()
    then_calls: Counter[str] = Counter()
    wf, p1, _p2 = two_suspending_parallel(calls, then_calls)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 100})
    assert first.status == "suspended"
    assert first.suspended == [["parallel-step-1"], ["parallel-step-2"]]
    assert first.suspend_payload == {"parallel-step-1": {"waitingFor": "multiplier"}, "parallel-step-2": {"waitingFor": "divisor"}}

    mid = await run.resume(step=p1, resume_data={"multiplier": 2})
    # resuming one branch neither completes the block nor runs what follows (#6418)
    assert mid.status == "suspended"
    assert mid.suspended == [["parallel-step-2"]]
    assert mid.steps["parallel-step-1"].status == "success"
    assert mid.steps["parallel-step-1"].output == {"result": 200}
    assert mid.steps["parallel-step-2"].status == "suspended"
    assert mid.steps["parallel-step-2"].suspend_payload == {"waitingFor": "divisor"}
    assert mid.steps["parallel-step-2"].to_dict() == first.steps["parallel-step-2"].to_dict()
    assert "after" not in mid.steps
    assert then_calls["after"] == 0
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "suspended"
    assert stored.suspended == [["parallel-step-2"]]

    done = await run.resume(step="parallel-step-2", resume_data={"divisor": 5})
    assert done.status == "success"
    # the branch resumed first stays completed, with the same record (#9288)
    assert done.steps["parallel-step-1"].to_dict() == mid.steps["parallel-step-1"].to_dict()
    assert done.to_dict()["steps"]["after"]["payload"] == {"parallel-step-1": {"result": 200}, "parallel-step-2": {"result": 20}}
    assert done.result == {"sum": 220}
    assert calls == Counter({"parallel-step-1": 2, "parallel-step-2": 2})
    assert then_calls["after"] == 1


async def test_parallel_resume_order_does_not_matter() -> None:
    calls: Counter[str] = Counter()
    wf, _, _ = two_suspending_parallel(calls)
    run = await wf.create_run()
    await run.start(input_data={"value": 100})
    mid = await run.resume(step="parallel-step-2", resume_data={"divisor": 4})
    assert mid.suspended == [["parallel-step-1"]]
    done = await run.resume(resume_data={"multiplier": 3})  # the only one left: no step needed
    assert done.status == "success"
    assert done.to_dict()["result"] == {"parallel-step-1": {"result": 300}, "parallel-step-2": {"result": 25}}


async def test_parallel_steps_suspending_different_numbers_of_times() -> None:
    calls: Counter[str] = Counter()

    async def first(ctx: StepContext) -> R:
        calls["multi-resume-step-1"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"n": 1})
        return R(result=ctx.input_data.value + ctx.resume_data["increment"])

    async def second(ctx: StepContext) -> R:
        calls["multi-resume-step-2"] += 1
        if ctx.resume_data is None or ctx.resume_data.get("multiplier") is None:
            await ctx.suspend({"n": calls["multi-resume-step-2"]})
        return R(result=ctx.input_data.value * ctx.resume_data["multiplier"])

    s1 = create_step("multi-resume-step-1", input_schema=V, output_schema=R, execute=first)
    s2 = create_step("multi-resume-step-2", input_schema=V, output_schema=R, execute=second)
    wf = create_workflow("multi-resume", input_schema=V, output_schema=dict[str, Any]).parallel([s1, s2]).commit()
    run = await wf.create_run()
    await run.start(input_data={"value": 10})
    r1 = await run.resume(step=s1, resume_data={"increment": 5})
    assert r1.status == "suspended"
    assert r1.suspended == [["multi-resume-step-2"]]
    r2 = await run.resume(step=s2, resume_data={"nothing": True})
    assert r2.status == "suspended"
    assert r2.steps["multi-resume-step-2"].suspend_payload == {"n": 2}
    assert r2.steps["multi-resume-step-1"].output == {"result": 15}
    r3 = await run.resume(step=s2, resume_data={"multiplier": 3})
    assert r3.status == "success"
    assert r3.to_dict()["result"] == {"multi-resume-step-1": {"result": 15}, "multi-resume-step-2": {"result": 30}}
    assert calls == Counter({"multi-resume-step-1": 2, "multi-resume-step-2": 3})


async def test_both_branches_of_a_branch_block_suspend() -> None:
    calls: Counter[str] = Counter()
    b1 = suspending("branch-step-1", calls, lambda v, n: v * n, "multiplier")
    b2 = suspending("branch-step-2", calls, lambda v, n: v * n, "multiplier")
    conditions: Counter[str] = Counter()

    def cond(name: str) -> Callable[[StepContext], bool]:
        def check(ctx: StepContext) -> bool:
            conditions[name] += 1
            return True

        return check

    wf = (
        create_workflow("branch-both", input_schema=V, output_schema=dict[str, Any]).branch([(cond("one"), b1), (cond("two"), b2)]).commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={"value": 10})
    assert first.status == "suspended"
    assert first.steps["branch-step-1"].status == "suspended"
    assert first.steps["branch-step-2"].status == "suspended"
    assert first.suspended == [["branch-step-1"], ["branch-step-2"]]

    mid = await run.resume(step="branch-step-1", resume_data={"multiplier": 2})
    assert mid.status == "suspended"
    assert mid.steps["branch-step-1"].status == "success"
    assert mid.steps["branch-step-2"].status == "suspended"
    assert mid.suspended == [["branch-step-2"]]

    done = await run.resume(step="branch-step-2", resume_data={"multiplier": 3})
    assert done.status == "success"
    assert done.to_dict()["result"] == {"branch-step-1": {"result": 20}, "branch-step-2": {"result": 30}}
    # conditions are evaluated once, at start, never on resume
    assert conditions == Counter({"one": 1, "two": 1})
    assert calls == Counter({"branch-step-1": 2, "branch-step-2": 2})


async def test_auto_detect_refuses_when_several_steps_are_suspended() -> None:
    calls: Counter[str] = Counter()
    wf, _, _ = two_suspending_parallel(calls)
    run = await wf.create_run()
    await run.start(input_data={"value": 100})
    with pytest.raises(ResumeError) as info:
        await run.resume(resume_data={"multiplier": 2})
    assert str(info.value) == (
        'Multiple suspended steps found: [parallel-step-1], [parallel-step-2]. Please specify which step to resume using the "step" parameter.'
    )
    # nothing ran and the run is still suspended, with both steps
    assert calls == Counter({"parallel-step-1": 1, "parallel-step-2": 1})
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "suspended"
    assert stored.suspended == [["parallel-step-1"], ["parallel-step-2"]]

    mid = await run.resume(step="parallel-step-1", resume_data={"multiplier": 2})
    assert len(mid.suspended) == 1
    assert mid.suspended[0][-1] == "parallel-step-2"


async def test_labels_tell_parallel_steps_apart_and_are_kept_for_the_remaining_step() -> None:
    calls: Counter[str] = Counter()
    legal = suspending("legal", calls, lambda v, n: v + n, "by", label="legal-review")
    finance = suspending("finance", calls, lambda v, n: v - n, "by", label="finance-review")
    wf = create_workflow("labels", input_schema=V, output_schema=dict[str, Any]).parallel([legal, finance]).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 10})
    assert first.resume_labels == {"legal-review": {"stepId": "legal"}, "finance-review": {"stepId": "finance"}}
    mid = await run.resume(label="finance-review", resume_data={"by": 3})
    assert mid.status == "suspended"
    assert mid.suspended == [["legal"]]
    assert mid.resume_labels == {"legal-review": {"stepId": "legal"}}
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.resume_labels == {"legal-review": {"stepId": "legal", "path": ["legal"]}}
    done = await run.resume(label="legal-review", resume_data={"by": 1})
    assert done.to_dict()["result"] == {"legal": {"result": 11}, "finance": {"result": 7}}


async def test_failure_of_a_resumed_branch_fails_the_run_and_keeps_sibling_records() -> None:
    calls: Counter[str] = Counter()

    async def boom(ctx: StepContext) -> R:
        calls["boom"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({})
        raise RuntimeError("resumed and failed")

    p1 = suspending("ok", calls, lambda v, n: v + n, "n")
    p2 = create_step("boom", input_schema=V, output_schema=R, execute=boom)
    wf = create_workflow("par-fail", input_schema=V, output_schema=dict[str, Any]).parallel([p1, p2]).commit()
    run = await wf.create_run()
    await run.start(input_data={"value": 1})
    mid = await run.resume(step="ok", resume_data={"n": 1})
    assert mid.status == "suspended"
    done = await run.resume(step="boom", resume_data={})
    assert done.status == "failed"
    assert done.error is not None
    assert done.error["message"] == "resumed and failed"
    assert done.error["name"] == "RuntimeError"
    assert done.steps["boom"].status == "failed"
    assert done.steps["ok"].status == "success"
    assert done.steps["ok"].output == {"result": 2}
    with pytest.raises(ResumeError, match=r"^This workflow run was not suspended"):
        await run.resume(step="boom", resume_data={})


async def test_resume_stream_leaving_a_sibling_suspended_finishes_suspended() -> None:
    """Mastra ends such a resume_stream with `workflowStatus: "success"` although the run is
    still suspended on the sibling branch; the finish event says "suspended"."""

    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return 1

    wf = create_workflow("sibling-stays").parallel([create_step("a", execute=ask), create_step("b", execute=ask)]).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={})).suspended == [["a"], ["b"]]
    stream = run.resume_stream(resume_data={"x": 1}, step="a")
    events = [e async for e in stream]
    result = await stream.result
    assert events[-1].type == "workflow-finish"
    assert events[-1].payload["workflowStatus"] == "suspended" == result.status
    assert result.suspended == [["b"]]
