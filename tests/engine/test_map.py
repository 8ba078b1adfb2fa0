"""G. map: reshaping data between steps (Mastra scenarios 52-55)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stepstream import RequestContext, WorkflowDefinitionError, create_step, create_workflow

from .matchers import T


def _echo(id: str = "step2") -> Any:
    return create_step(id=id, input_schema=Any, output_schema=Any, execute=lambda ctx: ctx.input_data)


# -- 52: from a step output by path -------------------------------------------------------------


async def test_map_from_a_step_output_by_dotted_path() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, Any], execute=lambda ctx: {"nested": {"value": "step1-data"}})
    wf = (
        create_workflow(id="map-path", input_schema=Any, output_schema=Any)
        .then(step1)
        .map({"previousValue": {"step": step1, "path": "nested.value"}})
        .then(_echo())
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.steps["step2"].payload == {"previousValue": "step1-data"}
    assert result.steps["mapping_map-path_0"].payload == {"nested": {"value": "step1-data"}}


async def test_map_path_dot_selects_the_whole_output() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=list[dict[str, str]], execute=lambda ctx: [{"str": "step1-data"}])
    wf = (
        create_workflow(id="map-dot", input_schema=Any, output_schema=Any)
        .then(step1)
        .map({"ary": {"step": step1, "path": "."}, "by_id": {"step": "step1", "path": "."}})
        .then(_echo())
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.result == {"ary": [{"str": "step1-data"}], "by_id": [{"str": "step1-data"}]}


async def test_map_path_into_a_non_object_fails_the_run() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, Any], execute=lambda ctx: {"value": "text"})
    after = _echo("after")
    wf = (
        create_workflow(id="map-bad-path", input_schema=Any, output_schema=Any)
        .then(step1)
        .map({"x": {"step": step1, "path": "value.deeper"}})
        .then(after)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "Invalid path value.deeper in step step1"
    assert result.steps["mapping_map-bad-path_0"].status == "failed"
    assert "after" not in result.steps


async def test_map_missing_key_on_a_path_is_none() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, Any], execute=lambda ctx: {"a": {}})
    wf = (
        create_workflow(id="map-missing", input_schema=Any, output_schema=Any)
        .then(step1)
        .map({"x": {"step": step1, "path": "a.b"}})
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == {"x": None}


# -- 53: from the workflow input and the request context ---------------------------------------------


async def test_map_from_init_data_and_request_context() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], execute=lambda ctx: {"result": "success"})
    step2 = create_step(
        id="step2",
        input_schema=dict[str, Any],
        output_schema=dict[str, Any],
        execute=lambda ctx: {"result": ctx.input_data["test"], "second": ctx.input_data["test2"]},
    )
    wf = create_workflow(id="map-init", input_schema=dict[str, str], output_schema=Any)
    wf.then(step1).map(
        {
            "test": {"init_data": wf, "path": "cool"},
            "test2": {"request_context_path": "life", "schema": int},
            "deep": {"request_context_path": "user.id", "schema": str},
            "absent": {"request_context_path": "nope", "schema": str},
        }
    ).then(step2).commit()
    rc = RequestContext()
    rc.set("life", 42)
    rc.set("user", {"id": "u-1"})
    result = await (await wf.create_run()).start(input_data={"cool": "test-input"}, request_context=rc)
    assert result.status == "success"
    assert result.steps["step2"].payload == {"test": "test-input", "test2": 42, "deep": "u-1", "absent": None}
    assert result.steps["step2"].output == {"result": "test-input", "second": 42}


# -- 54: constants and fully dynamic maps -----------------------------------------------------------


async def test_map_constants() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], execute=lambda ctx: {"result": "success"})

    def step2_body(ctx: Any) -> dict[str, Any]:
        c = ctx.input_data["candidates"]
        return {"result": c[0] if c else "none", "second": ctx.input_data["iteration"]}

    step2 = create_step(id="step2", input_schema=dict[str, Any], output_schema=dict[str, Any], execute=step2_body)
    wf = (
        create_workflow(id="map-const", input_schema=Any, output_schema=Any)
        .then(step1)
        .map({"candidates": {"value": [], "schema": list[str]}, "iteration": {"value": 0, "schema": int}})
        .then(step2)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.steps["step2"].payload == {"candidates": [], "iteration": 0}
    assert result.result == {"result": "none", "second": 0}


async def test_fully_dynamic_map_function() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], execute=lambda ctx: {"result": "success"})
    wf = (
        create_workflow(id="map-fn", input_schema=Any, output_schema=Any)
        .then(step1)
        .map(lambda ctx: {"candidates": [{"name": ctx.input_data["result"]}, {"name": "hello"}], "iteration": 0})
        .then(_echo())
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.steps["step2"].payload == {"candidates": [{"name": "success"}, {"name": "hello"}], "iteration": 0}


async def test_async_map_function_gets_a_full_context() -> None:
    seen: list[Any] = []

    async def mapper(ctx: Any) -> dict[str, Any]:
        seen.append((ctx.get_init_data(), ctx.get_step_result("step1"), ctx.request_context.get("k"), ctx.state))
        return {"ok": True}

    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], execute=lambda ctx: {"result": "success"})
    wf = create_workflow(id="map-async", input_schema=Any, output_schema=Any).then(step1).map(mapper).commit()
    result = await (await wf.create_run()).start(input_data={"in": 1}, request_context={"k": "v"}, initial_state={"s": 2})
    assert result.result == {"ok": True}
    assert seen == [({"in": 1}, {"result": "success"}, "v", {"s": 2})]


# -- 55: function fields, explicit id -----------------------------------------------------------------


async def test_function_fields_and_explicit_map_id() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=dict[str, str], execute=lambda ctx: {"result": "success"})

    async def greet(ctx: Any) -> str:
        return f"Hello {ctx.input_data['result']}"

    wf = create_workflow(id="map-fn-field", input_schema=dict[str, str], output_schema=Any)
    wf.then(step1).map(
        {"test": {"init_data": wf, "path": "cool"}, "test2": {"fn": greet, "schema": str}},
        id="step1-mapping",
    ).then(_echo()).commit()
    result = await (await wf.create_run()).start(input_data={"cool": "test-input"})
    steps = result.to_dict()["steps"]
    assert steps["step1-mapping"] == {
        "status": "success",
        "output": {"test": "test-input", "test2": "Hello success"},
        "payload": {"result": "success"},
        "startedAt": T,
        "endedAt": T,
    }
    assert not any(k.startswith("mapping_") for k in steps)
    assert steps["step2"]["payload"] == {"test": "test-input", "test2": "Hello success"}


async def test_map_over_a_parallel_output_picks_values() -> None:
    a = create_step(id="a", input_schema=Any, output_schema=dict[str, int], execute=lambda ctx: {"n": 1})
    b = create_step(id="b", input_schema=Any, output_schema=dict[str, int], execute=lambda ctx: {"n": 2})
    wf = (
        create_workflow(id="map-par", input_schema=Any, output_schema=Any)
        .parallel([a, b])
        .map(
            {
                "fromA": {"step": a, "path": "n"},
                "fromB": {"step": "b", "path": "n"},
                "sum": {"fn": lambda ctx: ctx.input_data["a"]["n"] + ctx.input_data["b"]["n"]},
            }
        )
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.result == {"fromA": 1, "fromB": 2, "sum": 3}


async def test_map_function_that_raises_fails_the_run() -> None:
    def broken(ctx: Any) -> Any:
        raise KeyError("missing")

    wf = create_workflow(id="map-raises", input_schema=Any, output_schema=Any).map(broken, id="bad-map").commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.steps["bad-map"].status == "failed"
    assert isinstance(result.steps["bad-map"].error, KeyError)


def test_bad_mapping_forms_are_refused() -> None:
    wf = create_workflow(id="map-bad", input_schema=Any, output_schema=Any)
    with pytest.raises(
        WorkflowDefinitionError,
        match=r"map key 'x' must be a dict with one of step, value, init_data, request_context_path, fn, template; got 5",
    ):
        wf.map({"x": 5})
    with pytest.raises(WorkflowDefinitionError, match=r"map\(\) takes a function or a dict, got list"):
        wf.map([("x", 1)])


async def test_a_mapping_schema_validates_the_mapped_value() -> None:
    from stepstream import RequestContext

    wf = (
        create_workflow(id="map-schema")
        .then(create_step(id="start", execute=lambda ctx: {"n": 1}))
        .map({"count": {"request_context_path": "count", "schema": int}, "fixed": {"value": "7", "schema": int}}, id="shape")
        .commit()
    )
    good = await (await wf.create_run()).start(input_data={}, request_context=RequestContext({"count": "3"}))
    assert good.status == "success"
    assert good.result == {"count": 3, "fixed": 7}  # coerced by the schemas
    bad = await (await wf.create_run()).start(input_data={}, request_context=RequestContext({"count": "many"}))
    assert bad.status == "failed"
    assert bad.error is not None
    assert bad.error["message"].startswith("Mapped value 'count' of 'shape' failed its schema: \n- Input should be a valid integer")


# -- templates ----------------------------------------------------------------------------------


async def test_template_renders_typed_inputs_and_both_spellings() -> None:
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        age: int

    first = create_step(id="first", input_schema=Person, output_schema=Person, execute=lambda ctx: ctx.input_data)
    wf = (
        create_workflow(id="tpl", input_schema=Person, output_schema=Any)
        .then(first)
        .map({"line": {"template": "${input_data.name} (${inputData.age}) / ${step_results.first.name} / ${init_data}"}})
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"name": "Ann", "age": 30})
    assert result.result == {"line": 'Ann (30) / Ann / {"name":"Ann","age":30}'}


async def test_a_failing_placeholder_fails_the_map_step_with_a_stepstream_error() -> None:
    from stepstream import StepstreamError

    wf = (
        create_workflow(id="tpl-bad", input_schema=Any, output_schema=Any)
        .map({"v": {"template": "${input_data.a.b}"}}, id="render")
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"a": "text"})
    assert result.status == "failed"
    error = result.steps["render"].error
    assert isinstance(error, StepstreamError) and isinstance(error, ValueError)
    assert str(error) == "Invalid path a.b in Template placeholder #1 (${input_data.a.b}) in '${input_data.a.b}'"


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("${ input_data.x}", "has empty or whitespace-padded contents"),
        ("${inputs.x}", 'references unknown namespace "inputs". Use one of: input_data, init_data'),
        ("${step_results}", "must be of the form"),
        ("${request_context}", "requires a request-context key"),
    ],
)
def test_bad_templates_are_refused_at_build_time_naming_workflow_and_key(template: str, needle: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"(?s)" + re.escape(needle) + r".*\(workflow 'w', map key 'out'\)"):
        create_workflow(id="w").map({"out": {"template": template}})


def test_a_template_must_be_a_string() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"map key 'out': 'template' must be a string, got 3"):
        create_workflow(id="w").map({"out": {"template": 3}})
