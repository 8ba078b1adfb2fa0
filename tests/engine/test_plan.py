"""The claim decides an execution plan; the plan is data (JSON both ways)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.engine._plan import ExecutionPlan
from stepstream.engine.run import Run
from stepstream.storage import InMemoryStorage


async def test_every_verb_drives_a_plan_that_survives_json(monkeypatch: pytest.MonkeyPatch) -> None:
    plans: list[ExecutionPlan] = []
    drive = Run._drive

    async def spy(self: Run, plan: ExecutionPlan, *args: Any) -> Any:
        plans.append(plan)
        return await drive(self, plan, *args)

    monkeypatch.setattr(Run, "_drive", spy)

    async def ask(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({"q": ctx.input_data["n"]}, resume_label="answer")
        return {"n": ctx.input_data["n"], "a": ctx.resume_data}

    wf = (
        create_workflow(id="planned")
        .then(create_step("inc", execute=lambda ctx: {"n": ctx.input_data["n"] + 1}))
        .then(create_step("ask", execute=ask))
        .commit()
    )
    Stepstream(workflows=[wf], storage=InMemoryStorage())
    run = await wf.create_run()
    assert (await run.start(input_data={"n": 1}, request_context={"user": "u1"})).status == "suspended"
    assert (await run.resume(resume_data="yes", label="answer")).status == "success"
    assert (await run.time_travel(step="inc", input_data={"n": 5})).status == "suspended"  # ask suspends again

    start, resume, travel = plans
    assert (start.input, start.replay, start.targets, start.request_context) == ({"n": 1}, False, (), {"user": "u1"})
    assert resume.replay and [(t.path, t.resume_data) for t in resume.targets] == [(("ask",), "yes")]
    assert set(resume.records) == {"inc", "ask"} and resume.records["ask"].status == "suspended"
    assert travel.time_travel is not None and (travel.time_travel.step, travel.time_travel.input) == ("inc", {"n": 5})
    for plan in plans:
        assert plan.owner  # each claim took the run with its own token
        wire = json.loads(json.dumps(plan.to_dict()))
        assert ExecutionPlan.from_dict(wire).to_dict() == plan.to_dict()
    assert len({p.owner for p in plans}) == 3
