"""K. Schema validation (Mastra scenarios 74-81), with pydantic's wording in Mastra's layout."""

from __future__ import annotations

from typing import Any, NotRequired

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from stepstream import StepContext, StepstreamError, ValidationError, create_step, create_workflow

from .matchers import T, wire, without_where


class Nested(BaseModel):
    value: int


class Trigger(BaseModel):
    required: str
    nested: Nested = Nested(value=1)


class Result(BaseModel):
    result: str


class Start(BaseModel):
    start: str


def _echo(id: str, schema: Any) -> Any:
    return create_step(id=id, input_schema=schema, output_schema=schema, execute=lambda ctx: ctx.input_data)


# -- 74: invalid workflow input makes start raise --------------------------------------------------------


@pytest.mark.parametrize("first", ["step", "parallel"])
async def test_invalid_workflow_input_raises(first: str) -> None:
    calls: list[str] = []
    s = create_step(id="step1", input_schema=Trigger, output_schema=Any, execute=lambda ctx: calls.append("step1"))
    wf = create_workflow(id="bad-trigger", input_schema=Trigger, output_schema=Any)
    (wf.then(s) if first == "step" else wf.parallel([s])).commit()
    run = await wf.create_run()
    with pytest.raises(ValidationError) as info:
        await run.start(input_data={"required": "test", "nested": {"value": "not-a-number"}})
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, StepstreamError)
    assert (
        without_where(str(err))
        == "Invalid input data: \n- nested.value: Input should be a valid integer, unable to parse string as an integer"
    )
    assert err.issues == [("nested.value", "Input should be a valid integer, unable to parse string as an integer")]
    assert err.code == "WORKFLOW_SCHEMA_VALIDATION_FAILED"
    assert calls == []
    assert run.status == "pending"
    # refused before anything was written: no phantom pending run is left in storage
    assert await wf.get_run(run.run_id) is None
    assert (await wf.list_runs())["total"] == 0


async def test_invalid_workflow_input_lists_every_issue() -> None:
    wf = create_workflow(id="bad-trigger-2", input_schema=Trigger, output_schema=Any).then(_echo("s", Any)).commit()
    with pytest.raises(ValidationError) as info:
        await (await wf.create_run()).start(input_data={"nested": {}})
    assert without_where(str(info.value)) == "Invalid input data: \n- required: Field required\n- nested.value: Field required"


async def test_invalid_workflow_input_through_stream_raises_from_result() -> None:
    wf = create_workflow(id="bad-trigger-stream", input_schema=Trigger, output_schema=Any).then(_echo("s", Any)).commit()
    stream = (await wf.create_run()).stream(input_data={"required": 5})
    with pytest.raises(ValidationError) as info:
        await stream.result
    assert without_where(str(info.value)) == "Invalid input data: \n- required: Input should be a valid string"


# -- 75: defaults from the workflow input schema -------------------------------------------------------


async def test_workflow_input_defaults_are_applied() -> None:
    wf = create_workflow(id="trigger-defaults", input_schema=Trigger, output_schema=Trigger).then(_echo("step1", Trigger)).commit()
    result = await (await wf.create_run()).start(input_data={"required": "test"})
    out = result.to_dict()
    assert out["steps"]["step1"] == {
        "status": "success",
        "payload": {"required": "test", "nested": {"value": 1}},
        "output": {"required": "test", "nested": {"value": 1}},
        "startedAt": T,
        "endedAt": T,
    }
    assert out["steps"]["input"] == {"required": "test", "nested": {"value": 1}}
    assert out["result"] == {"required": "test", "nested": {"value": 1}}


# -- 76, 77: invalid step input mid-workflow fails the run ----------------------------------------------


async def test_invalid_step_input_fails_the_run() -> None:
    calls: list[str] = []
    step1 = create_step(id="step1", input_schema=Any, output_schema=Result, execute=lambda ctx: {"result": "success"})
    step2 = create_step(id="step2", input_schema=Start, output_schema=Any, execute=lambda ctx: calls.append("step2"))
    wf = create_workflow(id="bad-step-input", input_schema=Any, output_schema=Any).then(step1).then(step2).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    assert calls == []
    assert result.error is not None
    assert without_where(result.error["message"]) == "Step input validation failed: \n- start: Field required"
    steps = result.to_dict()["steps"]
    assert steps["step1"]["status"] == "success"
    assert steps["step2"]["status"] == "failed"
    assert steps["step2"]["payload"] == {"result": "success"}
    err = result.steps["step2"].error
    assert isinstance(err, ValidationError)
    assert err.code == "WORKFLOW_STEP_INPUT_VALIDATION_FAILED"
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "failed"


async def test_invalid_step_input_after_map() -> None:
    step2 = create_step(id="step2", input_schema=Start, output_schema=Any, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="bad-map-input", input_schema=Any, output_schema=Any).map(lambda ctx: {"start": 2}).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert without_where(result.error["message"]) == "Step input validation failed: \n- start: Input should be a valid string"
    assert result.to_dict()["steps"]["step2"]["payload"] == {"start": 2}


class Two(BaseModel):
    first: str
    second: str


async def test_validation_error_keeps_one_issue_per_field_and_the_pydantic_cause() -> None:
    import pydantic

    step2 = create_step(id="step2", input_schema=Two, output_schema=Any, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="two-issues", input_schema=Any, output_schema=Any).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    err = result.steps["step2"].error
    assert isinstance(err, ValidationError)
    assert err.issues == [("first", "Field required"), ("second", "Field required")]
    assert isinstance(err.__cause__, pydantic.ValidationError)
    assert result.error is not None
    assert result.error["issues"] == [["first", "Field required"], ["second", "Field required"]]
    assert result.error["cause"]["name"] == "ValidationError"
    assert without_where(result.error["message"]) == "Step input validation failed: \n- first: Field required\n- second: Field required"


# -- 78: step input defaults are applied and recorded --------------------------------------------------


class StartDefault(BaseModel):
    start: str = "test"


async def test_step_input_defaults_are_recorded_in_the_payload() -> None:
    step2 = create_step(id="step2", input_schema=StartDefault, output_schema=Any, execute=lambda ctx: ctx.input_data.start)
    wf = create_workflow(id="step-defaults", input_schema=Any, output_schema=Any).map(lambda ctx: {}).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.to_dict()["steps"]["step2"]["payload"] == {"start": "test"}
    assert result.result == "test"


# -- 79: step input vs previous output -------------------------------------------------------------------


class AB(BaseModel):
    a: str
    b: str


class OnlyB(BaseModel):
    b: str


class OnlyA(BaseModel):
    a: str


class ABOptionalC(TypedDict):
    a: str
    b: str
    c: NotRequired[str]


class ABC(BaseModel):
    a: str
    b: str
    c: str


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        (AB, {"a": "a", "b": "b"}),
        (OnlyB, {"b": "b"}),
        (OnlyA, {"a": "a"}),
        (ABOptionalC, {"a": "a", "b": "b"}),
    ],
)
async def test_step_input_may_be_a_subset_of_the_previous_output(schema: Any, payload: dict[str, str]) -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=AB, execute=lambda ctx: AB(a="a", b="b"))
    step2 = create_step(id="step2", input_schema=schema, output_schema=Any, execute=lambda ctx: "ok")
    wf = create_workflow(id="subset", input_schema=Any, output_schema=Any).then(step1).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.to_dict()["steps"]["step2"]["payload"] == payload


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (ABC, "Step input validation failed: \n- c: Field required"),
        (str, "Step input validation failed: \n- Input should be a valid string"),
    ],
)
async def test_step_input_that_does_not_fit_fails_with_an_exact_message(schema: Any, message: str) -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=AB, execute=lambda ctx: AB(a="a", b="b"))
    step2 = create_step(id="step2", input_schema=schema, output_schema=Any, execute=lambda ctx: "ok")
    wf = create_workflow(id="not-subset", input_schema=Any, output_schema=Any).then(step1).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert without_where(result.error["message"]) == message
    assert result.to_dict()["steps"]["step2"]["payload"] == {"a": "a", "b": "b"}


# -- 80: invalid input inside a nested parallel workflow -------------------------------------------------


async def test_invalid_input_inside_a_nested_parallel_workflow() -> None:
    calls: list[str] = []

    class NeedsNewValue(BaseModel):
        newValue: int

    a_final = create_step(id="final", input_schema=NeedsNewValue, output_schema=Any, execute=lambda ctx: calls.append("a-final"))
    wf_a = (
        create_workflow(id="nested-workflow-a", input_schema=Any, output_schema=Any)
        .then(create_step(id="start", execute=lambda ctx: {"other": 1}))
        .then(a_final)
        .commit()
    )
    wf_b = (
        create_workflow(id="nested-workflow-b", input_schema=Any, output_schema=Any)
        .then(create_step(id="final", execute=lambda ctx: {"finalValue": 1}))
        .commit()
    )
    last = create_step(id="last-step", execute=lambda ctx: calls.append("last"))
    wf = create_workflow(id="nested-invalid", input_schema=Any, output_schema=Any).parallel([wf_a, wf_b]).then(last).commit()
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    steps = result.to_dict()["steps"]
    assert steps["nested-workflow-a"]["status"] == "failed"
    assert without_where(steps["nested-workflow-a"]["error"]["message"]) == "Step input validation failed: \n- newValue: Field required"
    assert steps["nested-workflow-b"]["output"] == {"finalValue": 1}
    assert "last-step" not in steps
    assert calls == []
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["steps"]["nested-workflow-a.final"]["status"] == "failed"


# -- validate_inputs: False ----------------------------------------------------------------------------


async def test_validate_inputs_false_skips_every_check() -> None:
    seen: list[Any] = []

    def record_input(ctx: StepContext) -> dict[str, bool]:
        seen.append(ctx.input_data)
        return {"wrong": True}

    step2 = create_step(id="step2", input_schema=Start, output_schema=Result, execute=record_input)
    wf = (
        create_workflow(id="no-validation", input_schema=Trigger, output_schema=Any, options={"validate_inputs": False})
        .then(step2)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"anything": 1})
    assert result.status == "success"
    assert seen == [{"anything": 1}]  # raw data, not a model, and no defaults applied
    assert result.result == {"wrong": True}
    assert result.to_dict()["steps"]["input"] == {"anything": 1}


async def test_model_instance_as_workflow_input() -> None:
    wf = create_workflow(id="model-input", input_schema=Trigger, output_schema=Trigger).then(_echo("step1", Trigger)).commit()
    result = await (await wf.create_run()).start(input_data=Trigger(required="x"))
    assert result.to_dict()["result"] == {"required": "x", "nested": {"value": 1}}


async def test_suspend_payload_is_validated_against_suspend_schema() -> None:
    class Ask(BaseModel):
        question: str

    async def body(ctx: Any) -> None:
        await ctx.suspend({"question": 42})

    wf = (
        create_workflow(id="bad-suspend", input_schema=Any, output_schema=Any)
        .then(create_step(id="asker", suspend_schema=Ask, resume_schema=dict[str, Any], execute=body))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert without_where(result.error["message"]) == "Step suspend data validation failed: \n- question: Input should be a valid string"
    assert result.steps["asker"].status == "failed"


async def test_invalid_resume_data_raises_and_leaves_the_run_suspended() -> None:
    class Answer(BaseModel):
        answer: int

    async def body(ctx: Any) -> dict[str, int]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"answer": ctx.resume_data.answer}

    wf = (
        create_workflow(id="bad-resume", input_schema=Any, output_schema=Any)
        .then(create_step(id="asker", resume_schema=Answer, execute=body))
        .commit()
    )
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "suspended"
    with pytest.raises(ValidationError, match=r"^Invalid resume data: \n- answer: Input should be a valid integer"):
        await run.resume(resume_data={"answer": "many"})
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "suspended"
    done = await run.resume(resume_data={"answer": "7"})
    assert done.result == {"answer": 7}


class Pair(TypedDict):
    a: str
    b: str


@pytest.mark.parametrize("schema", [dict[str, Any], dict[str, str], Pair])
async def test_model_output_fits_a_dict_schema_downstream(schema: Any) -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=AB, execute=lambda ctx: AB(a="a", b="b"))
    step2 = create_step(id="step2", input_schema=schema, output_schema=Any, execute=lambda ctx: dict(ctx.input_data))
    wf = create_workflow(id="model-to-dict", input_schema=Any, output_schema=Any).then(step1).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == {"a": "a", "b": "b"}


async def test_parallel_model_outputs_fit_a_typed_dict_schema_downstream() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=AB, execute=lambda ctx: AB(a="a", b="b"))
    step2 = create_step(id="step2", input_schema=Any, output_schema=OnlyA, execute=lambda ctx: OnlyA(a="z"))
    after = create_step(
        id="after",
        input_schema=dict[str, Pair | dict[str, str]],
        output_schema=Any,
        execute=lambda ctx: sorted(ctx.input_data),
    )
    wf = create_workflow(id="par-model-to-dict", input_schema=Any, output_schema=Any).parallel([step1, step2]).then(after).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == ["step1", "step2"]
    assert result.to_dict()["steps"]["after"]["payload"] == {"step1": {"a": "a", "b": "b"}, "step2": {"a": "z"}}


async def test_model_output_that_does_not_fit_reports_the_json_issue() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=AB, execute=lambda ctx: AB(a="a", b="b"))
    step2 = create_step(id="step2", input_schema=dict[str, int], output_schema=Any, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="model-to-bad-dict", input_schema=Any, output_schema=Any).then(step1).then(step2).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert without_where(result.error["message"]) == (
        "Step input validation failed: \n"
        "- a: Input should be a valid integer, unable to parse string as an integer\n"
        "- b: Input should be a valid integer, unable to parse string as an integer"
    )


# -- a step's recorded input is its validated input, as JSON ---------------------------------------------


class Loose(BaseModel):
    required: str
    extra_default: int = 7


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
async def test_a_step_record_holds_its_validated_input_as_json(storage: str, tmp_path: Any) -> None:
    """The record's payload is the typed input dumped by its model's own serializer (not by
    `to_json`): it reads as the validated input, with defaults filled in and unknown keys
    dropped, whether read from memory, from storage, or through the result."""
    from stepstream import Stepstream
    from stepstream.storage.sqlite import SQLiteStorage

    first = create_step(
        id="first", input_schema=Start, output_schema=Any, execute=lambda ctx: {"required": ctx.input_data.start, "junk": 1}
    )
    second = create_step(id="second", input_schema=Loose, output_schema=Result, execute=lambda ctx: Result(result=ctx.input_data.required))
    wf = create_workflow(id="lazy-payload", input_schema=Start, output_schema=Result).then(first).then(second).commit()
    async with Stepstream(workflows=[wf], storage=SQLiteStorage(tmp_path / "runs.db") if storage == "sqlite" else None) as app:
        run = await app.get_workflow("lazy-payload").create_run()
        result = await run.start(input_data={"start": "go"})
        assert result.status == "success"
        expected = {"required": "go", "extra_default": 7}
        assert result.steps["second"].payload == expected
        assert result.steps["first"].payload == {"start": "go"}
        stored = await app.get_workflow("lazy-payload").get_run(run.run_id)
        assert stored is not None
        assert stored.to_dict()["steps"]["second"]["payload"] == expected
        copied = result.steps["second"].copy(output=None)
        assert copied.payload == expected and copied.output is None


class Aliased(BaseModel):
    value: int = Field(alias="Value")


async def test_a_typed_input_and_output_are_recorded_by_alias_as_to_json_gives_them() -> None:
    """The model's own serializer dumps by alias, as `to_json` (pydantic's `to_jsonable_python`) does."""
    first = create_step(id="first", input_schema=Any, output_schema=Any, execute=lambda ctx: {"Value": 1})
    second = create_step(
        id="second", input_schema=Aliased, output_schema=Aliased, execute=lambda ctx: Aliased(Value=ctx.input_data.value + 1)
    )
    wf = create_workflow(id="aliased", input_schema=Any, output_schema=Aliased).then(first).then(second).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.steps["second"].payload == {"Value": 1}
    assert result.steps["second"].output == {"Value": 2}


async def test_invalid_data_nested_past_json_depth_is_a_validation_error() -> None:
    """Data nested deeper than JSON storage allows (254 levels) that fails the schema is refused
    as invalid, naming the field, like any invalid data (it used to raise a bare ValueError)."""

    class V(BaseModel):
        n: int

    wf = (
        create_workflow(id="deep", input_schema=V, output_schema=V)
        .then(create_step("s", input_schema=V, output_schema=V, execute=lambda ctx: ctx.input_data))
        .commit()
    )
    deep: dict[str, Any] = {}
    level = deep
    for _ in range(600):
        level["x"] = {}
        level = level["x"]
    with pytest.raises(ValidationError, match=r"n: Field required"):
        await (await wf.create_run()).start(input_data=deep)
