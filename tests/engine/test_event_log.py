"""The run's event log: observe_stream, start_async, resume_async, and from_dict round trips.

Every test runs on InMemoryStorage and on a SQLite file; the cross-process and
PostgreSQL cases are in tests/durability/test_observe.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    ResumeError,
    RunNotFoundError,
    RunStateError,
    StepContext,
    Stepstream,
    StepstreamError,
    ValidationError,
    Workflow,
    WorkflowEvent,
    WorkflowResult,
    create_step,
    create_workflow,
)
from stepstream.storage import InMemoryStorage, SQLiteStorage, Storage


class N(BaseModel):
    n: int


class Answer(BaseModel):
    ok: bool


def approval(wf_id: str = "approval") -> Workflow:
    async def ask(ctx: StepContext) -> N:
        if ctx.resume_data is None:
            await ctx.writer.custom({"type": "data-question", "data": {"n": ctx.input_data.n}})
            await ctx.suspend({"question": "ok?"}, resume_label="ok")
        return N(n=ctx.input_data.n + (1 if ctx.resume_data.ok else 0))

    before = create_step("before", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 10))
    gate = create_step("ask", input_schema=N, output_schema=N, resume_schema=Answer, execute=ask)
    return create_workflow(wf_id, input_schema=N, output_schema=N).then(before).then(gate).commit()


@pytest.fixture(params=["memory", "sqlite"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stepstream]:
    storage: Storage = InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "runs.db")
    async with Stepstream(workflows=[approval()], storage=storage) as app:
        yield app


async def dicts(events: Any) -> list[dict[str, Any]]:
    return [event.to_dict() async for event in events]


async def test_the_log_holds_every_live_event_in_order_across_a_resume(app: Stepstream) -> None:
    run = await app.get_workflow("approval").create_run("r1")
    first = run.stream(input_data={"n": 1})
    live = [event async for event in first]
    assert (await first.result).status == "suspended"
    second = run.resume_stream(resume_data={"ok": True})
    live += [event async for event in second]
    assert (await second.result).result == N(n=11)
    assert [e.offset for e in live] == list(range(len(live))), "live events carry their log offsets"

    stream = run.observe_stream()
    logged = [event async for event in stream]
    assert [e.to_dict() for e in logged] == [e.to_dict() for e in live]
    assert [e.offset for e in logged] == list(range(len(live)))
    assert [e.type for e in logged].count("workflow-start") == 2
    assert "data-question" in [e.type for e in logged], "custom chunks are logged too"
    result = await stream.result
    assert result.status == "success" and result.result == {"n": 11}


async def test_observe_from_an_offset_and_past_the_end_of_a_settled_run(app: Stepstream) -> None:
    run = await app.get_workflow("approval").create_run("r2")
    await run.start(input_data={"n": 1})
    whole = await dicts(run.observe_stream())
    assert whole[-1]["type"] == "workflow-finish" and whole[-1]["payload"]["workflowStatus"] == "suspended"
    assert await dicts(run.observe_stream(offset=2)) == whole[2:]
    past = run.observe_stream(offset=len(whole) + 5)
    assert await dicts(past) == []
    assert (await past.result).status == "suspended"
    with pytest.raises(ValueError, match="offset must be a non-negative integer"):
        run.observe_stream(offset=-1)


async def test_observe_of_an_unknown_or_deleted_run_is_a_clear_not_found(app: Stepstream) -> None:
    wf = app.get_workflow("approval")
    stream = (await wf.create_run("never-started")).observe_stream()
    with pytest.raises(RunNotFoundError, match="'never-started' of workflow 'approval' is not in storage"):
        [event async for event in stream]
    with pytest.raises(RunNotFoundError):
        await stream.result

    run = await wf.create_run("deleted")
    await run.start(input_data={"n": 1})
    assert await app.storage.read_events("approval", "deleted") is not None
    assert await wf.delete_run("deleted")
    assert await app.storage.read_events("approval", "deleted") is None, "the log goes with its run"
    with pytest.raises(RunNotFoundError):
        await run.observe_stream().result


async def test_a_steps_output_reaches_an_observer_while_the_step_still_runs(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def talk(ctx: StepContext) -> N:
        await ctx.writer.write({"progress": "half"})
        await release.wait()
        return N(n=1)

    wf = create_workflow("talk", input_schema=N, output_schema=N).then(create_step("talk", input_schema=N, output_schema=N, execute=talk))
    async with Stepstream(workflows=[wf.commit()], storage=SQLiteStorage(tmp_path / "runs.db")) as app:
        run = await app.get_workflow("talk").create_run("t1")
        await run.start_async(input_data={"n": 0})
        seen: list[str] = []
        async for event in run.observe_stream():
            seen.append(event.type)
            if event.type == "workflow-step-output":
                assert event.payload["output"] == {"progress": "half"}
                release.set()  # the step can only end after the observer saw its output
        assert seen[-1] == "workflow-finish"


async def test_start_async_returns_at_once_and_refuses_bad_input_at_the_call(app: Stepstream) -> None:
    wf = app.get_workflow("approval")
    run = await wf.create_run("a1")
    with pytest.raises(ValidationError, match="Invalid input data"):
        await run.start_async(input_data={"n": "not a number"})
    stored = await wf.get_run("a1")  # the created run, as it was: refused input changed nothing
    assert stored is not None and stored.status == "pending" and stored.payload is None
    assert await run.start_async(input_data={"n": 2}) == "a1"
    with pytest.raises(RunStateError, match="already started"):
        await run.start_async(input_data={"n": 2})
    stream = run.observe_stream()
    assert (await stream.result).status == "suspended"
    assert [e.type async for e in stream][-1] == "workflow-finish"


async def test_resume_async_raises_refusals_at_the_call_and_leaves_the_run_suspended(app: Stepstream) -> None:
    wf = app.get_workflow("approval")
    run = await wf.create_run("b1")
    with pytest.raises(RunNotFoundError):
        await run.resume_async(resume_data={"ok": True})  # not started yet
    suspended = await run.start(input_data={"n": 3})
    end = len(await dicts(run.observe_stream()))
    with pytest.raises(ValidationError, match="Invalid resume data"):
        await run.resume_async(resume_data={"ok": "maybe"})
    with pytest.raises(ResumeError, match="nope"):
        await run.resume_async(resume_data={"ok": True}, step="nope")
    stored = await wf.get_run("b1")
    assert stored is not None and stored.status == "suspended"
    assert suspended.resume_labels == {"ok": {"stepId": "ask"}}

    assert await run.resume_async(resume_data={"ok": True}, label="ok") == "b1"
    with pytest.raises(ResumeError):
        await run.resume_async(resume_data={"ok": True})  # claimed already: no longer suspended
    rest = run.observe_stream(offset=end)
    types = [e.type async for e in rest]
    assert types[0] == "workflow-start" and types[-1] == "workflow-finish"
    assert (await rest.result).result == {"n": 31}


async def test_a_storage_without_an_event_log_runs_but_cannot_be_observed() -> None:
    class NoLog(InMemoryStorage):
        keeps_events = False

    async with Stepstream(workflows=[approval()], storage=NoLog()) as app:
        run = await app.get_workflow("approval").create_run("c1")
        stream = run.stream(input_data={"n": 1})
        assert [e.offset async for e in stream] == [None] * 7
        assert (await stream.result).status == "suspended"
        with pytest.raises(StepstreamError, match="keeps no event log"):
            await run.observe_stream().result


async def test_results_and_events_round_trip_through_from_dict(app: Stepstream) -> None:
    wf = app.get_workflow("approval")
    run = await wf.create_run("d1")
    first = run.stream(input_data={"n": 1})
    events = [event async for event in first]
    suspended = await first.result
    done = await run.resume(resume_data={"ok": False})
    failed = await (await wf.create_run("d2")).start(input_data={"n": 1})
    failing = create_workflow("boom", input_schema=N).then(create_step("boom", input_schema=N, execute=_boom)).commit()
    app.add_workflow(failing)
    failed = await (await failing.create_run("d3")).start(input_data={"n": 1})
    assert failed.status == "failed"
    for result in (suspended, done, failed):
        data = result.to_dict()
        back = WorkflowResult.from_dict(data, workflow_id=result.workflow_id)
        assert back.to_dict() == data
        assert back.status == result.status and back.run_id == result.run_id and back.workflow_id == result.workflow_id
    for event in events:
        wire = event.to_dict()
        again = WorkflowEvent.from_dict(wire, offset=event.offset)
        assert again.to_dict() == wire and again.type == event.type and again.offset == event.offset
    custom = next(e for e in events if e.type == "data-question")
    assert WorkflowEvent.from_dict(custom.to_dict()).raw == custom.to_dict()
    with pytest.raises(ValueError, match="'type'"):
        WorkflowEvent.from_dict({"payload": {}})
    with pytest.raises(ValueError, match="'status' and 'runId'"):
        WorkflowResult.from_dict({"steps": {}})


def _boom(ctx: StepContext) -> N:
    raise RuntimeError("boom")


def _normalized(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with run ids, step call ids and times replaced by placeholders (in order of appearance)."""
    ids: dict[str, str] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key in ("runId", "stepCallId") and isinstance(item, str):
                    out[key] = ids.setdefault(item, f"id-{len(ids)}")
                elif key.endswith("At") and isinstance(item, int):
                    out[key] = 0
                else:
                    out[key] = walk(item)
            return out
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return [walk(event) for event in events]


async def test_a_run_with_no_reader_logs_what_a_live_reader_would_have_seen(app: Stepstream) -> None:
    """With no reader in the process, a step's events are logged as entries that build their
    JSON when read: read back, they are the live events, key for key and in the same order."""
    wf = app.get_workflow("approval")
    watched = await wf.create_run("watched")
    live = await dicts(watched.stream(input_data={"n": 2}))
    live += await dicts(watched.resume_stream(resume_data={"ok": False}))
    quiet = await wf.create_run("quiet")
    assert (await quiet.start(input_data={"n": 2})).status == "suspended"
    assert (await quiet.resume(resume_data={"ok": False})).status == "success"
    logged = await dicts(quiet.observe_stream())
    assert [list(e) for e in logged] == [list(e) for e in live], "same keys in the same order"
    assert [list(e.get("payload") or {}) for e in logged] == [list(e.get("payload") or {}) for e in live]
    assert _normalized(logged) == _normalized(live)
    assert any(e["type"] == "workflow-step-result" and e["payload"]["output"] == {"n": 20} for e in logged)
