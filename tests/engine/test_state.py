"""I. Workflow state: state_schema, ctx.state, ctx.set_state (Mastra scenarios 62-67)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import ValidationError, create_step, create_workflow

from .matchers import T, wire, without_where


class WfState(BaseModel):
    value: str
    otherValue: str


class StepState(BaseModel):
    value: str


# -- 62: set_state merges a subset ------------------------------------------------------------------


async def test_set_state_merges_a_subset_and_keeps_other_keys() -> None:
    calls: list[Any] = []

    async def body(ctx: Any) -> dict[str, str]:
        calls.append(ctx.state)
        new = ctx.state.value + "!!!"
        await ctx.set_state({"value": new})
        return {"result": "success", "value": new}

    s = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], state_schema=StepState, execute=body)
    wf = create_workflow(id="state-merge", input_schema=Any, output_schema=Any, state_schema=WfState).then(s).commit()
    result = await (await wf.create_run()).start(
        input_data={}, initial_state={"value": "test-state", "otherValue": "test-other-state"}, output_options={"include_state": True}
    )
    assert result.status == "success"
    assert calls == [StepState(value="test-state")]  # the step sees its own slice of the state
    assert result.result == {"result": "success", "value": "test-state!!!"}
    assert result.state == {"value": "test-state!!!", "otherValue": "test-other-state"}
    assert result.to_dict()["state"] == {"value": "test-state!!!", "otherValue": "test-other-state"}


async def test_state_reads_do_not_see_own_pending_updates() -> None:
    """Mastra's rule (conformance/state-snapshot): set_state() takes effect when the step ends."""
    seen: list[Any] = []

    async def body(ctx: Any) -> None:
        await ctx.set_state({"a": 1})
        seen.append(dict(ctx.state))
        await ctx.set_state({"b": 2})
        seen.append(dict(ctx.state))

    async def after(ctx: Any) -> None:
        seen.append(dict(ctx.state))

    wf = (
        create_workflow(id="state-pending", input_schema=Any, output_schema=Any)
        .then(create_step(id="s", execute=body))
        .then(create_step(id="t", execute=after))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={}, initial_state={"z": 0})
    assert seen == [{"z": 0}, {"z": 0}, {"z": 0, "a": 1, "b": 2}]
    assert result.state == {"z": 0, "a": 1, "b": 2}


# -- 63: every kind of node reads state; no leak between runs ------------------------------------------


async def test_state_is_visible_in_parallel_and_branch_steps_and_does_not_leak() -> None:
    seen: list[tuple[str, Any]] = []

    def reader(name: str) -> Any:
        async def body(ctx: Any) -> dict[str, str]:
            seen.append((name, ctx.state["value"]))
            return {"from": name}

        return create_step(id=name, input_schema=Any, output_schema=dict[str, str], execute=body)

    wf = (
        create_workflow(id="state-read", input_schema=Any, output_schema=Any)
        .parallel([reader("p1"), reader("p2")])
        .branch([(lambda ctx: ctx.state["value"].startswith("test-state"), reader("b1"))])
        .commit()
    )
    first = await (await wf.create_run()).start(input_data={}, initial_state={"value": "test-state"})
    assert first.status == "success"
    assert sorted(seen) == [("b1", "test-state"), ("p1", "test-state"), ("p2", "test-state")]
    assert first.result == {"b1": {"from": "b1"}}
    seen.clear()
    second = await (await wf.create_run()).start(input_data={}, initial_state={"value": "test-state"})
    assert sorted(seen) == [("b1", "test-state"), ("p1", "test-state"), ("p2", "test-state")]
    assert second.result == first.result
    third = await (await wf.create_run()).start(input_data={}, initial_state={"value": "other"})
    assert third.result == {}  # the branch condition read this run's state


# -- 64: written by one step, read by the next --------------------------------------------------------


async def test_state_written_by_one_step_is_read_by_the_next() -> None:
    async def step1(ctx: Any) -> dict[str, int]:
        await ctx.set_state({"counter": ctx.state["counter"] + 1})
        return {}

    async def step2(ctx: Any) -> dict[str, int]:
        before = ctx.state["counter"]
        await ctx.set_state({"counter": before + 1})
        return {"finalCounter": before}

    wf = (
        create_workflow(id="state-chain", input_schema=Any, output_schema=Any, state_schema=dict[str, int])
        .then(create_step(id="step1", execute=step1))
        .then(create_step(id="step2", execute=step2))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={}, initial_state={"counter": 0})
    assert result.result == {"finalCounter": 1}
    assert result.state == {"counter": 2}


# -- 65: nested workflows share the parent's state -----------------------------------------------------


async def test_nested_workflow_reads_and_writes_the_parent_state() -> None:
    seen: list[str] = []

    async def first(ctx: Any) -> dict[str, str]:
        seen.append(ctx.state["value"])
        await ctx.set_state({"value": ctx.state["value"] + "!!!"})
        return {}

    def second(ctx: Any) -> dict[str, str]:
        seen.append(ctx.state["value"])
        return {"result": "success", "value": ctx.state["value"]}

    nested = (
        create_workflow(id="nested-state", input_schema=Any, output_schema=Any)
        .then(create_step(id="first", execute=first))
        .then(create_step(id="second", execute=second))
        .commit()
    )
    after_seen: list[str] = []
    after = create_step(id="after", execute=lambda ctx: after_seen.append(ctx.state["value"]))
    wf = create_workflow(id="parent-state", input_schema=Any, output_schema=Any).then(nested).then(after).commit()
    result = await (await wf.create_run()).start(input_data={}, initial_state={"value": "test-state"})
    assert result.status == "success"
    assert seen == ["test-state", "test-state!!!"]
    assert after_seen == ["test-state!!!"]
    assert result.to_dict()["steps"]["nested-state"] == {
        "status": "success",
        "output": {"result": "success", "value": "test-state!!!"},
        "payload": {},
        "startedAt": T,
        "endedAt": T,
    }
    assert result.state == {"value": "test-state!!!"}


# -- 66: concurrent set_state calls in parallel all land ---------------------------------------------------


async def test_concurrent_set_state_in_parallel_branches_all_land() -> None:
    async def step1(ctx: Any) -> dict[str, bool]:
        await asyncio.sleep(0.01)
        await ctx.set_state({"name": "name", "age": 18})
        return {"ok": True}

    async def inner(ctx: Any) -> dict[str, bool]:
        await ctx.set_state({"test": "asdf"})
        return {"ok": True}

    workflow2 = create_workflow(id="workflow2", input_schema=Any, output_schema=Any).then(create_step(id="inner", execute=inner)).commit()
    step2 = create_step(id="step2", execute=lambda ctx: dict(ctx.state))
    wf = (
        create_workflow(id="state-parallel", input_schema=Any, output_schema=Any)
        .parallel([create_step(id="step1", execute=step1), workflow2])
        .then(step2)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={}, initial_state={"random": "random"})
    expected = {"name": "name", "age": 18, "test": "asdf", "random": "random"}
    assert result.state == expected
    assert result.result == expected


# -- 67: state survives suspend and resume --------------------------------------------------------------


async def test_state_survives_suspend_and_resume() -> None:
    seen: list[Any] = []

    async def step1(ctx: Any) -> dict[str, bool]:
        if ctx.resume_data is None:
            seen.append(("step1", dict(ctx.state)))
            await ctx.set_state({"count": ctx.state["count"] + 1, "items": [*ctx.state["items"], "item-1"]})
            await ctx.suspend({"waiting": True})
        seen.append(("step1-resumed", dict(ctx.state)))
        return {"proceed": ctx.resume_data["proceed"]}

    def step2(ctx: Any) -> dict[str, Any]:
        seen.append(("step2", dict(ctx.state)))
        return dict(ctx.state)

    wf = (
        create_workflow(id="state-suspend", input_schema=Any, output_schema=Any)
        .then(create_step(id="step-1", resume_schema=dict[str, bool], execute=step1))
        .then(create_step(id="step-2", execute=step2))
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={}, initial_state={"count": 0, "items": []})
    assert first.status == "suspended"
    assert first.state == {"count": 1, "items": ["item-1"]}  # updates made before suspending are kept
    done = await run.resume(resume_data={"proceed": True})
    assert done.status == "success"
    assert seen == [
        ("step1", {"count": 0, "items": []}),
        ("step1-resumed", {"count": 1, "items": ["item-1"]}),
        ("step2", {"count": 1, "items": ["item-1"]}),
    ]
    assert done.result == {"count": 1, "items": ["item-1"]}
    assert done.state == {"count": 1, "items": ["item-1"]}


# -- validation and failure ------------------------------------------------------------------------


async def test_invalid_initial_state_raises() -> None:
    calls: list[str] = []
    wf = (
        create_workflow(id="state-invalid", input_schema=Any, output_schema=Any, state_schema=WfState)
        .then(create_step(id="s", execute=lambda ctx: calls.append("s")))
        .commit()
    )
    run = await wf.create_run()
    with pytest.raises(ValidationError) as info:
        await run.start(input_data={}, initial_state={"value": "x"})
    assert without_where(str(info.value)) == "Invalid initial data: \n- otherValue: Field required"
    assert isinstance(info.value, ValueError)
    assert calls == []


async def test_state_schema_defaults_apply_without_initial_state() -> None:
    class Defaults(BaseModel):
        count: int = 0
        tags: list[str] = []

    seen: list[Any] = []
    wf = (
        create_workflow(id="state-defaults", input_schema=Any, output_schema=Any, state_schema=Defaults)
        .then(create_step(id="s", execute=lambda ctx: seen.append(ctx.state)))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.state == {"count": 0, "tags": []}
    assert seen == [Defaults()]


async def test_invalid_set_state_fails_the_step() -> None:
    async def body(ctx: Any) -> None:
        await ctx.set_state({"value": 5})

    wf = (
        create_workflow(id="state-bad-update", input_schema=Any, output_schema=Any, state_schema=StepState)
        .then(create_step(id="s", execute=body))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={}, initial_state={"value": "ok"})
    assert result.status == "failed"
    assert result.error is not None
    assert without_where(result.error["message"]) == "Step state data validation failed: \n- value: Input should be a valid string"
    assert result.state == {"value": "ok"}


async def test_state_must_be_an_object() -> None:
    async def body(ctx: Any) -> None:
        await ctx.set_state(["not", "a", "dict"])

    wf = create_workflow(id="state-not-dict", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert (
        result.error["message"]
        == f"Step state data validation failed: \n- state must be an object\n(step 's' of workflow 'state-not-dict', run '{run.run_id}')"
    )


async def test_state_updates_of_a_failed_step_are_dropped() -> None:
    async def body(ctx: Any) -> None:
        await ctx.set_state({"dropped": True})
        raise RuntimeError("fail after set_state")

    wf = create_workflow(id="state-dropped", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    run = await wf.create_run()
    result = await run.start(input_data={}, initial_state={"kept": 1})
    assert result.status == "failed"
    assert result.state == {"kept": 1}


async def test_state_updates_of_a_failed_attempt_are_dropped_on_retry() -> None:
    attempts: list[Any] = []

    async def body(ctx: Any) -> dict[str, int]:
        attempts.append(dict(ctx.state))
        await ctx.set_state({f"try{ctx.retry_count}": ctx.retry_count})
        if ctx.retry_count == 0:
            raise RuntimeError("first attempt fails")
        return {"ok": 1}

    wf = (
        create_workflow(id="state-retry", input_schema=Any, output_schema=Any, retry_config={"attempts": 1})
        .then(create_step(id="s", execute=body))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert attempts == [{}, {}]
    assert result.state == {"try1": 1}


async def test_state_is_stored_with_the_run() -> None:
    async def body(ctx: Any) -> None:
        await ctx.set_state({"n": 1})

    wf = create_workflow(id="state-stored", input_schema=Any, output_schema=Any).then(create_step(id="s", execute=body)).commit()
    run = await wf.create_run()
    await run.start(input_data={}, initial_state={"m": 0})
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["initialState"] == {"m": 0, "n": 1}
