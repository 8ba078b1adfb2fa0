"""B. Sequential execution and data flow (Mastra scenarios 14-20)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from stepstream import RequestContext, StepContext, StepResult, WorkflowResult, create_step, create_workflow

from .matchers import T, without_where


class Empty(BaseModel):
    pass


class Value(BaseModel):
    value: str


class Result(BaseModel):
    result: str


# -- 14: single step ---------------------------------------------------------------------------


async def test_single_step_exact_record_and_input_key() -> None:
    s = create_step(id="step1", input_schema=Empty, output_schema=Value, execute=lambda ctx: {"value": ctx.run_id})
    wf = create_workflow(id="single", input_schema=Empty, output_schema=Value).then(s).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})

    assert isinstance(result, WorkflowResult)
    assert result.status == "success"
    assert result.run_id == run.run_id
    assert result.to_dict()["steps"] == {
        "input": {},
        "step1": {"status": "success", "output": {"value": run.run_id}, "payload": {}, "startedAt": T, "endedAt": T},
    }
    record = result.steps["step1"]
    assert isinstance(record, StepResult)
    assert record.status == "success"
    assert record.error is None
    assert record.started_at is not None and record.ended_at is not None
    assert record.started_at <= record.ended_at
    assert result.error is None
    assert result.suspended == []
    assert run.status == "success"


async def test_sync_and_async_execute_both_work() -> None:
    async def add_async(ctx: Any) -> dict[str, int]:
        await asyncio.sleep(0)
        return {"n": ctx.input_data["n"] + 1}

    a = create_step(id="a", input_schema=dict[str, int], output_schema=dict[str, int], execute=add_async)
    b = create_step(id="b", input_schema=dict[str, int], output_schema=dict[str, int], execute=lambda ctx: {"n": ctx.input_data["n"] * 10})
    wf = create_workflow(id="sync-async", input_schema=dict[str, int], output_schema=dict[str, int]).then(a).then(b).commit()
    result = await (await wf.create_run()).start(input_data={"n": 1})
    assert result.status == "success"
    assert result.result == {"n": 20}


# -- 15: each step's input is the previous output -----------------------------------------------


async def test_each_step_gets_the_previous_output_and_order_is_kept() -> None:
    order: list[str] = []

    def make(i: int) -> Any:
        def body(ctx: Any) -> dict[str, str]:
            order.append(f"step{i}")
            return {"result": f"success{i}"}

        return create_step(id=f"step{i}", input_schema=dict[str, Any], output_schema=dict[str, str], execute=body)

    wf = (
        create_workflow(id="chain", input_schema=dict[str, Any], output_schema=Any, options={"validate_inputs": False})
        .then(make(1))
        .then(make(2))
        .then(make(3))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    steps = result.to_dict()["steps"]
    assert order == ["step1", "step2", "step3"]
    assert result.step_execution_path == ["step1", "step2", "step3"]
    assert steps["step1"] == {"status": "success", "output": {"result": "success1"}, "payload": {}, "startedAt": T, "endedAt": T}
    assert steps["step2"]["payload"] == {"result": "success1"}
    assert steps["step3"]["payload"] == {"result": "success2"}
    assert result.result == {"result": "success3"}


async def test_model_input_data_is_a_model_instance() -> None:
    seen: list[Any] = []

    def body(ctx: Any) -> Value:
        seen.append(ctx.input_data)
        return Value(value=ctx.input_data.value.upper())

    s = create_step(id="upper", input_schema=Value, output_schema=Value, execute=body)
    wf = create_workflow(id="model-in", input_schema=Value, output_schema=Value).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"value": "abc"})
    assert seen == [Value(value="abc")]
    assert result.to_dict()["result"] == {"value": "ABC"}


# -- 16: getStepResult and getInitData -----------------------------------------------------------


class Out(TypedDict):
    value: str


async def test_get_step_result_and_get_init_data() -> None:
    seen: dict[str, Any] = {}
    step1 = create_step(id="step1", input_schema=dict[str, Any], output_schema=Out, execute=lambda ctx: {"value": "step1-result"})
    never = create_step(id="never", input_schema=dict[str, Any], output_schema=Out, execute=lambda ctx: {"value": "never"})

    def body2(ctx: Any) -> Out:
        seen["by_step"] = ctx.get_step_result(step1)
        seen["by_id"] = ctx.get_step_result("step1")
        seen["never"] = ctx.get_step_result(never)
        seen["unknown"] = ctx.get_step_result("no-such-step")
        seen["init2"] = ctx.get_init_data()
        return {"value": "step2"}

    def body3(ctx: Any) -> Out:
        seen["init3"] = ctx.get_init_data()
        seen["prev"] = ctx.get_step_result("step2")
        return {"value": "step3"}

    step2 = create_step(id="step2", input_schema=Out, output_schema=Out, execute=body2)
    step3 = create_step(id="step3", input_schema=Out, output_schema=Out, execute=body3)
    wf = (
        create_workflow(id="lookups", input_schema=dict[str, Any], output_schema=Out)
        .then(step1)
        .then(step2)
        .then(step3)
        .branch([(lambda ctx: False, never)])
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"cool": "test-input"})
    assert result.status == "success"
    assert seen == {
        "by_step": {"value": "step1-result"},
        "by_id": {"value": "step1-result"},
        "never": None,
        "unknown": None,
        "init2": {"cool": "test-input"},
        "init3": {"cool": "test-input"},
        "prev": {"value": "step2"},
    }


# -- 17: non-object outputs ----------------------------------------------------------------------


async def test_string_output_passes_through_unchanged() -> None:
    step1 = create_step(id="step1", input_schema=dict[str, Any], output_schema=str, execute=lambda ctx: "step1-data")
    step2 = create_step(
        id="step2",
        input_schema=str,
        output_schema=dict[str, str],
        execute=lambda ctx: {"result": "success", "input": ctx.input_data},
    )
    wf = create_workflow(id="strings", input_schema=dict[str, Any], output_schema=Any).then(step1).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    steps = result.to_dict()["steps"]
    assert steps["step1"]["output"] == "step1-data"
    assert steps["step2"]["payload"] == "step1-data"
    assert steps["step2"]["output"] == {"result": "success", "input": "step1-data"}


class Item(BaseModel):
    str: str


async def test_array_output_passes_through_unchanged() -> None:
    step1 = create_step(id="step1", input_schema=dict[str, Any], output_schema=list[Item], execute=lambda ctx: [{"str": "step1-data"}])
    step2 = create_step(
        id="step2",
        input_schema=list[Item],
        output_schema=dict[str, Any],
        execute=lambda ctx: {"result": "success", "input": [i.str for i in ctx.input_data]},
    )
    wf = create_workflow(id="arrays", input_schema=dict[str, Any], output_schema=Any).then(step1).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    steps = result.to_dict()["steps"]
    assert steps["step2"]["payload"] == [{"str": "step1-data"}]
    assert steps["step2"]["output"] == {"result": "success", "input": ["step1-data"]}


# -- 18: outputs ARE validated (intentional difference from Mastra) -------------------------------


async def test_output_is_validated_against_output_schema() -> None:
    calls: list[str] = []
    bad = create_step(id="bad-output", input_schema=Empty, output_schema=Result, execute=lambda ctx: {"wrong": 1})
    after = create_step(id="after", execute=lambda ctx: calls.append("after"))
    wf = create_workflow(id="out-check", input_schema=Empty, output_schema=Any).then(bad).then(after).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert without_where(result.error["message"]) == "Step output validation failed: \n- result: Field required"
    record = result.steps["bad-output"]
    assert record.status == "failed"
    assert record.to_dict()["payload"] == {}
    assert without_where(str(record.error)) == "Step output validation failed: \n- result: Field required"
    assert "after" not in result.steps
    assert calls == []


async def test_output_validation_coerces_and_any_schema_keeps_everything() -> None:
    strict = create_step(id="coerce", input_schema=dict[str, Any], output_schema=dict[str, int], execute=lambda ctx: {"n": "5"})
    loose = create_step(id="loose", input_schema=Any, output_schema=Any, execute=lambda ctx: {**ctx.input_data, "extra": [1, 2]})
    wf = create_workflow(id="out-ok", input_schema=dict[str, Any], output_schema=Any).then(strict).then(loose).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.steps["coerce"].output == {"n": 5}
    assert result.result == {"n": 5, "extra": [1, 2]}


async def test_output_validation_is_off_with_validate_inputs_false() -> None:
    bad = create_step(id="bad-output", input_schema=Empty, output_schema=Result, execute=lambda ctx: {"wrong": 1})
    wf = create_workflow(id="out-unchecked", input_schema=Empty, output_schema=Any, options={"validate_inputs": False}).then(bad).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == {"wrong": 1}


async def test_step_returning_none_records_no_output() -> None:
    s = create_step(id="nothing", input_schema=dict[str, Any], execute=lambda ctx: None)
    wf = create_workflow(id="none-out", input_schema=dict[str, Any], output_schema=Any).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"a": 1})
    assert result.status == "success"
    assert result.to_dict()["steps"]["nothing"] == {"status": "success", "payload": {"a": 1}, "startedAt": T, "endedAt": T}
    assert result.steps["nothing"].output is None
    assert result.result is None


async def test_nested_workflow_output_is_its_last_step_output() -> None:
    inner_last = create_step(id="inner-last", input_schema=Any, output_schema=Any, execute=lambda ctx: {"result": "success3"})
    inner = create_workflow(id="inner", input_schema=Any, output_schema=Any).then(inner_last).commit()
    wf = create_workflow(id="outer", input_schema=Any, output_schema=Any).then(inner).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.steps["inner"].output == {"result": "success3"}
    assert result.result == {"result": "success3"}


# -- 19: concurrent runs are isolated --------------------------------------------------------------


class State(BaseModel):
    value: str
    otherValue: str


async def test_concurrent_runs_are_isolated() -> None:
    async def body1(ctx: Any) -> dict[str, str]:
        new = ctx.state.value + "!!!"
        await asyncio.sleep(0.01)
        await ctx.set_state({"value": new})
        ctx.request_context.set("randomKey", new + ctx.request_context.get("testKey"))
        return {"result": "success", "value": new}

    def body2(ctx: Any) -> dict[str, str]:
        return {**ctx.input_data, "randomValue": ctx.request_context.get("randomKey")}

    step1 = create_step(id="step1", input_schema=dict[str, Any], output_schema=dict[str, str], execute=body1)
    step2 = create_step(id="step2", input_schema=dict[str, str], output_schema=dict[str, str], execute=body2)
    wf = create_workflow(id="isolated", input_schema=dict[str, Any], output_schema=Any, state_schema=State).then(step1).then(step2).commit()

    rc1 = RequestContext({"testKey": "test-value-one"})
    rc2 = RequestContext({"testKey": "test-value-two"})
    run1, run2 = await wf.create_run(), await wf.create_run()
    r1, r2 = await asyncio.gather(
        run1.start(input_data={}, initial_state={"value": "test-state-one", "otherValue": "test-other-state-one"}, request_context=rc1),
        run2.start(input_data={}, initial_state={"value": "test-state-two", "otherValue": "test-other-state-two"}, request_context=rc2),
    )
    assert r1.steps["step2"].output == {"result": "success", "value": "test-state-one!!!", "randomValue": "test-state-one!!!test-value-one"}
    assert r2.steps["step2"].output == {"result": "success", "value": "test-state-two!!!", "randomValue": "test-state-two!!!test-value-two"}
    assert r1.state == {"value": "test-state-one!!!", "otherValue": "test-other-state-one"}
    assert r2.state == {"value": "test-state-two!!!", "otherValue": "test-other-state-two"}
    # steps change the caller's request context in place
    assert rc1.get("randomKey") == "test-state-one!!!test-value-one"
    assert rc2.get("randomKey") == "test-state-two!!!test-value-two"


# -- 20: what result.result holds ---------------------------------------------------------------


async def test_result_is_the_output_of_the_last_node() -> None:
    step1 = create_step(id="step1", input_schema=dict[str, Any], output_schema=Result, execute=lambda ctx: {"result": "success"})
    wf = (
        create_workflow(id="last-map", input_schema=dict[str, Any], output_schema=Any)
        .then(step1)
        .map({"result": {"init_data": "last-map", "path": "cool"}, "second": {"step": step1, "path": "result"}})
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"cool": "test-input"})
    assert result.result == {"result": "test-input", "second": "success"}
    assert result.to_dict()["result"] == {"result": "test-input", "second": "success"}


async def test_result_of_a_final_parallel_block_is_keyed_by_step_id() -> None:
    p1 = create_step(
        id="normal-step-1",
        input_schema=dict[str, int],
        output_schema=dict[str, int],
        execute=lambda ctx: {"result": ctx.input_data["value"] * 2},
    )
    p2 = create_step(
        id="normal-step-2",
        input_schema=dict[str, int],
        output_schema=dict[str, int],
        execute=lambda ctx: {"result": ctx.input_data["value"] // 2},
    )
    wf = create_workflow(id="last-parallel", input_schema=dict[str, int], output_schema=Any).parallel([p1, p2]).commit()
    result = await (await wf.create_run()).start(input_data={"value": 100})
    assert result.result == {"normal-step-1": {"result": 200}, "normal-step-2": {"result": 50}}


@pytest.mark.parametrize("bad", [None, "text", 5])
async def test_invalid_workflow_input_raises_before_anything_runs(bad: Any) -> None:
    from stepstream import ValidationError

    calls: list[str] = []

    def echo(ctx: StepContext) -> Value:
        calls.append("s")
        value: Value = ctx.input_data
        return value

    s = create_step(id="s", input_schema=Value, output_schema=Value, execute=echo)
    wf = create_workflow(id="bad-input", input_schema=Value, output_schema=Value).then(s).commit()
    run = await wf.create_run()
    with pytest.raises(ValidationError) as info:
        await run.start(input_data=bad)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("Invalid input data: \n- ")
    assert calls == []
    # the refused start did not use up the run
    result = await run.start(input_data={"value": "ok"})
    assert result.status == "success"
    assert calls == ["s"]


class Final(BaseModel):
    finalValue: int


async def test_untyped_step_sees_the_same_data_fresh_and_after_a_reload(tmp_path: Any) -> None:
    """A step whose schema does not name a model sees plain JSON data, the only form
    that survives storage: the same step must not see a model instance on a fresh
    run and a dict after its run was reloaded from SQLite."""
    from stepstream import Stepstream
    from stepstream.storage import SQLiteStorage

    seen: list[tuple[str, Any]] = []

    async def reader(ctx: Any) -> Any:
        seen.append(("resumed" if ctx.resume_data else "fresh", ctx.input_data))
        if not ctx.resume_data:
            await ctx.suspend({})
        return "done"

    a = create_step(id="a", input_schema=Any, output_schema=Final, execute=lambda ctx: Final(finalValue=1))
    b = create_step(id="b", input_schema=dict[str, Any], output_schema=Any, resume_schema=Any, execute=reader)
    wf = create_workflow(id="json-data", input_schema=Any, output_schema=Any).parallel([a]).then(b).commit()
    app = Stepstream(workflows=[wf], storage=SQLiteStorage(str(tmp_path / "runs.db")))
    await app.setup()
    try:
        run = await wf.create_run()
        assert (await run.start(input_data={})).status == "suspended"
        assert (await run.resume(resume_data={"go": True})).status == "success"
    finally:
        await app.close()
    assert [kind for kind, _ in seen] == ["fresh", "resumed"]
    assert seen[1][1] == {"a": {"finalValue": 1}}
    assert type(seen[1][1]["a"]) is dict
    assert type(seen[0][1]["a"]) is dict  # fails today: a fresh run passes the Final instance on


def test_step_result_copy_converts_new_data_on_to_dict() -> None:
    record = StepResult("success", {"a": 1}, {"b": 2})
    record.json_ready = True
    changed = record.copy(output=Value(value="x"))
    assert changed.to_dict()["output"] == {"value": "x"}
    assert record.copy(status="failed").json_ready is True


async def test_step_execution_path_lists_then_map_nested_and_sleep_entries_with_repeats() -> None:
    """Mastra 1.71 (checked on the oracle): parallel, branch, foreach and loop entries are not
    listed; a step used twice appears twice; a resumed step is listed once."""

    def same(step_id: str) -> Any:
        return create_step(id=step_id, execute=lambda ctx: ctx.input_data)

    async def ask(ctx: Any) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return ctx.input_data

    inner = create_workflow(id="inner-path").then(same("x")).commit()
    a = same("a")
    wf = (
        create_workflow(id="w")
        .then(a)
        .map(lambda ctx: ctx.input_data)
        .sleep(1)
        .then(inner)
        .branch([(lambda ctx: True, same("b1")), (lambda ctx: False, same("b2"))])
        .map(lambda ctx: [1, 2])
        .foreach(same("f"))
        .then(a)
        .dowhile(same("l"), lambda ctx: (ctx.iteration_count or 0) < 2)
        .parallel([same("p1"), same("p2")])
        .then(create_step(id="ask", execute=ask))
        .then(same("z"))
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={"n": 1})
    expected = ["a", "mapping_w_0", "sleep_w_0", "inner-path", "mapping_w_1", "a", "ask"]
    assert first.status == "suspended" and first.step_execution_path == expected
    done = await run.resume(resume_data={})
    assert done.status == "success" and done.step_execution_path == [*expected, "z"]
