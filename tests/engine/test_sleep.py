"""O. sleep and sleep_until (Mastra scenarios 91-93)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import SQLiteStorage

from .matchers import T, wire

MS = 40  # every sleep in this module is tens of milliseconds


class Result(BaseModel):
    result: str


class Value(BaseModel):
    value: int


def _elapsed() -> Any:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    return lambda: loop.time() - t0


# -- 91: sleep(ms) waits and passes its input on -----------------------------------------------------------


async def test_sleep_waits_and_passes_its_input_through() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=Result, execute=lambda ctx: {"result": "success"})
    step2 = create_step(
        id="step2",
        input_schema=Result,
        output_schema=Result,
        execute=lambda ctx: {"result": "slept successfully: " + ctx.input_data.result},
    )
    wf = create_workflow(id="sleep", input_schema=Any, output_schema=Any).then(step1).sleep(MS).then(step2).commit()
    elapsed = _elapsed()
    result = await (await wf.create_run()).start(input_data={})
    took = elapsed()
    assert result.status == "success"
    assert took >= MS / 1000 * 0.95
    steps = result.to_dict()["steps"]
    assert steps["step2"] == {
        "status": "success",
        "payload": {"result": "success"},
        "output": {"result": "slept successfully: success"},
        "startedAt": T,
        "endedAt": T,
    }
    assert steps["sleep_sleep_0"] == {
        "status": "success",
        "payload": {"result": "success"},
        "output": {"result": "success"},
        "startedAt": T,
        "endedAt": T,
    }
    assert steps["sleep_sleep_0"]["endedAt"] - steps["sleep_sleep_0"]["startedAt"] >= MS - 5
    assert result.step_execution_path == ["step1", "sleep_sleep_0", "step2"]


async def test_sleep_with_an_explicit_id() -> None:
    wf = create_workflow(id="sleep-id", input_schema=Any, output_schema=Any).sleep(1, id="pause").commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert list(result.steps) == ["pause"]
    assert result.result == {"x": 1}


# -- 92: sleep(fn) and sleep_until(datetime | fn) ---------------------------------------------------------


def _double() -> Any:
    return create_step(id="step2", input_schema=Value, output_schema=Value, execute=lambda ctx: Value(value=ctx.input_data.value * 2))


def _first() -> Any:
    return create_step(id="step1", input_schema=Any, output_schema=Value, execute=lambda ctx: Value(value=MS))


async def test_sleep_with_a_function_of_the_previous_output() -> None:
    seen: list[Any] = []

    def duration(ctx: Any) -> int:
        seen.append(ctx.input_data)
        value: int = ctx.input_data["value"]  # untyped functions get the JSON form
        return value

    wf = create_workflow(id="sleep-fn", input_schema=Any, output_schema=Any).then(_first()).sleep(duration).then(_double()).commit()
    elapsed = _elapsed()
    result = await (await wf.create_run()).start(input_data={})
    assert elapsed() >= MS / 1000 * 0.95
    assert seen == [{"value": MS}]
    assert result.to_dict()["steps"]["step2"]["payload"] == {"value": MS}
    assert result.to_dict()["result"] == {"value": 2 * MS}


async def test_sleep_with_an_async_function() -> None:
    async def duration(ctx: Any) -> float:
        return MS / 2

    wf = create_workflow(id="sleep-async-fn", input_schema=Any, output_schema=Any).sleep(duration).commit()
    elapsed = _elapsed()
    result = await (await wf.create_run()).start(input_data={"a": 1})
    assert elapsed() >= MS / 2000 * 0.95
    assert result.result == {"a": 1}


async def test_sleep_until_a_datetime() -> None:
    until = datetime.now(UTC) + timedelta(milliseconds=MS)
    wf = create_workflow(id="sleep-until", input_schema=Any, output_schema=Any).then(_first()).sleep_until(until).then(_double()).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert datetime.now(UTC) >= until
    assert result.to_dict()["steps"]["step2"]["payload"] == {"value": MS}
    assert result.to_dict()["result"] == {"value": 2 * MS}


async def test_sleep_until_a_function_returning_a_datetime() -> None:
    targets: list[datetime] = []

    def until(ctx: Any) -> datetime:
        when = datetime.now(UTC) + timedelta(milliseconds=MS)
        targets.append(when)
        return when

    wf = (
        create_workflow(id="sleep-until-fn", input_schema=Any, output_schema=Any).then(_first()).sleep_until(until).then(_double()).commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert len(targets) == 1
    assert datetime.now(UTC) >= targets[0]
    assert result.to_dict()["result"] == {"value": 2 * MS}


@pytest.mark.parametrize("duration", [-1000, 0, float("nan"), float("inf"), timedelta(seconds=-1)])
async def test_negative_or_missing_durations_do_not_wait(duration: Any) -> None:
    wf = create_workflow(id="sleep-zero", input_schema=Any, output_schema=Any).sleep(duration).commit()
    elapsed = _elapsed()
    result = await (await wf.create_run()).start(input_data={"k": "v"})
    assert result.status == "success"
    assert result.result == {"k": "v"}
    assert elapsed() < 0.5


async def test_sleep_until_the_past_does_not_wait() -> None:
    wf = create_workflow(id="sleep-past", input_schema=Any, output_schema=Any).sleep_until(datetime.now(UTC) - timedelta(hours=1)).commit()
    elapsed = _elapsed()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert elapsed() < 0.5


# -- waiting status and events --------------------------------------------------------------------------


async def test_run_is_waiting_while_it_sleeps() -> None:
    wf = create_workflow(id="sleep-waiting", input_schema=Any, output_schema=Any).then(_first()).sleep(200).commit()
    run = await wf.create_run()
    task = asyncio.ensure_future(run.start(input_data={}))
    try:
        for _ in range(100):
            stored = wire(await wf.get_run(run.run_id))
            if stored is not None and stored["status"] == "waiting":
                break
            await asyncio.sleep(0.005)
        assert stored is not None and stored["status"] == "waiting"
    finally:
        result = await task
    assert result.status == "success"
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "success"


async def test_sleep_emits_a_waiting_event() -> None:
    wf = create_workflow(id="sleep-events", input_schema=Any, output_schema=Any).then(_first()).sleep(1).commit()
    stream = (await wf.create_run()).stream(input_data={})
    events = [e.to_dict() async for e in stream]
    types = [e["type"] for e in events]
    assert "workflow-step-waiting" in types
    waiting = next(e for e in events if e["type"] == "workflow-step-waiting")
    assert waiting["payload"]["id"] == "sleep_sleep-events_0"
    assert waiting["payload"]["status"] == "waiting"
    assert waiting["payload"]["payload"] == {"value": MS}
    results = [e["payload"] for e in events if e["type"] == "workflow-step-result"]
    assert [(r["id"], r["status"]) for r in results] == [("step1", "success"), ("sleep_sleep-events_0", "success")]


# -- 93: cancel interrupts a sleep ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sleep", "sleep_until"])
async def test_cancel_interrupts_a_sleep(kind: str) -> None:
    calls: list[str] = []

    def step_a(ctx: StepContext) -> dict[str, int]:
        calls.append("a")
        return {"a": 1}

    a = create_step(id="a", execute=step_a)
    b = create_step(id="b", execute=lambda ctx: calls.append("b"))
    wf = create_workflow(id=f"cancel-{kind}", input_schema=Any, output_schema=Any).then(a)
    if kind == "sleep":
        wf.sleep(60_000)
    else:
        wf.sleep_until(datetime.now(UTC) + timedelta(seconds=60))
    wf.then(b).commit()
    run = await wf.create_run()
    elapsed = _elapsed()
    task = asyncio.ensure_future(run.start(input_data={}))
    await asyncio.sleep(0.05)
    await run.cancel()
    result = await asyncio.wait_for(task, timeout=5)
    assert elapsed() < 5
    assert result.status == "canceled"
    assert calls == ["a"]
    assert "b" not in result.steps
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "canceled"
    await asyncio.sleep(0.02)
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "canceled"  # not overwritten afterwards


async def test_sleep_inside_a_nested_workflow() -> None:
    inner = create_workflow(id="inner-sleep", input_schema=Any, output_schema=Any).sleep(MS).commit()
    wf = create_workflow(id="outer-sleep", input_schema=Any, output_schema=Any).then(inner).commit()
    run = await wf.create_run()
    elapsed = _elapsed()
    result = await run.start(input_data={"n": 1})
    assert elapsed() >= MS / 1000 * 0.95
    assert result.result == {"n": 1}
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["steps"]["inner-sleep.sleep_inner-sleep_0"]["status"] == "success"


# -- a sleep function that raises fails the run, as a raising map function does (Mastra's run gets stuck) ---


def _raising(kind: str) -> Any:
    def broken(ctx: Any) -> Any:
        return 1 / 0

    a = create_step(id="a", input_schema=Any, output_schema=Any, execute=lambda ctx: {"a": 1})
    b = create_step(id="b", input_schema=Any, output_schema=Any, execute=lambda ctx: {"b": 1})
    wf = create_workflow(id=f"raising-{kind}", input_schema=Any, output_schema=Any).then(a)
    (wf.sleep(broken, id="nap") if kind == "sleep" else wf.sleep_until(broken, id="nap")).then(b)
    return wf.commit()


@pytest.mark.parametrize("kind", ["sleep", "sleep_until"])
async def test_a_raising_sleep_function_fails_the_run_and_its_stored_record(kind: str, tmp_path: Path) -> None:
    async with Stepstream(workflows=[_raising(kind)], storage=SQLiteStorage(tmp_path / "runs.db")) as app:
        wf = app.get_workflow(f"raising-{kind}")
        run = await wf.create_run("r1")
        result = await asyncio.wait_for(run.start(input_data={}), timeout=10)
        assert result.status == "failed"
        assert result.error is not None and result.error["message"] == "division by zero"
        assert result.steps["nap"].status == "failed"
        assert isinstance(result.steps["nap"].error, ZeroDivisionError)
        assert "b" not in result.steps
    async with Stepstream(workflows=[_raising(kind)], storage=SQLiteStorage(tmp_path / "runs.db")) as app:
        stored = wire(await app.get_workflow(f"raising-{kind}").get_run("r1"))
    assert stored is not None and stored["status"] == "failed"
    assert stored["steps"]["nap"]["status"] == "failed"
    assert stored["steps"]["nap"]["payload"] == {"a": 1}
    assert stored["error"]["message"] == "division by zero"


@pytest.mark.parametrize("kind", ["sleep", "sleep_until"])
async def test_a_raising_sleep_function_finishes_the_stream(kind: str) -> None:
    stream = (await _raising(kind).create_run()).stream(input_data={})
    events = await asyncio.wait_for(_collect(stream), timeout=10)
    assert events[-1]["type"] == "workflow-finish"
    assert events[-1]["payload"]["workflowStatus"] == "failed"
    results = [(e["payload"]["id"], e["payload"]["status"]) for e in events if e["type"] == "workflow-step-result"]
    assert results == [("a", "success"), ("nap", "failed")]
    assert "workflow-step-waiting" not in [e["type"] for e in events]
    assert (await stream.result).status == "failed"


async def _collect(stream: Any) -> list[dict[str, Any]]:
    return [e.to_dict() async for e in stream]


async def test_a_sleep_function_that_aborts_then_raises_cancels_the_run() -> None:
    def aborting(ctx: Any) -> Any:
        ctx.abort()
        raise RuntimeError("after abort")

    wf = create_workflow(id="abort-sleep", input_schema=Any, output_schema=Any).sleep(aborting).commit()
    result = await asyncio.wait_for((await wf.create_run()).start(input_data={}), timeout=10)
    assert result.status == "canceled"
