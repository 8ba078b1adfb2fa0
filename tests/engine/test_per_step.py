"""per_step execution, output_options, restart(request_context=), time_travel(nested_steps_context=)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stepstream import (
    ResumeError,
    RunStateError,
    StepContext,
    Stepstream,
    ValidationError,
    WorkflowEvent,
    WorkflowResult,
    create_step,
    create_workflow,
)
from stepstream.storage import SQLiteStorage

from .flows import Crash, three_steps
from .test_restart import crash_during


def add(step_id: str, d: int) -> Any:
    return create_step(id=step_id, execute=lambda ctx: ctx.input_data + d)


async def test_per_step_walks_a_run_to_its_end_one_entry_at_a_time() -> None:
    finished: list[str] = []
    wf = (
        create_workflow(id="walk", options={"on_finish": lambda r: finished.append(r.status)})
        .parallel([add("p", 10), add("q", 20)])
        .map(lambda ctx: ctx.input_data["p"] + ctx.input_data["q"], id="sum")
        .then(add("a", 1))
        .commit()
    )
    run = await wf.create_run()
    events: list[WorkflowEvent] = []
    run.watch(events.append)
    first = await run.start(input_data=0, per_step=True)  # a parallel entry runs whole
    assert (first.status, first.result, sorted(first.steps)) == ("paused", None, ["p", "q"])
    assert "result" not in first.to_dict()
    assert (events[-1].type, events[-1].payload) == ("workflow-paused", {})  # watchers get it too
    assert finished == []  # a paused run is not over: no lifecycle callback
    second = await run.time_travel(step="sum", per_step=True)
    assert (second.status, second.steps["sum"].output, "a" in second.steps) == ("paused", 30, False)
    last = await run.time_travel(step="a", per_step=True)  # the last entry ends the run
    assert (last.status, last.result) == ("success", 31)
    assert finished == ["success"]


async def test_a_paused_run_refuses_resume_and_restart_and_can_be_canceled() -> None:
    wf = create_workflow(id="paused").then(add("a", 1)).then(add("b", 1)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data=0, per_step=True)).status == "paused"
    with pytest.raises(ResumeError, match="This workflow run was not suspended"):
        await run.resume(resume_data={})
    with pytest.raises(RunStateError, match="This workflow run was not active"):
        await run.restart()
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None and stored.status == "paused"
    await run.cancel()
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None and stored.status == "canceled"


async def test_a_nested_workflow_is_one_entry_and_a_paused_run_continues_in_another_process(tmp_path: Path) -> None:
    def build() -> Any:
        inner = create_workflow(id="inner").then(add("x", 1)).then(add("y", 1)).commit()
        return create_workflow(id="outer").then(add("a", 1)).then(inner).then(add("b", 100)).commit()

    one = Stepstream(workflows=[build()], storage=SQLiteStorage(tmp_path / "db.sqlite"))
    run = await one.get_workflow("outer").create_run()
    assert (await run.start(input_data=0, per_step=True)).status == "paused"
    two = Stepstream(workflows=[build()], storage=SQLiteStorage(tmp_path / "db.sqlite"))
    again = await two.get_workflow("outer").create_run(run.run_id)
    mid = await again.time_travel(step="inner", per_step=True)
    assert (mid.status, mid.steps["inner"].output, "inner.y" in mid.steps) == ("paused", 3, False)
    end = await again.time_travel(step="b")
    assert (end.status, end.result) == ("success", 103)


async def test_per_step_resume_pauses_after_the_resumed_entry() -> None:
    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({"q": 1})
        return int(ctx.input_data + ctx.resume_data)

    wf = create_workflow(id="ask").then(create_step(id="ask", execute=ask)).then(add("b", 1)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data=1, per_step=True)).status == "suspended"
    resumed = await run.resume(resume_data=5, per_step=True, output_options={"include_state": True})
    assert (resumed.status, resumed.steps["ask"].output, "b" in resumed.steps) == ("paused", 6, False)
    assert resumed.to_dict()["state"] == {}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"per_step": 1}, "per_step must be True or False, got 1"),
        ({"output_options": {"includeStat": True}}, "output_options: unknown key 'includeStat'"),
        ({"output_options": {"include_state": "yes"}}, r"output_options\['include_state'\] must be True or False"),
        ({"output_options": ["include_state"]}, "output_options must be a dict"),
    ],
)
async def test_bad_run_options_are_refused_before_anything_is_written(kwargs: dict[str, Any], needle: str) -> None:
    wf = create_workflow(id="opts").then(add("a", 1)).commit()
    run = await wf.create_run()
    with pytest.raises(ValidationError, match=needle):
        await run.start(input_data=0, **kwargs)
    with pytest.raises(ValidationError, match=needle):
        run.stream(input_data=0, **kwargs)
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is None or (stored.status == "pending" and not stored.steps)
    assert (await run.start(input_data=0)).status == "success"  # the run is still usable


async def test_restart_takes_a_request_context_that_overrides_the_stored_one() -> None:
    crash = Crash()

    async def read(ctx: StepContext) -> dict[str, Any]:
        await crash.maybe_hang()
        return {"tenant": ctx.request_context.get("tenant"), "user": ctx.request_context.get("user")}

    wf = create_workflow("restart-rc").then(create_step("read", execute=read)).commit()
    run = await wf.create_run()
    await crash_during(run, crash, input_data={}, request_context={"tenant": "acme", "user": "ann"})
    result = await run.restart(request_context={"user": "bob"})
    assert result.result == {"tenant": "acme", "user": "bob"}


async def test_nested_steps_context_names_only_nested_workflows_on_the_path() -> None:
    calls: Counter[str] = Counter()
    inner = three_steps(calls, "inner")
    wf = create_workflow("outer").then(inner).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"value": 1})).status == "success"
    with pytest.raises(ValidationError, match=r"nested_steps_context names \['other'\], which are not nested workflows on the path"):
        await run.time_travel(step="inner.step3", nested_steps_context={"other": {}})
    with pytest.raises(ValidationError, match=r"nested_steps_context\['inner'\] must be a dict"):
        await run.time_travel(step="inner.step3", nested_steps_context={"inner": [1]})  # type: ignore[dict-item]
    now = 1
    out = await run.time_travel(
        step="inner.step3",
        nested_steps_context={
            "inner": {"step2": {"status": "success", "payload": {}, "output": {"step2Result": 41}, "startedAt": now, "endedAt": now}}
        },
    )
    assert (out.status, out.result) == ("success", {"final": 42})


async def test_a_stream_ends_at_the_pause() -> None:
    wf = create_workflow(id="streamed").then(add("a", 1)).then(add("b", 1)).commit()
    stream = (await wf.create_run()).stream(input_data=0, per_step=True)
    types = [e.type async for e in stream]
    result: WorkflowResult = await asyncio.wait_for(stream.result, 5)
    assert types == ["workflow-start", "workflow-step-start", "workflow-step-result", "workflow-paused", "workflow-finish"]
    assert result.status == "paused" and stream.status == "paused"


async def test_start_async_and_resume_async_take_per_step() -> None:
    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return int(ctx.resume_data)

    wf = create_workflow(id="bg").then(add("a", 1)).then(create_step(id="ask", execute=ask)).then(add("b", 1)).commit()
    run = await wf.create_run()
    await run.start_async(input_data=0, per_step=True)
    observed = run.observe_stream()
    kinds = [e.type async for e in observed]
    assert kinds[-2:] == ["workflow-paused", "workflow-finish"] and (await observed.result).status == "paused"
    assert (await run.time_travel(step="ask")).status == "suspended"
    await run.resume_async(resume_data=7, per_step=True)
    resumed = run.observe_stream()
    assert [e.type async for e in resumed][-2:] == ["workflow-paused", "workflow-finish"]
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None and stored.status == "paused" and stored.steps["ask"].output == 7 and "b" not in stored.steps


async def test_a_branch_where_no_condition_holds_is_still_one_entry() -> None:
    echo = create_step(id="after", execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="empty-branch").branch([(lambda ctx: False, add("x", 1))]).then(echo).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"n": 1}, per_step=True)
    assert (first.status, first.steps) == ("paused", {})  # as on Mastra's oracle
    last = await run.time_travel(step="after")
    assert (last.status, last.result) == ("success", {})  # the empty branch's output, as on the oracle
