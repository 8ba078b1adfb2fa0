"""Suspend and resume: basics (scenarios P.94-P.105)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import ResumeError, Step, StepContext, ValidationError, Workflow, create_step, create_workflow


class V(BaseModel):
    value: int


class Reply(BaseModel):
    reply: str


def _is_ms(value: Any) -> bool:
    return isinstance(value, int) and value > 1_600_000_000_000


def approval_workflow(calls: Counter[str], wf_id: str = "approval") -> tuple[Workflow, Step, Step, Step]:
    """step1 (+1) -> step2 (suspends with a reason, then adds the resume value) -> step3 (*10)."""

    async def one(ctx: StepContext) -> V:
        calls["step1"] += 1
        return V(value=ctx.input_data.value + 1)

    async def two(ctx: StepContext) -> V:
        calls["step2"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"reason": "approval needed"})
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    async def three(ctx: StepContext) -> V:
        calls["step3"] += 1
        return V(value=ctx.input_data.value * 10)

    step1 = create_step("step1", input_schema=V, output_schema=V, execute=one)
    step2 = create_step("step2", input_schema=V, output_schema=V, resume_schema=V, execute=two)
    step3 = create_step("step3", input_schema=V, output_schema=V, execute=three)
    wf = create_workflow(wf_id, input_schema=V, output_schema=V).then(step1).then(step2).then(step3).commit()
    return wf, step1, step2, step3


# -- P.94 / P.95: what a suspension looks like ---------------------------------------------


async def test_suspend_stops_the_flow_and_later_steps_never_run() -> None:
    calls: Counter[str] = Counter()
    wf, *_ = approval_workflow(calls)
    run = await wf.create_run()
    result = await run.start(input_data={"value": 1})

    assert result.status == "suspended"
    assert run.status == "suspended"
    assert result.steps["step1"].status == "success"
    assert result.steps["step1"].output == {"value": 2}
    assert result.steps["step2"].status == "suspended"
    assert result.steps["step2"].suspend_payload == {"reason": "approval needed"}
    assert "step3" not in result.steps
    assert result.suspended == [["step2"]]
    assert result.suspend_payload == {"step2": {"reason": "approval needed"}}
    assert result.result is None
    assert calls == Counter({"step1": 1, "step2": 1})


async def test_suspended_record_has_exact_shape_without_end_or_output() -> None:
    calls: Counter[str] = Counter()
    wf, *_ = approval_workflow(calls)
    run = await wf.create_run()
    result = await run.start(input_data={"value": 1})
    data = result.to_dict()

    assert set(data["steps"]) == {"input", "step1", "step2"}
    assert data["steps"]["input"] == {"value": 1}
    step1 = data["steps"]["step1"]
    assert step1 == {
        "status": "success",
        "payload": {"value": 1},
        "output": {"value": 2},
        "startedAt": step1["startedAt"],
        "endedAt": step1["endedAt"],
    }
    step2 = data["steps"]["step2"]
    assert step2 == {
        "status": "suspended",
        "payload": {"value": 2},
        "suspendPayload": {"reason": "approval needed"},
        "startedAt": step2["startedAt"],
        "suspendedAt": step2["suspendedAt"],
    }
    assert _is_ms(step2["startedAt"]) and _is_ms(step2["suspendedAt"])
    assert step2["startedAt"] <= step2["suspendedAt"]
    assert data["suspended"] == [["step2"]]
    assert data["suspendPayload"] == {"step2": {"reason": "approval needed"}}
    assert "result" not in data


async def test_typed_suspend_payload_comes_through_unchanged() -> None:
    class Ask(BaseModel):
        approvalRequired: bool
        requestedBy: str
        amount: int

    async def ask(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend(Ask(approvalRequired=True, requestedBy="user-123", amount=500))
        return V(value=1)

    s = create_step("ask", input_schema=V, output_schema=V, suspend_schema=Ask, resume_schema=V, execute=ask)
    wf = create_workflow("typed-suspend", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"value": 0})
    assert result.steps["ask"].suspend_payload == {"approvalRequired": True, "requestedBy": "user-123", "amount": 500}
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.steps["ask"].suspend_payload == {"approvalRequired": True, "requestedBy": "user-123", "amount": 500}


async def test_suspend_payload_breaking_suspend_schema_fails_the_step() -> None:
    class Ask(BaseModel):
        amount: int

    async def ask(ctx: StepContext) -> V:
        await ctx.suspend({"amount": "lots"})

    s = create_step("ask", input_schema=V, output_schema=V, suspend_schema=Ask, execute=ask)
    wf = create_workflow("bad-suspend", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"value": 0})
    assert result.status == "failed"
    assert result.steps["ask"].status == "failed"
    assert result.error is not None
    assert result.error["message"].startswith("Step suspend data validation failed: \n- amount:")


async def test_code_after_suspend_does_not_run() -> None:
    reached: list[str] = []

    async def ask(ctx: StepContext) -> V:
        reached.append("before")
        try:
            await ctx.suspend({"q": 1})
        except Exception:  # a user's broad handler must not swallow the suspension
            reached.append("swallowed")
        reached.append("after")
        return V(value=99)

    s = create_step("ask", input_schema=V, output_schema=V, resume_schema=V, execute=ask)
    wf = create_workflow("after-suspend", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"value": 0})
    assert result.status == "suspended"
    assert reached == ["before"]
    assert result.steps["ask"].output is None
    assert result.steps["ask"].suspend_output is None
    assert "suspendOutput" not in result.to_dict()["steps"]["ask"]


async def test_sync_step_can_suspend() -> None:
    def ask(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            ctx.suspend({"sync": True})
        return V(value=ctx.resume_data.value * 2)

    s = create_step("ask", input_schema=V, output_schema=V, resume_schema=V, execute=ask)
    wf = create_workflow("sync-suspend", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.status == "suspended"
    assert first.suspend_payload == {"ask": {"sync": True}}
    done = await run.resume(resume_data={"value": 21})
    assert done.status == "success"
    assert done.result == V(value=42)


# -- P.96: the record after a resume ----------------------------------------------------------


async def test_resumed_record_shape_and_flow_continues() -> None:
    calls: Counter[str] = Counter()
    wf, _, _step2, _ = approval_workflow(calls)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 1})
    suspended = first.steps["step2"]

    result = await run.resume(step="step2", resume_data={"value": 5})
    assert result.status == "success"
    assert result.result == V(value=70)
    assert run.status == "success"
    rec = result.to_dict()["steps"]["step2"]
    assert rec == {
        "status": "success",
        "payload": {"value": 2},
        "output": {"value": 7},
        "resumePayload": {"value": 5},
        "startedAt": suspended.started_at,
        "endedAt": rec["endedAt"],
        "suspendedAt": suspended.suspended_at,
        "resumedAt": rec["resumedAt"],
    }
    assert suspended.suspended_at <= rec["resumedAt"] <= rec["endedAt"]
    assert result.steps["step3"].to_dict()["payload"] == {"value": 7}
    assert result.steps["step3"].output == {"value": 70}
    # step1 was not re-run and keeps its original record
    assert result.steps["step1"].to_dict() == first.steps["step1"].to_dict()
    assert calls == Counter({"step1": 1, "step2": 2, "step3": 1})
    assert list(result.steps) == ["step1", "step2", "step3"]


async def test_suspend_without_payload_has_no_suspend_payload_key_before_or_after_resume() -> None:
    async def bare(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend()
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    s = create_step("bare", input_schema=V, output_schema=V, resume_schema=V, execute=bare)
    wf = create_workflow("bare", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 1})
    rec = first.to_dict()["steps"]["bare"]
    assert first.status == "suspended"
    assert set(rec) == {"status", "payload", "startedAt", "suspendedAt"}
    assert first.steps["bare"].suspend_payload is None

    done = await run.resume(step=s, resume_data={"value": 2})
    rec = done.to_dict()["steps"]["bare"]
    assert done.result == V(value=3)
    assert set(rec) == {"status", "payload", "output", "resumePayload", "startedAt", "endedAt", "suspendedAt", "resumedAt"}


async def test_resume_payload_holds_only_the_latest_resume_data() -> None:
    async def twice(ctx: StepContext) -> V:
        if ctx.resume_data is None or ctx.resume_data.value < 10:
            await ctx.suspend({"got": None if ctx.resume_data is None else ctx.resume_data.value})
        return V(value=ctx.resume_data.value)

    s = create_step("twice", input_schema=V, output_schema=V, resume_schema=V, execute=twice)
    wf = create_workflow("twice", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    again = await run.resume(resume_data={"value": 3})
    assert again.status == "suspended"
    assert again.steps["twice"].suspend_payload == {"got": 3}
    assert again.steps["twice"].resume_payload == {"value": 3}
    done = await run.resume(resume_data={"value": 11})
    assert done.status == "success"
    assert done.steps["twice"].resume_payload == {"value": 11}
    assert done.result == V(value=11)


# -- P.97 / P.98: naming the step ---------------------------------------------------------------


def multiplier_workflow(calls: Counter[str]) -> tuple[Workflow, Step]:
    class M(BaseModel):
        multiplier: int

    async def simple(ctx: StepContext) -> V:
        calls["simple-step"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"need": "multiplier"})
        return V(value=ctx.input_data.value * ctx.resume_data.multiplier)

    s = create_step("simple-step", input_schema=V, output_schema=V, resume_schema=M, execute=simple)
    return create_workflow("multiplier", input_schema=V, output_schema=V).then(s).commit(), s


async def test_auto_resume_when_exactly_one_step_is_suspended() -> None:
    calls: Counter[str] = Counter()
    wf, _ = multiplier_workflow(calls)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 10})
    assert first.suspended == [["simple-step"]]
    done = await run.resume(resume_data={"multiplier": 5})
    assert done.status == "success"
    assert done.result == V(value=50)
    assert calls["simple-step"] == 2


@pytest.mark.parametrize(
    "how",
    ["object", "id", "one-element list", "path from result", "list of objects", "omitted"],
)
async def test_every_way_of_naming_the_step_resumes_it(how: str) -> None:
    calls: Counter[str] = Counter()
    wf, s = multiplier_workflow(calls)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 20})
    targets: dict[str, Step | str | list[str] | list[Step] | None] = {
        "object": s,
        "id": "simple-step",
        "one-element list": ["simple-step"],
        "path from result": first.suspended[0],
        "list of objects": [s],
        "omitted": None,
    }
    target = targets[how]
    done = await run.resume(step=target, resume_data={"multiplier": 3})
    assert done.status == "success"
    assert done.result == V(value=60)
    assert done.steps["simple-step"].resume_payload == {"multiplier": 3}


# -- P.99: labels -----------------------------------------------------------------------------


async def test_resume_by_label_and_labels_are_stored() -> None:
    class In(BaseModel):
        userInput: str

    async def ask(ctx: StepContext) -> dict[str, str]:
        if ctx.resume_data is None:
            await ctx.suspend({"waiting": True}, resume_label="my-custom-label")
        return {"result": "completed", "userInput": ctx.resume_data.userInput}

    approval = create_step("approval", input_schema=In, output_schema=dict[str, str], resume_schema=In, execute=ask)
    wf = create_workflow("labelled", input_schema=In, output_schema=dict[str, str]).then(approval).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"userInput": "start"}, output_options={"include_resume_labels": True})
    assert first.resume_labels == {"my-custom-label": {"stepId": "approval"}}
    assert first.to_dict()["resumeLabels"] == {"my-custom-label": {"stepId": "approval"}}
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.resume_labels == {"my-custom-label": {"stepId": "approval", "path": ["approval"]}}

    done = await run.resume(label="my-custom-label", resume_data={"userInput": "resumed via label"})
    assert done.status == "success"
    assert done.result == {"result": "completed", "userInput": "resumed via label"}
    assert done.resume_labels == {}
    assert "resumeLabels" not in done.to_dict()


async def test_a_step_may_carry_several_labels() -> None:
    async def ask(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({}, resume_label=["first", "second"])
        return V(value=ctx.resume_data.value)

    s = create_step("ask", input_schema=V, output_schema=V, resume_schema=V, execute=ask)
    wf = create_workflow("two-labels", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.resume_labels == {"first": {"stepId": "ask"}, "second": {"stepId": "ask"}}
    done = await run.resume(label="second", resume_data={"value": 8})
    assert done.result == V(value=8)


# -- P.100 / P.101: resume schema defaults, suspend data -----------------------------------------


async def test_resume_schema_defaults_are_applied_and_recorded() -> None:
    class ResumeIn(BaseModel):
        value: int = 21

    async def increment(ctx: StepContext) -> V:
        return V(value=ctx.input_data.value + 1)

    async def resume(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            await ctx.suspend({"message": f"Please provide additional information. now value is {ctx.input_data.value}"})
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    async def final(ctx: StepContext) -> V:
        return V(value=ctx.input_data.value)

    inc = create_step("increment", input_schema=V, output_schema=V, execute=increment)
    res = create_step("resume", input_schema=V, output_schema=V, resume_schema=ResumeIn, execute=resume)
    fin = create_step("final", input_schema=V, output_schema=V, execute=final)
    wf = create_workflow("defaults", input_schema=V, output_schema=V).then(inc).then(res).then(fin).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.suspend_payload == {"resume": {"message": "Please provide additional information. now value is 1"}}

    done = await run.resume(step=["resume"], resume_data={})
    assert done.status == "success"
    rec = done.to_dict()["steps"]["resume"]
    assert rec["status"] == "success"
    assert rec["payload"] == {"value": 1}
    assert rec["resumePayload"] == {"value": 21}
    assert rec["output"] == {"value": 22}
    assert done.result == V(value=22)


async def test_resumed_step_reads_its_earlier_suspend_payload() -> None:
    class In(BaseModel):
        value: str

    seen: list[Any] = []

    async def confirm(ctx: StepContext) -> dict[str, Any]:
        seen.append(ctx.suspend_data)
        if ctx.resume_data is None:
            await ctx.suspend({"reason": "User confirmation required", "originalValue": ctx.input_data.value})
        return {
            "result": f"Processed {ctx.input_data.value} after {ctx.suspend_data['reason']}",
            "wasResumed": True,
            "suspendReason": ctx.suspend_data["reason"],
        }

    async def plain(ctx: StepContext) -> str:
        return "test: " + ("No suspend data" if ctx.suspend_data is None else "has suspend data")

    s = create_step("confirm", input_schema=In, output_schema=dict[str, Any], resume_schema=dict[str, bool], execute=confirm)
    p = create_step("plain", input_schema=dict[str, Any], output_schema=str, execute=plain)
    wf = create_workflow("suspend-data", input_schema=In, output_schema=str).then(s).then(p).commit()
    run = await wf.create_run()
    await run.start(input_data={"value": "test-value"})
    done = await run.resume(resume_data={"confirmed": True})
    assert done.status == "success"
    assert seen == [None, {"reason": "User confirmation required", "originalValue": "test-value"}]
    assert done.steps["confirm"].output == {
        "result": "Processed test-value after User confirmation required",
        "wasResumed": True,
        "suspendReason": "User confirmation required",
    }
    assert done.result == "test: No suspend data"


# -- P.102: input from the snapshot -------------------------------------------------------------


async def test_workflow_input_comes_from_the_stored_run_not_the_resume_data() -> None:
    class Orig(BaseModel):
        originalInput: str

    async def step1(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"init": ctx.get_init_data().originalInput, "input": ctx.input_data.originalInput, "resumed": ctx.resume_data}

    s = create_step("step1", input_schema=Orig, output_schema=dict[str, Any], execute=step1)
    wf = create_workflow("keep-input", input_schema=Orig, output_schema=dict[str, Any]).then(s).commit()
    run = await wf.create_run()
    await run.start(input_data={"originalInput": "original-data"})
    done = await run.resume(resume_data={"unrelated": "resume-data"})
    data = done.to_dict()
    assert data["steps"]["input"] == {"originalInput": "original-data"}
    assert data["input"] == {"originalInput": "original-data"}
    assert data["steps"]["step1"]["payload"] == {"originalInput": "original-data"}
    assert data["steps"]["step1"]["resumePayload"] == {"unrelated": "resume-data"}
    assert done.result == {"init": "original-data", "input": "original-data", "resumed": {"unrelated": "resume-data"}}


async def test_resume_from_a_fresh_run_object_built_from_storage() -> None:
    """A second workflow object bound to the same storage (a new process) resumes the run."""
    calls: Counter[str] = Counter()
    wf, *_ = approval_workflow(calls)
    run = await wf.create_run(run_id="shared-run")
    await run.start(input_data={"value": 1})

    calls2: Counter[str] = Counter()
    wf2, *_ = approval_workflow(calls2)
    wf2.bind_storage(wf.storage)
    run2 = await wf2.create_run(run_id="shared-run")
    assert run2 is not run
    assert run2.status == "suspended"
    done = await run2.resume(resume_data={"value": 4})
    assert done.status == "success"
    assert done.result == V(value=60)
    assert done.to_dict()["input"] == {"value": 1}
    assert calls2 == Counter({"step2": 1, "step3": 1})
    stored = await wf.storage.load_run(wf.id, "shared-run")
    assert stored is not None
    assert stored.status == "success"


async def test_create_run_with_the_same_id_returns_the_suspended_run() -> None:
    calls: Counter[str] = Counter()
    wf, *_ = approval_workflow(calls)
    run = await wf.create_run(run_id="again")
    await run.start(input_data={"value": 1})
    same = await wf.create_run(run_id="again")
    assert same is run
    assert same.status == "suspended"


# -- P.104 / P.105: branches and two suspensions -------------------------------------------------


async def test_suspend_inside_a_branch_only_the_chosen_branch_runs() -> None:
    calls: Counter[str] = Counter()

    class Check(BaseModel):
        needsApproval: bool

    async def check(ctx: StepContext) -> Check:
        calls["check"] += 1
        return Check(needsApproval=True)

    async def approval(ctx: StepContext) -> dict[str, str]:
        calls["approval"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"type": "manager-approval"})
        return {"by": ctx.resume_data["by"]}

    async def auto(ctx: StepContext) -> dict[str, str]:
        calls["autoApprove"] += 1
        return {"by": "auto"}

    c = create_step("check", input_schema=V, output_schema=Check, execute=check)
    a = create_step("approval", input_schema=Check, output_schema=dict[str, str], execute=approval)
    b = create_step("autoApprove", input_schema=Check, output_schema=dict[str, str], execute=auto)
    wf = (
        create_workflow("branch-approval", input_schema=V, output_schema=dict[str, Any])
        .then(c)
        .branch([(lambda ctx: ctx.input_data.needsApproval, a), (lambda ctx: not ctx.input_data.needsApproval, b)])
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={"value": 1})
    assert first.status == "suspended"
    assert first.steps["approval"].suspend_payload == {"type": "manager-approval"}
    assert "autoApprove" not in first.steps
    done = await run.resume(resume_data={"by": "manager"})
    assert done.status == "success"
    assert done.result == {"approval": {"by": "manager"}}
    assert "autoApprove" not in done.steps
    assert calls == Counter({"check": 1, "approval": 2})


async def test_two_suspensions_in_one_run_with_a_map_between() -> None:
    class UserIn(BaseModel):
        input: str

    class Out(BaseModel):
        userInput: str

    class Model(BaseModel):
        modelOutput: str

    class Scores(BaseModel):
        toneScore: float
        completenessScore: float

    async def get_user_input(ctx: StepContext) -> Out:
        return Out(userInput=ctx.input_data.input)

    async def prompt_agent(ctx: StepContext) -> Model:
        if ctx.resume_data is None:
            await ctx.suspend({"testPayload": "hello"})
        return Model(modelOutput=ctx.input_data.userInput + " " + ctx.resume_data.userInput)

    async def improve(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend()
        tone = (ctx.input_data["toneScore"]["score"] + ctx.resume_data.toneScore) / 2
        comp = (ctx.input_data["completenessScore"]["score"] + ctx.resume_data.completenessScore) / 2
        return {"improvedOutput": "improved", "overallScore": {"toneScore": {"score": tone}, "completenessScore": {"score": comp}}}

    async def evaluate_improved(ctx: StepContext) -> dict[str, Any]:
        score: dict[str, Any] = ctx.input_data["overallScore"]
        return score

    s1 = create_step("getUserInput", input_schema=UserIn, output_schema=Out, execute=get_user_input)
    s2 = create_step("promptAgent", input_schema=Out, output_schema=Model, resume_schema=Out, execute=prompt_agent)
    s3 = create_step("improveResponse", input_schema=dict[str, Any], output_schema=dict[str, Any], resume_schema=Scores, execute=improve)
    s4 = create_step("evaluateImprovedResponse", input_schema=dict[str, Any], output_schema=dict[str, Any], execute=evaluate_improved)
    wf = (
        create_workflow("two-suspensions", input_schema=UserIn, output_schema=dict[str, Any])
        .then(s1)
        .then(s2)
        .map(
            lambda ctx: {"toneScore": {"score": 0.8}, "completenessScore": {"score": 0.7}, "seen": ctx.input_data["modelOutput"]},
            id="evaluateToneConsistency",
        )
        .then(s3)
        .then(s4)
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={"input": "test input"})
    assert first.suspended == [["promptAgent"]]
    second = await run.resume(step=s2, resume_data={"userInput": "for resumption"})
    assert second.status == "suspended"
    assert second.suspended == [["improveResponse"]]
    assert second.steps["evaluateToneConsistency"].to_dict()["payload"] == {"modelOutput": "test input for resumption"}
    assert second.steps["evaluateToneConsistency"].output["seen"] == "test input for resumption"
    assert second.steps["promptAgent"].status == "success"
    done = await run.resume(step="improveResponse", resume_data={"toneScore": 0.9, "completenessScore": 0.8})
    assert done.status == "success"
    expected = {"toneScore": {"score": pytest.approx(0.85)}, "completenessScore": {"score": pytest.approx(0.75)}}
    assert done.steps["improveResponse"].output["overallScore"] == expected
    assert done.result == expected
    assert list(done.steps) == ["getUserInput", "promptAgent", "evaluateToneConsistency", "improveResponse", "evaluateImprovedResponse"]


# -- request context and state across a resume ---------------------------------------------------


async def test_request_context_and_state_survive_a_resume() -> None:
    class St(BaseModel):
        count: int = 0

    async def ask(ctx: StepContext) -> V:
        if ctx.resume_data is None:
            ctx.request_context.set("written", "before-suspend")
            await ctx.set_state({"count": ctx.state.count + 1})
            await ctx.suspend({})
        await ctx.set_state({"count": ctx.state.count + 10})
        return V(value=ctx.input_data.value)

    async def read(ctx: StepContext) -> dict[str, Any]:
        rc = ctx.request_context
        return {"tenant": rc.get("tenant"), "written": rc.get("written"), "count": ctx.state.count}

    a = create_step("ask", input_schema=V, output_schema=V, resume_schema=dict[str, Any], execute=ask)
    r = create_step("read", input_schema=V, output_schema=dict[str, Any], execute=read)
    wf = create_workflow("ctx-state", input_schema=V, output_schema=dict[str, Any], state_schema=St).then(a).then(r).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 1}, request_context={"tenant": "acme"})
    assert first.state == {"count": 1}
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.request_context == {"tenant": "acme", "written": "before-suspend"}
    done = await run.resume(resume_data={}, request_context={"tenant": "globex"})
    assert done.result == {"tenant": "globex", "written": "before-suspend", "count": 11}
    assert done.state == {"count": 11}


async def test_resume_data_is_validated_into_the_resume_schema_model() -> None:
    seen: list[Any] = []

    async def ask(ctx: StepContext) -> Reply:
        if ctx.resume_data is None:
            await ctx.suspend({})
        seen.append(ctx.resume_data)
        reply: Reply = ctx.resume_data
        return reply

    s = create_step("ask", input_schema=V, output_schema=Reply, resume_schema=Reply, execute=ask)
    wf = create_workflow("model-resume", input_schema=V, output_schema=Reply).then(s).commit()
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    with pytest.raises(ValidationError) as info:
        await run.resume(resume_data={"reply": 5})
    assert str(info.value).startswith("Invalid resume data: \n- reply:")
    assert seen == []
    done = await run.resume(resume_data={"reply": "yes"})
    assert seen == [Reply(reply="yes")]
    assert done.result == Reply(reply="yes")
    with pytest.raises(ResumeError):
        await run.resume(resume_data={"reply": "again"})


class _Counted(BaseModel):
    """An input model that counts how often it is validated."""

    items: list[int]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def counted(value: Any, nxt: Any) -> Any:
            _VALIDATIONS["n"] += 1
            return nxt(value)

        return core_schema.no_info_wrap_validator_function(counted, handler(source))


_VALIDATIONS = {"n": 0}


async def test_a_resume_types_the_stored_input_only_when_it_is_read() -> None:
    """A resume walks without the run's input (a foreach's list can be large): it is typed by
    the input schema when a step, the result or a callback reads it, and stays what was stored."""

    async def ask(ctx: StepContext[Any, Any]) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"ok": True}

    async def reads_init(ctx: StepContext[Any, Any]) -> dict[str, Any]:
        init = ctx.get_init_data()
        return {"kind": type(init).__name__, "total": sum(init.items)}

    wf = create_workflow(id="lazy-input", input_schema=_Counted).then(create_step(id="ask", execute=ask)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"items": [1, 2, 3]})).status == "suspended"
    before = _VALIDATIONS["n"]
    result = await run.resume(resume_data={})
    assert result.status == "success"
    assert _VALIDATIONS["n"] == before  # nothing read the input yet
    assert result.to_dict()["input"] == {"items": [1, 2, 3]} and _VALIDATIONS["n"] == before
    assert isinstance(result.input, _Counted) and result.input.items == [1, 2, 3]
    assert _VALIDATIONS["n"] == before + 1
    assert result.input is result.input  # typed once

    wf2 = create_workflow(id="lazy-input-read", input_schema=_Counted)
    wf2 = wf2.then(create_step(id="ask", execute=ask)).then(create_step(id="reads", execute=reads_init)).commit()
    run2 = await wf2.create_run()
    await run2.start(input_data={"items": [4, 5]})
    resumed = await run2.resume(resume_data={})
    assert resumed.result == {"kind": "_Counted", "total": 9}


# -- a step id used again after the suspended step -------------------------------------------------


def _inc_and_ask(calls: Counter[str]) -> tuple[Step, Step]:
    async def inc(ctx: StepContext) -> V:
        calls["inc"] += 1
        return V(value=ctx.input_data.value + 1)

    async def ask(ctx: StepContext) -> V:
        calls["ask"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({})
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    return (
        create_step("inc", execute=inc, input_schema=V, output_schema=V),
        create_step("ask", execute=ask, input_schema=V, output_schema=V, resume_schema=V),
    )


async def test_a_step_id_used_again_after_the_resumed_step_runs_again() -> None:
    calls: Counter[str] = Counter()
    inc, ask = _inc_and_ask(calls)
    wf = create_workflow("inc-ask-inc", input_schema=V, output_schema=V).then(inc).then(ask).then(inc).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"value": 1})).status == "suspended"
    calls.clear()
    result = await run.resume(resume_data={"value": 5})
    assert result.status == "success"
    assert result.result == V(value=8)  # 1 +1 = 2, +5 = 7, +1 = 8: the second inc ran on ask's output
    assert calls == Counter(ask=1, inc=1)
    assert result.steps["inc"].payload == {"value": 7}
    assert result.to_dict()["stepExecutionPath"] == ["inc", "ask", "inc"]
