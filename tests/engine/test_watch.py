"""run.watch(callback): Mastra's watch events for every execution of a run (step events plus
`workflow-step-finish`, no workflow start/finish; recorded in conformance/watch-events), and the
client fold of stream chunks (scenario W.152)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import Counter
from typing import Any

import pytest

from stepstream import StepContext, Workflow, WorkflowEvent, create_step, create_workflow


def suspending_workflow(calls: Counter[str], wf_id: str = "watched") -> Workflow:
    async def first(ctx: StepContext) -> dict[str, int]:
        calls["first"] += 1
        return {"n": ctx.input_data["n"] + 1}

    async def ask(ctx: StepContext) -> dict[str, int]:
        calls["ask"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"reason": "confirm"})
        return {"n": ctx.input_data["n"] * ctx.resume_data["times"]}

    return create_workflow(wf_id).then(create_step("first", execute=first)).then(create_step("ask", execute=ask)).commit()


def brief(events: list[WorkflowEvent]) -> list[tuple[str, Any]]:
    return [(e.type, e.payload.get("id")) for e in events]


async def test_watch_sees_every_event_of_start_and_resume() -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls)
    run = await wf.create_run()
    seen: list[WorkflowEvent] = []
    run.watch(seen.append)
    await run.start(input_data={"n": 1})
    assert brief(seen) == [
        ("workflow-step-start", "first"),
        ("workflow-step-result", "first"),
        ("workflow-step-finish", "first"),
        ("workflow-step-start", "ask"),
        ("workflow-step-suspended", "ask"),
    ]
    assert seen[4].payload["suspendPayload"] == {"reason": "confirm"}
    assert seen[2].payload == {"id": "first", "stepCallId": seen[1].payload["stepCallId"], "metadata": {}}
    assert all("stepName" not in e.payload for e in seen)
    seen.clear()
    await run.resume(resume_data={"times": 5})
    assert brief(seen) == [
        ("workflow-step-start", "ask"),
        ("workflow-step-result", "ask"),
        ("workflow-step-finish", "ask"),
    ]
    assert seen[1].payload["output"] == {"n": 10}
    assert all(e.run_id == run.run_id for e in seen)


async def test_watch_and_stream_agree_on_step_events() -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "watch-vs-stream")
    run = await wf.create_run()
    watched: list[WorkflowEvent] = []
    run.watch(watched.append)
    streamed = [e async for e in run.stream(input_data={"n": 2})]
    step_events = [e for e in streamed if e.type not in ("workflow-start", "workflow-finish")]
    without_name = [{k: v for k, v in e.payload.items() if k != "stepName"} for e in step_events]
    assert [e.payload for e in watched if e.type != "workflow-step-finish"] == without_name
    assert [e.type for e in watched if e.type != "workflow-step-finish"] == [e.type for e in step_events]


async def test_watch_gets_writer_output_and_cancel() -> None:
    async def talk(ctx: StepContext) -> int:
        await ctx.writer.write({"said": 1})
        ctx.abort()
        return 1

    wf = create_workflow("watch-cancel").then(create_step("talk", execute=talk)).then(create_step("never", execute=lambda ctx: 2)).commit()
    run = await wf.create_run()
    seen: list[WorkflowEvent] = []
    run.watch(seen.append)
    result = await run.start(input_data={})
    assert result.status == "canceled"
    assert [e.type for e in seen] == [
        "workflow-step-start",
        "workflow-step-output",
        "workflow-step-result",
        "workflow-step-finish",
        "workflow-canceled",
    ]
    assert seen[1].payload["stepName"] == "talk"


async def test_unsubscribe_stops_delivery_and_is_idempotent() -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "unsubscribe")
    run = await wf.create_run()
    kept: list[str] = []
    dropped: list[str] = []
    run.watch(lambda e: kept.append(e.type))
    stop = run.watch(lambda e: dropped.append(e.type))
    await run.start(input_data={"n": 1})
    assert len(dropped) == 5
    stop()
    stop()
    await run.resume(resume_data={"times": 2})
    assert len(dropped) == 5
    assert kept[5:] == ["workflow-step-start", "workflow-step-result", "workflow-step-finish"]


async def test_async_callbacks_are_run() -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "async-watch")
    run = await wf.create_run()
    seen: list[str] = []

    async def callback(event: WorkflowEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event.type)

    run.watch(callback)
    await run.start(input_data={"n": 1})
    await asyncio.sleep(0.01)
    assert sorted(seen) == sorted(
        [
            "workflow-step-start",
            "workflow-step-result",
            "workflow-step-finish",
            "workflow-step-start",
            "workflow-step-suspended",
        ]
    )


async def test_a_raising_callback_is_logged_and_does_not_break_the_run(caplog: pytest.LogCaptureFixture) -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "bad-watch")
    run = await wf.create_run()
    seen: list[str] = []

    def bad(event: WorkflowEvent) -> None:
        raise RuntimeError("watcher broke")

    run.watch(bad)
    run.watch(lambda e: seen.append(e.type))
    with caplog.at_level(logging.ERROR, logger="stepstream"):
        result = await run.start(input_data={"n": 1})
    assert result.status == "suspended"
    assert len(seen) == 5
    assert calls == Counter({"first": 1, "ask": 1})
    assert sum("a watch callback raised" in r.getMessage() for r in caplog.records) == 5


async def test_a_raising_async_callback_is_logged_not_left_unretrieved(caplog: pytest.LogCaptureFixture) -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "bad-async-watch")
    run = await wf.create_run()

    async def bad(event: WorkflowEvent) -> None:
        raise RuntimeError("async watcher broke")

    run.watch(bad)
    loop_errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    try:
        with caplog.at_level(logging.ERROR, logger="stepstream"):
            result = await run.start(input_data={"n": 1})
            await asyncio.sleep(0.01)
            gc.collect()
            await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert result.status == "suspended"
    assert loop_errors == []
    assert sum("a watch callback raised" in r.getMessage() for r in caplog.records) == 5


async def test_watch_only_sees_its_own_run() -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "two-runs")
    run_a = await wf.create_run()
    run_b = await wf.create_run()
    seen: list[str] = []
    run_a.watch(lambda e: seen.append(e.run_id))
    await run_b.start(input_data={"n": 1})
    assert seen == []
    await run_a.start(input_data={"n": 1})
    assert set(seen) == {run_a.run_id}


def fold(state: dict[str, Any] | None, event: WorkflowEvent) -> dict[str, Any]:
    """A fold of stream chunks into run state (the client fold of scenario W.152)."""
    prev = state or {"input": None, "status": "running", "steps": {}}
    kind, payload = event.type, event.payload
    if kind == "workflow-start":
        return {**prev, "status": "running"}
    if kind == "workflow-canceled":
        return {**prev, "status": "canceled"}
    if kind in ("workflow-step-start", "workflow-step-result", "workflow-step-waiting"):
        status = "waiting" if kind == "workflow-step-waiting" else prev["status"]
        return {**prev, "status": status, "steps": {**prev["steps"], payload["id"]: payload}}
    if kind == "workflow-step-suspended":
        meta = (payload.get("suspendPayload") or {}).get("__workflow_meta") or {}
        return {
            **prev,
            "status": "suspended",
            "steps": {**prev["steps"], payload["id"]: payload},
            "suspendPayload": payload.get("suspendPayload"),
            "suspended": [[payload["id"], *meta.get("path", [])]],
        }
    if kind == "workflow-finish":
        out = {**prev, "status": payload["workflowStatus"]}
        last = list(prev["steps"].values())[-1] if prev["steps"] else None
        if last is not None and payload["workflowStatus"] == "success":
            out["result"] = last.get("output")
        if last is not None and payload["workflowStatus"] == "failed":
            out["error"] = last.get("error")
        return out
    return prev


async def test_folding_stream_chunks_rebuilds_the_run_state() -> None:
    calls: Counter[str] = Counter()
    wf = suspending_workflow(calls, "fold")
    run = await wf.create_run()
    state: dict[str, Any] | None = None

    stream = run.stream(input_data={"n": 1})
    async for event in stream:
        state = fold(state, event)
    suspended = await stream.result
    assert state is not None
    assert state["status"] == "suspended" == suspended.status
    assert state["suspended"] == suspended.suspended == [["ask"]]
    assert state["suspendPayload"] == {"reason": "confirm"}
    assert {k: v["status"] for k, v in state["steps"].items()} == {"first": "success", "ask": "suspended"}

    resumed = run.resume_stream(resume_data={"times": 3})
    async for event in resumed:
        state = fold(state, event)
    done = await resumed.result
    assert state["status"] == "success"
    assert state["result"] == done.result == {"n": 6}
    assert {k: v["status"] for k, v in state["steps"].items()} == {"first": "success", "ask": "success"}
