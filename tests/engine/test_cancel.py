"""Cancel and abort (scenarios X.153-X.159)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from stepstream import ResumeError, StepContext, Workflow, create_step, create_workflow


def sleepy(calls: Counter[str], wf_id: str = "sleepy", ms: int = 1000) -> Workflow:
    async def step1(ctx: StepContext) -> dict[str, str]:
        calls["step1"] += 1
        return {"result": "step1: " + ctx.input_data["value"]}

    async def step2(ctx: StepContext) -> dict[str, str]:
        calls["step2"] += 1
        return {"result": "step2"}

    return create_workflow(wf_id).then(create_step("step1", execute=step1)).sleep(ms).then(create_step("step2", execute=step2)).commit()


async def test_cancel_between_steps_interrupts_the_sleep() -> None:
    calls: Counter[str] = Counter()
    wf = sleepy(calls)
    run = await wf.create_run()
    began = time.monotonic()
    task = asyncio.create_task(run.start(input_data={"value": "test"}))
    await asyncio.sleep(0.05)
    await run.cancel()
    result = await task
    assert time.monotonic() - began < 0.5
    assert result.status == "canceled"
    assert run.status == "canceled"
    step1 = result.to_dict()["steps"]["step1"]
    assert step1 == {
        "status": "success",
        "payload": {"value": "test"},
        "output": {"result": "step1: test"},
        "startedAt": step1["startedAt"],
        "endedAt": step1["endedAt"],
    }
    assert "step2" not in result.steps
    assert result.result is None
    assert "result" not in result.to_dict()
    assert calls == Counter({"step1": 1})
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "canceled"


async def test_cancel_before_the_scheduled_start_runs_nothing() -> None:
    calls: Counter[str] = Counter()
    wf = sleepy(calls, "cancel-at-once")
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"value": "test"}))
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    assert result.steps == {}
    assert calls == Counter()
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "canceled"
    assert stored.input == {"value": "test"}
    # the canceled run is used up
    with pytest.raises(Exception, match=r"already started"):
        await run.start(input_data={"value": "again"})


async def test_cancel_right_after_start_began_keeps_the_first_step() -> None:
    calls: Counter[str] = Counter()
    wf = sleepy(calls, "cancel-soon")
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"value": "test"}))
    await asyncio.sleep(0)
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    assert result.steps["step1"].status == "success"
    assert "step2" not in result.steps
    assert calls == Counter({"step1": 1})


async def test_cancel_while_a_step_waits_on_the_abort_signal() -> None:
    seen: dict[str, Any] = {}
    after: list[str] = []

    async def waiter(ctx: StepContext) -> dict[str, bool]:
        seen["before"] = ctx.abort_signal.is_set()
        await ctx.abort_signal.wait()
        seen["after"] = ctx.abort_signal.is_set()
        seen["aborted"] = ctx.abort_signal.aborted
        return {"finished": True}

    async def never(ctx: StepContext) -> int:
        after.append("ran")
        return 1

    wf = create_workflow("signal").then(create_step("waiter", execute=waiter)).then(create_step("never", execute=never)).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={}))
    await asyncio.sleep(0.02)
    assert run.status == "running"
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    # the step is woken, not interrupted: its cleanup runs and its result is recorded (Mastra)
    assert seen == {"before": False, "after": True, "aborted": True}
    assert result.steps["waiter"].status == "success"
    assert result.steps["waiter"].output == {"finished": True}
    assert "never" not in result.steps
    assert after == []


async def test_cancel_interrupts_a_step_blocked_in_any_await() -> None:
    reached: list[str] = []

    async def slow(ctx: StepContext) -> int:
        reached.append("start")
        await asyncio.sleep(10)
        reached.append("end")
        return 1

    wf = create_workflow("blocked").then(create_step("slow", execute=slow)).commit()
    run = await wf.create_run()
    began = time.monotonic()
    task = asyncio.create_task(run.start(input_data={}))
    await asyncio.sleep(0.02)
    await run.cancel()
    result = await task
    assert time.monotonic() - began < 1
    assert result.status == "canceled"
    assert reached == ["start"]
    assert result.steps["slow"].status == "canceled"


async def test_a_step_calling_abort_cancels_the_run() -> None:
    calls: Counter[str] = Counter()

    async def step2(ctx: StepContext) -> dict[str, str]:
        calls["step2"] += 1
        ctx.abort()
        return {"returned": "anyway"}

    async def step3(ctx: StepContext) -> int:
        calls["step3"] += 1
        return 3

    wf = (
        create_workflow("self-abort")
        .then(create_step("step1", execute=lambda ctx: 1))
        .then(create_step("step2", execute=step2))
        .then(create_step("step3", execute=step3))
        .commit()
    )
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "canceled"
    assert result.steps["step1"].status == "success"
    # the step that aborted keeps its own result (Mastra); only the run is canceled
    assert result.steps["step2"].status == "success"
    assert result.steps["step2"].output == {"returned": "anyway"}
    assert "step3" not in result.steps
    assert calls == Counter({"step2": 1})


async def test_a_loop_condition_calling_abort_cancels_the_run() -> None:
    calls: Counter[str] = Counter()

    async def body(ctx: StepContext) -> int:
        calls["body"] += 1
        n: int = ctx.input_data
        return n + 1

    def condition(ctx: StepContext) -> bool:
        if ctx.iteration_count == 2:
            ctx.abort()
        return True

    wf = create_workflow("loop-abort").dowhile(create_step("body", execute=body), condition).commit()
    result = await (await wf.create_run()).start(input_data=0)
    assert result.status == "canceled"
    assert calls["body"] == 2


async def test_cancel_reaches_a_nested_workflow() -> None:
    finished: list[str] = []

    async def inner_wait(ctx: StepContext) -> int:
        try:
            await asyncio.wait_for(ctx.abort_signal.wait(), 5)
        finally:
            finished.append("signal" if ctx.abort_signal.is_set() else "timeout")
        return 1

    inner = create_workflow("inner-cancel").then(create_step("inner-wait", execute=inner_wait)).commit()
    after: list[str] = []
    wf = create_workflow("outer-cancel").then(inner).then(create_step("after", execute=lambda ctx: after.append("x"))).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={}))
    await asyncio.sleep(0.02)
    began = time.monotonic()
    await run.cancel()
    result = await task
    assert time.monotonic() - began < 1
    assert result.status == "canceled"
    assert result.steps["inner-cancel"].status == "canceled"
    assert finished == ["signal"]
    assert after == []


async def test_stream_of_a_canceled_run_ends_with_canceled_chunks() -> None:
    calls: Counter[str] = Counter()
    wf = sleepy(calls, "cancel-stream")
    run = await wf.create_run()
    stream = run.stream(input_data={"value": "x"})
    types: list[str] = []
    async for event in stream:
        types.append(event.type)
        if event.type == "workflow-step-waiting":
            await run.cancel()
    assert types == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-waiting",
        "workflow-canceled",
        "workflow-finish",
    ]
    assert stream.events[-1].payload["workflowStatus"] == "canceled"
    assert stream.events[-2].payload == {}
    assert (await stream.result).status == "canceled"
    assert stream.status == "canceled"


async def test_cancel_a_suspended_run_marks_it_canceled_at_once() -> None:
    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return 1

    wf = create_workflow("cancel-suspended").then(create_step("ask", execute=ask)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "suspended"
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "suspended"
    await run.cancel()
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "canceled"
    assert run.status == "canceled"
    with pytest.raises(ResumeError, match=r"^This workflow run was not suspended"):
        await run.resume(resume_data={})


async def test_cancel_a_suspended_run_from_another_process() -> None:
    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return 1

    def build() -> Workflow:
        return create_workflow("cancel-remote").then(create_step("ask", execute=ask)).commit()

    wf = build()
    run = await wf.create_run(run_id="remote")
    await run.start(input_data={})
    other = build()
    other.bind_storage(wf.storage)
    await (await other.create_run(run_id="remote")).cancel()
    stored = await wf.storage.load_run(wf.id, "remote")
    assert stored is not None
    assert stored.status == "canceled"


@pytest.mark.parametrize("outcome", ["success", "failed"])
async def test_cancel_on_a_finished_run_does_nothing(outcome: str) -> None:
    signals: list[Any] = []

    async def step(ctx: StepContext) -> int:
        signals.append(ctx.abort_signal)
        if outcome == "failed":
            raise RuntimeError("failed on purpose")
        return 1

    wf = create_workflow(f"finished-{outcome}").then(create_step("step", execute=step)).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == outcome
    await run.cancel()
    await run.cancel()
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == outcome
    assert run.status == outcome
    assert signals[0].is_set() is False


async def test_cancel_twice_while_running_is_harmless() -> None:
    calls: Counter[str] = Counter()
    wf = sleepy(calls, "cancel-twice")
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"value": "v"}))
    await asyncio.sleep(0.02)
    await run.cancel()
    await run.cancel()
    assert (await task).status == "canceled"
    await run.cancel()
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "canceled"


async def test_cancel_stops_a_foreach_from_starting_more_items() -> None:
    started: list[int] = []

    async def item(ctx: StepContext) -> int:
        started.append(ctx.input_data)
        await asyncio.sleep(0.05)
        n: int = ctx.input_data
        return n

    wf = create_workflow("each-cancel").foreach(create_step("item", execute=item), concurrency=2).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data=[1, 2, 3, 4, 5, 6]))
    await asyncio.sleep(0.02)
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    assert started == [1, 2]
    assert result.steps["item"].status == "canceled"
