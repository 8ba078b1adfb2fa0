"""Streaming with stream() / resume_stream() (scenarios U.137-U.144)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    Step,
    StepContext,
    ValidationError,
    Workflow,
    WorkflowEvent,
    WorkflowResult,
    WorkflowStream,
    create_step,
    create_workflow,
)

ZERO_USAGE = {
    "inputTokens": 0,
    "outputTokens": 0,
    "totalTokens": 0,
    "cachedInputTokens": 0,
    "cacheCreationInputTokens": 0,
    "reasoningTokens": 0,
}


class V(BaseModel):
    value: str


def two_steps(wf_id: str = "two-steps") -> Workflow:
    s1 = create_step("step1", execute=lambda ctx: {"result": "success1"})
    s2 = create_step("step2", execute=lambda ctx: {"result": "success2"})
    return create_workflow(wf_id).then(s1).then(s2).commit()


async def collect(stream: WorkflowStream) -> list[dict[str, Any]]:
    return [event.to_dict() async for event in stream]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def approval(calls: Counter[str], wf_id: str = "approval-stream") -> tuple[Workflow, Step]:
    """getUserInput -> promptAgent (suspends) -> finish."""

    async def get_user_input(ctx: StepContext) -> V:
        calls["getUserInput"] += 1
        value: V = ctx.input_data
        return value

    async def prompt_agent(ctx: StepContext) -> V:
        calls["promptAgent"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"testPayload": "hello"})
        return V(value=ctx.input_data.value + " " + ctx.resume_data.value)

    async def finish(ctx: StepContext) -> V:
        calls["finish"] += 1
        return V(value=ctx.input_data.value + "!")

    get = create_step("getUserInput", input_schema=V, output_schema=V, execute=get_user_input)
    prompt = create_step("promptAgent", input_schema=V, output_schema=V, resume_schema=V, execute=prompt_agent)
    fin = create_step("finish", input_schema=V, output_schema=V, execute=finish)
    return create_workflow(wf_id, input_schema=V, output_schema=V).then(get).then(prompt).then(fin).commit(), prompt


# -- U.137 / U.138: the exact chunk sequence ---------------------------------------------------


async def test_exact_chunk_sequence_for_two_steps() -> None:
    wf = two_steps()
    run = await wf.create_run(run_id="test-run-id")
    stream = run.stream(input_data={})
    assert stream.run_id == "test-run-id"
    assert stream.workflow_id == "two-steps"
    events = await collect(stream)
    assert types(events) == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    for e in events:
        assert set(e) == {"type", "runId", "from", "payload"}
        assert e["from"] == "WORKFLOW"
        assert e["runId"] == "test-run-id"
    assert events[0]["payload"] == {"workflowId": "two-steps"}

    start1, result1, start2, result2 = events[1:5]
    call1 = start1["payload"]["stepCallId"]
    assert isinstance(call1, str) and call1
    assert start1["payload"] == {
        "stepName": "step1",
        "id": "step1",
        "stepCallId": call1,
        "payload": {},
        "startedAt": start1["payload"]["startedAt"],
        "status": "running",
    }
    assert result1["payload"] == {
        "stepName": "step1",
        "id": "step1",
        "stepCallId": call1,
        "status": "success",
        "payload": {},
        "output": {"result": "success1"},
        "startedAt": start1["payload"]["startedAt"],
        "endedAt": result1["payload"]["endedAt"],
    }
    assert start2["payload"]["payload"] == {"result": "success1"}
    assert start2["payload"]["stepCallId"] not in ("", call1)
    assert result2["payload"]["stepCallId"] == start2["payload"]["stepCallId"]
    assert result2["payload"]["output"] == {"result": "success2"}
    assert "step-finish" not in types(events) and "workflow-step-finish" not in types(events)
    assert events[-1]["payload"] == {
        "workflowStatus": "success",
        "output": {"usage": ZERO_USAGE},
        "metadata": {},
        "finalWorkflowResult": {"result": "success2"},
    }
    json.dumps(events)  # the wire form is plain JSON

    result = await stream.result
    assert result.status == "success"
    assert result.result == {"result": "success2"}
    step1 = result.to_dict()["steps"]["step1"]
    assert set(step1) == {"status", "output", "payload", "startedAt", "endedAt"}
    assert stream.status == "success"
    assert await stream.usage == ZERO_USAGE


async def test_events_are_event_objects_with_python_attributes() -> None:
    wf = two_steps("objects")
    run = await wf.create_run()
    seen: list[WorkflowEvent] = [event async for event in run.stream(input_data={})]
    assert all(isinstance(e, WorkflowEvent) for e in seen)
    assert seen[1].type == "workflow-step-start"
    assert seen[1].from_ == "WORKFLOW"
    assert seen[1].run_id == run.run_id
    assert seen[1].payload["id"] == "step1"


async def test_sleep_shows_up_as_a_waiting_chunk() -> None:
    wf = (
        create_workflow("sleepy")
        .then(create_step("step1", execute=lambda ctx: {"result": "success1"}))
        .sleep(20)
        .then(create_step("step2", execute=lambda ctx: {"result": "success2"}))
        .commit()
    )
    run = await wf.create_run()
    events = await collect(run.stream(input_data={}))
    assert types(events) == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-waiting",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    waiting, slept = events[3]["payload"], events[4]["payload"]
    assert waiting == {
        "stepName": "sleep_sleepy_0",
        "id": "sleep_sleepy_0",
        "payload": {"result": "success1"},
        "startedAt": waiting["startedAt"],
        "status": "waiting",
    }
    assert slept["id"] == "sleep_sleepy_0"
    assert slept["status"] == "success"
    assert slept["output"] == {"result": "success1"}
    assert slept["endedAt"] - waiting["startedAt"] >= 15
    assert events[5]["payload"]["payload"] == {"result": "success1"}


async def test_failure_is_reported_in_the_stream_without_raising() -> None:
    async def boom(ctx: StepContext) -> Any:
        raise RuntimeError("Simulated error")

    wf = create_workflow("fails-stream").then(create_step("step1", execute=boom)).then(create_step("never", execute=lambda ctx: 1)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={})
    events = await collect(stream)
    assert types(events) == ["workflow-start", "workflow-step-start", "workflow-step-result", "workflow-finish"]
    assert events[2]["payload"]["status"] == "failed"
    assert events[2]["payload"]["error"]["message"] == "Simulated error"
    assert events[2]["payload"]["error"]["name"] == "RuntimeError"
    assert "stack" not in events[2]["payload"]["error"]
    assert events[3]["payload"]["workflowStatus"] == "failed"
    assert "finalWorkflowResult" not in events[3]["payload"]
    result = await stream.result
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "Simulated error"
    assert stream.status == "failed"


async def test_refused_input_rejects_the_stream() -> None:
    s = create_step("s", input_schema=V, output_schema=V, execute=lambda ctx: ctx.input_data)
    wf = create_workflow("refuse-input", input_schema=V, output_schema=V).then(s).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"value": 5})
    with pytest.raises(ValidationError, match=r"^Invalid input data: \n- value:"):
        await stream.result
    with pytest.raises(ValidationError):
        await collect(stream)
    assert stream.status == "failed"
    # the refused start did not use the run up
    ok = await run.start(input_data={"value": "fine"})
    assert ok.status == "success"


async def test_parallel_steps_start_before_either_result() -> None:
    async def slow(ctx: StepContext) -> dict[str, int]:
        await asyncio.sleep(0.02)
        return {"n": 1}

    async def fast(ctx: StepContext) -> dict[str, int]:
        return {"n": 2}

    wf = (
        create_workflow("par-stream")
        .parallel([create_step("P", execute=slow), create_step("Q", execute=fast)])
        .then(create_step("after", execute=lambda ctx: ctx.input_data))
        .commit()
    )
    run = await wf.create_run()
    events = await collect(run.stream(input_data={}))
    brief = [(e["type"], e["payload"].get("id")) for e in events]
    assert brief == [
        ("workflow-start", None),
        ("workflow-step-start", "P"),
        ("workflow-step-start", "Q"),
        ("workflow-step-result", "Q"),
        ("workflow-step-result", "P"),
        ("workflow-step-start", "after"),
        ("workflow-step-result", "after"),
        ("workflow-finish", None),
    ]
    assert events[5]["payload"]["payload"] == {"P": {"n": 1}, "Q": {"n": 2}}


async def test_nested_workflow_events_carry_dotted_ids() -> None:
    inner = create_workflow("inner").then(create_step("x", execute=lambda ctx: {"x": 1})).commit()
    wf = create_workflow("outer-stream").then(inner).commit()
    run = await wf.create_run()
    events = await collect(run.stream(input_data={}))
    brief = [(e["type"], e["payload"].get("id")) for e in events]
    assert brief == [
        ("workflow-start", None),
        ("workflow-step-start", "inner"),
        ("workflow-step-start", "inner.x"),
        ("workflow-step-result", "inner.x"),
        ("workflow-step-result", "inner"),
        ("workflow-finish", None),
    ]


async def test_foreach_emits_one_progress_chunk_per_item() -> None:
    wf = create_workflow("each-stream").foreach(create_step("double", execute=lambda ctx: ctx.input_data * 2)).commit()
    run = await wf.create_run()
    events = await collect(run.stream(input_data=[1, 2, 3]))
    assert types(events) == ["workflow-start", "workflow-step-start"] + ["workflow-step-progress"] * 3 + [
        "workflow-step-result",
        "workflow-finish",
    ]
    progress = [e["payload"] for e in events if e["type"] == "workflow-step-progress"]
    assert progress == [
        {
            "id": "double",
            "stepName": "double",
            "completedCount": i + 1,
            "totalCount": 3,
            "currentIndex": i,
            "iterationStatus": "success",
            "iterationOutput": (i + 1) * 2,
        }
        for i in range(3)
    ]
    assert events[-2]["payload"]["output"] == [2, 4, 6]


# -- U.141 / U.142: suspension and resume_stream ------------------------------------------------


async def test_stream_closes_on_suspend_and_resume_stream_carries_on() -> None:
    calls: Counter[str] = Counter()
    wf, prompt = approval(calls)
    run = await wf.create_run()
    stream = run.stream(input_data={"value": "test input"})
    events = await collect(stream)
    assert [(e["type"], e["payload"].get("id")) for e in events] == [
        ("workflow-start", None),
        ("workflow-step-start", "getUserInput"),
        ("workflow-step-result", "getUserInput"),
        ("workflow-step-start", "promptAgent"),
        ("workflow-step-suspended", "promptAgent"),
        ("workflow-finish", None),
    ]
    suspended = events[4]["payload"]
    assert suspended["status"] == "suspended"
    assert suspended["suspendPayload"] == {"testPayload": "hello"}
    assert suspended["payload"] == {"value": "test input"}
    assert "output" not in suspended and "endedAt" not in suspended
    assert events[5]["payload"]["workflowStatus"] == "suspended"
    first = await stream.result
    assert first.status == "suspended"
    assert stream.status == "suspended"
    assert calls == Counter({"getUserInput": 1, "promptAgent": 1})

    resumed = run.resume_stream(step=prompt, resume_data={"value": "more"})
    events = await collect(resumed)
    assert [(e["type"], e["payload"].get("id")) for e in events] == [
        ("workflow-start", None),
        ("workflow-step-start", "promptAgent"),
        ("workflow-step-result", "promptAgent"),
        ("workflow-step-start", "finish"),
        ("workflow-step-result", "finish"),
        ("workflow-finish", None),
    ]
    start = events[1]["payload"]
    assert start["resumePayload"] == {"value": "more"}
    assert start["payload"] == {"value": "test input"}
    assert start["startedAt"] == first.steps["promptAgent"].started_at
    assert isinstance(start["resumedAt"], int)
    assert events[2]["payload"]["resumePayload"] == {"value": "more"}
    assert events[-1]["payload"]["workflowStatus"] == "success"
    result = await resumed.result
    assert result.status == "success"
    assert result.result == V(value="test input more!")
    assert resumed.status == "success"
    assert calls == Counter({"getUserInput": 1, "promptAgent": 2, "finish": 1})


async def test_close_on_suspend_false_keeps_the_same_stream_open_across_a_resume() -> None:
    calls: Counter[str] = Counter()
    wf, prompt = approval(calls, "keep-open")
    run = await wf.create_run()
    stream = run.stream(input_data={"value": "a"}, close_on_suspend=False)
    events: list[dict[str, Any]] = []
    resumed: asyncio.Task[WorkflowResult] | None = None
    async for event in stream:
        events.append(event.to_dict())
        if event.type == "workflow-step-suspended":
            assert stream.status == "suspended"
            resumed = asyncio.create_task(run.resume(step=prompt, resume_data={"value": "b"}))
    assert [(e["type"], e["payload"].get("id")) for e in events] == [
        ("workflow-start", None),
        ("workflow-step-start", "getUserInput"),
        ("workflow-step-result", "getUserInput"),
        ("workflow-step-start", "promptAgent"),
        ("workflow-step-suspended", "promptAgent"),
        ("workflow-step-start", "promptAgent"),
        ("workflow-step-result", "promptAgent"),
        ("workflow-step-start", "finish"),
        ("workflow-step-result", "finish"),
        ("workflow-finish", None),
    ]
    assert events[-1]["payload"]["workflowStatus"] == "success"
    result = await stream.result
    assert result.status == "success"
    assert result.result == V(value="a b!")
    rec = result.to_dict()["steps"]["promptAgent"]
    assert rec["resumePayload"] == {"value": "b"}
    assert {"resumedAt", "suspendedAt", "startedAt", "endedAt"} <= set(rec)
    assert resumed is not None
    assert (await resumed).status == "success"
    assert calls == Counter({"getUserInput": 1, "promptAgent": 2, "finish": 1})


async def test_resume_stream_on_a_nested_suspension() -> None:
    async def ask(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({"need": "ok"})
        return {"ok": ctx.resume_data["ok"]}

    inner = create_workflow("inner-ask").then(create_step("ask", execute=ask)).commit()
    wf = create_workflow("outer-ask").then(inner).commit()
    run = await wf.create_run()
    events = await collect(run.stream(input_data={}))
    assert [(e["type"], e["payload"].get("id")) for e in events] == [
        ("workflow-start", None),
        ("workflow-step-start", "inner-ask"),
        ("workflow-step-start", "inner-ask.ask"),
        ("workflow-step-suspended", "inner-ask.ask"),
        ("workflow-step-suspended", "inner-ask"),
        ("workflow-finish", None),
    ]
    resumed = run.resume_stream(step="inner-ask.ask", resume_data={"ok": True})
    events = await collect(resumed)
    assert [(e["type"], e["payload"].get("id")) for e in events] == [
        ("workflow-start", None),
        ("workflow-step-start", "inner-ask"),
        ("workflow-step-start", "inner-ask.ask"),
        ("workflow-step-result", "inner-ask.ask"),
        ("workflow-step-result", "inner-ask"),
        ("workflow-finish", None),
    ]
    assert (await resumed.result).result == {"ok": True}


# -- U.143 / U.144: writer output -----------------------------------------------------------------


async def test_writer_write_is_one_user_chunk_and_the_object_is_unchanged() -> None:
    written: dict[str, Any] = {"message": "hello", "count": 42}

    async def test_step(ctx: StepContext) -> dict[str, bool]:
        await ctx.writer.write(written)
        return {"ok": True}

    wf = create_workflow("writer").then(create_step("testStep", execute=test_step)).commit()
    run = await wf.create_run()
    events = await collect(run.stream(input_data={}))
    outputs = [e for e in events if e["type"] == "workflow-step-output"]
    assert outputs == [
        {
            "type": "workflow-step-output",
            "runId": run.run_id,
            "from": "USER",
            "payload": {"output": {"message": "hello", "count": 42}, "runId": run.run_id, "stepName": "testStep"},
        }
    ]
    assert written == {"message": "hello", "count": 42}
    assert types(events).index("workflow-step-output") == 2  # between the step's start and result


async def test_writer_output_during_resume_stream_carries_the_new_values() -> None:
    async def step(ctx: StepContext) -> dict[str, Any]:
        await ctx.writer.write({"phase": "resumed" if ctx.resume_data else "first"})
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"done": True}

    wf = create_workflow("writer-resume").then(create_step("step", execute=step)).commit()
    run = await wf.create_run()
    first = await collect(run.stream(input_data={}))
    assert [e["payload"]["output"] for e in first if e["type"] == "workflow-step-output"] == [{"phase": "first"}]
    second = await collect(run.resume_stream(resume_data={"go": 1}))
    assert [e["payload"]["output"] for e in second if e["type"] == "workflow-step-output"] == [{"phase": "resumed"}]


async def test_writer_output_from_a_nested_workflow_reaches_the_parent_stream() -> None:
    async def inner_step(ctx: StepContext) -> int:
        await ctx.writer.write({"from": "inside"})
        await ctx.writer.custom({"type": "data-inner", "data": {"deep": True}})
        return 1

    inner = create_workflow("inner-writer").then(create_step("inner-step", execute=inner_step)).commit()
    wf = create_workflow("outer-writer").then(inner).commit()
    run = await wf.create_run()
    events = await collect(run.stream(input_data={}))
    out = [e for e in events if e["type"] == "workflow-step-output"]
    assert len(out) == 1
    assert out[0]["from"] == "USER"
    assert out[0]["payload"] == {
        "output": {"from": "inside"},
        "runId": run.run_id,
        "stepName": "inner-step",
    }  # the bare id, as in Mastra 1.71
    custom = [e for e in events if e["type"] == "data-inner"]
    assert custom == [{"type": "data-inner", "data": {"deep": True}, "runId": run.run_id, "from": "WORKFLOW"}]


async def test_writer_custom_is_a_top_level_chunk_also_during_resume() -> None:
    async def step(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.writer.custom({"type": "suspend-event", "data": {"message": "About to suspend", "value": 42}})
            await ctx.suspend({"value": 42})
        await ctx.writer.custom(
            {
                "type": "resume-event",
                "data": {
                    "message": "Successfully resumed",
                    "originalValue": ctx.suspend_data["value"],
                    "resumeValue": ctx.resume_data["resumeValue"],
                },
            }
        )
        return {"value": ctx.resume_data["resumeValue"], "success": True}

    wf = create_workflow("custom-resume").then(create_step("step", execute=step)).commit()
    run = await wf.create_run()
    first = await collect(run.stream(input_data={}))
    suspend_events = [e for e in first if e["type"] == "suspend-event"]
    assert len(suspend_events) == 1
    assert suspend_events[0]["data"] == {"message": "About to suspend", "value": 42}
    assert "payload" not in suspend_events[0]
    assert "workflow-step-output" not in types(first)

    resumed = run.resume_stream(resume_data={"resumeValue": 99})
    second = await collect(resumed)
    resume_events = [e for e in second if e["type"] == "resume-event"]
    assert [e["data"] for e in resume_events] == [{"message": "Successfully resumed", "originalValue": 42, "resumeValue": 99}]
    result = await resumed.result
    assert result.status == "success"
    assert result.result == {"value": 99, "success": True}


async def test_writer_custom_needs_a_typed_mapping() -> None:
    async def step(ctx: StepContext) -> int:
        await ctx.writer.custom({"data": 1})
        return 1

    wf = create_workflow("custom-bad").then(create_step("step", execute=step)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "Step 'step': writer.custom() needs a mapping with a string 'type'"


# -- readers, status and early exit -----------------------------------------------------------------


async def test_several_readers_each_get_every_event() -> None:
    release = asyncio.Event()

    async def slow(ctx: StepContext) -> int:
        await release.wait()
        return 1

    wf = create_workflow("readers").then(create_step("slow", execute=slow)).then(create_step("fast", execute=lambda ctx: 2)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={})
    early = asyncio.create_task(collect(stream))
    await asyncio.sleep(0.01)
    assert stream.status == "running"
    late_but_live = asyncio.create_task(collect(stream))  # joins mid-run: replay, then live
    await asyncio.sleep(0.01)
    release.set()
    a, b = await early, await late_but_live
    after_close = await collect(stream)  # joins after the end: full replay
    assert a == b == after_close
    assert types(a) == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    assert [e.to_dict() for e in stream.events] == a


async def test_awaiting_the_result_without_reading_the_events() -> None:
    wf = two_steps("no-read")
    run = await wf.create_run()
    stream = run.stream(input_data={})
    result = await stream.result
    assert result.status == "success"
    assert types(await collect(stream))[-1] == "workflow-finish"


async def test_leaving_the_context_manager_early_lets_the_run_finish() -> None:
    calls: Counter[str] = Counter()

    async def first(ctx: StepContext) -> int:
        calls["first"] += 1
        return 1

    async def second(ctx: StepContext) -> int:
        calls["second"] += 1
        await asyncio.sleep(0.02)
        return 2

    wf = create_workflow("early-exit").then(create_step("first", execute=first)).then(create_step("second", execute=second)).commit()
    run = await wf.create_run()
    seen: list[str] = []
    async with run.stream(input_data={}) as stream:
        async for event in stream:
            seen.append(event.type)
            if event.type == "workflow-step-result":
                break
    assert seen == ["workflow-start", "workflow-step-start", "workflow-step-result"]
    result = await stream.result
    assert result.status == "success"
    assert result.result == 2
    assert calls == Counter({"first": 1, "second": 1})
    assert stream not in run._sinks


async def test_stream_status_follows_the_run() -> None:
    release = asyncio.Event()

    async def wait(ctx: StepContext) -> int:
        await release.wait()
        if ctx.resume_data is None:
            await ctx.suspend({})
        return 1

    wf = create_workflow("status").then(create_step("wait", execute=wait)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={})
    await asyncio.sleep(0.01)
    assert stream.status == "running"
    assert run.status == "running"
    release.set()
    await stream.result
    assert stream.status == "suspended"
    assert run.status == "suspended"  # type: ignore[comparison-overlap]  # mypy keeps `run.status` narrowed to "running" across the await
    resumed = run.resume_stream(resume_data={})
    await resumed.result
    assert resumed.status == "success"
    assert run.status == "success"


async def test_leaving_a_stream_early_still_delivers_a_refusal_or_the_result() -> None:
    """Before: a stream left at once never resolved its result after a refused start, and a
    refused resume_stream returned the run's earlier result instead of raising."""

    class Num(BaseModel):
        n: int

    async def ask(ctx: StepContext[Num, Num]) -> Num:
        if ctx.resume_data is None:
            await ctx.suspend({})
        assert ctx.resume_data is not None
        return Num(n=ctx.input_data.n + ctx.resume_data.n)

    wf = (
        create_workflow(id="left-early", input_schema=Num, output_schema=Num)
        .then(create_step(id="ask", input_schema=Num, output_schema=Num, resume_schema=Num, execute=ask))
        .commit()
    )
    run = await wf.create_run()
    async with run.stream(input_data={"n": "many"}) as refused:
        pass
    with pytest.raises(ValidationError, match=r"^Invalid input data"):
        await asyncio.wait_for(refused.result, 5)
    async with run.stream(input_data={"n": 1}) as started:
        pass
    assert (await asyncio.wait_for(started.result, 5)).status == "suspended"
    async with run.resume_stream(resume_data={"n": "bad"}) as bad_resume:
        pass
    with pytest.raises(ValidationError, match=r"^Invalid resume data"):
        await asyncio.wait_for(bad_resume.result, 5)
    async with run.resume_stream(resume_data={"n": 2}) as resumed:
        pass
    done = await asyncio.wait_for(resumed.result, 5)
    assert done.status == "success" and done.result == Num(n=3)
