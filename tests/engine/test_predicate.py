"""Declarative conditions (predicates): spellings, JSON round trip, evaluation rules, bad input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import Predicate, WorkflowDefinitionError, create_step, create_workflow
from stepstream.predicate import and_, eq, exists, falsy, gt, in_, lt, not_, not_exists, not_in, or_, path, truthy


class Order(BaseModel):
    kind: str
    total: float


def test_helpers_give_mastras_json_and_it_round_trips() -> None:
    pred = and_(eq(path("input_data.kind"), "gift"), not_in(path("step_results.check.flag"), ["x", 1, None]))
    data = pred.to_dict()
    assert data == {
        "op": "and",
        "args": [
            {"op": "eq", "left": {"path": "inputData.kind"}, "right": {"literal": "gift"}},
            {"op": "notIn", "value": {"path": "stepResults.check.flag"}, "set": ["x", 1, None]},
        ],
    }
    again = Predicate.from_dict(json.loads(json.dumps(data)))
    assert again == pred
    assert Predicate.from_dict({"predicate": data}) == pred  # Mastra's wrapper is accepted too


def test_snake_case_json_is_read_as_mastras() -> None:
    snake = Predicate.from_dict({"op": "not_exists", "path": "init_data.a"})
    assert snake.to_dict() == {"op": "notExists", "path": "initData.a"}
    templated = Predicate.from_dict({"op": "exists", "path": "${input_data.a}"})
    assert templated.to_dict() == {"op": "exists", "path": "${inputData.a}"}
    assert templated.evaluate(input_data={"a": 0})


def test_evaluation_follows_javascript_rules() -> None:
    assert not eq(path("input_data.flag"), 1).evaluate(input_data={"flag": True})  # strict equality
    assert eq(path("input_data.n"), 2).evaluate(input_data={"n": 2.0})
    assert not lt(path("input_data.n"), "3").evaluate(input_data={"n": 1})  # mixed types never order
    assert lt(path("input_data.s"), "b").evaluate(input_data={"s": "a"})
    assert truthy(path("input_data.x")).evaluate(input_data={"x": []})  # an empty list is truthy
    assert truthy(path("input_data.x")).evaluate(input_data={"x": {}})
    for value in (0, 0.0, "", None, False, float("nan")):
        assert falsy(path("input_data.x")).evaluate(input_data={"x": value}), value
    assert exists("input_data.x").evaluate(input_data={"x": None})
    assert not_exists("input_data.x.y").evaluate(input_data={"x": 5})  # walking into a number
    assert not in_(path("input_data.nope"), [None]).evaluate(input_data={})
    assert not_in(path("input_data.nope"), [None]).evaluate(input_data={})
    assert not gt(path("input_data.nope"), 0).evaluate(input_data={})
    assert eq(path("input_data.items.1"), "b").evaluate(input_data={"items": ["a", "b"]})
    assert eq(path("input_data.items.length"), 2).evaluate(input_data={"items": ["a", "b"]})
    assert not exists("input_data.items.01").evaluate(input_data={"items": ["a", "b"]})
    assert eq(path("step_results.s.v"), 1).evaluate(step_results={"s": {"v": 1}})
    assert not exists("step_results.ghost").evaluate(step_results={})
    assert eq(path("input_data.kind"), "a").evaluate(input_data=Order(kind="a", total=1))  # models are dumped


def test_operators_combine_predicates() -> None:
    a, b = eq(path("input_data.n"), 1), eq(path("input_data.m"), 2)
    assert (a & b).to_dict() == and_(a, b).to_dict()
    assert (a | b).to_dict() == or_(a, b).to_dict()
    assert (~a).to_dict() == not_(a).to_dict()
    assert (a | b).label == "inputData.n == 1 OR inputData.m == 2"
    assert (~(a & b)).label == "NOT (inputData.n == 1 AND inputData.m == 2)"
    assert len(or_(*[eq(path("input_data.a_long_name"), "x" * 10)] * 5).label) == 80


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"op": "matches", "value": {"literal": 1}}, "unknown op 'matches'"),
        ({"op": "eq", "left": {"literal": 1}}, "missing ['right']"),
        ({"op": "exists", "path": "inputData.a", "extra": 1}, "unexpected ['extra']"),
        ({"op": "in", "value": {"literal": 1}, "set": []}, "'set' must be a non-empty list"),
        ({"op": "in", "value": {"literal": 1}, "set": [[1]]}, "a literal must be a string, number, bool or None"),
        ({"op": "eq", "left": {"literal": {"a": 1}}, "right": {"literal": 1}}, "a literal must be"),
        ({"op": "exists", "path": "input.a"}, "path 'input.a' must start with one of input_data"),
        ({"op": "exists", "path": "stepResults"}, "path 'stepResults' must start with"),
        ({"op": "exists", "path": ""}, "a path must be a non-empty string"),
        ({"op": "and", "args": []}, "'args' must be a non-empty list"),
        ({"op": "not", "arg": {"op": "eq", "left": {"value": 1}, "right": {"literal": 1}}}, "not) arg (eq) left: expected"),
        ("eq", "a predicate is a dict with an 'op'"),
    ],
)
def test_bad_predicates_are_refused_naming_the_problem(data: Any, needle: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=re.escape(needle)):
        Predicate.from_dict(data)


def test_builder_names_the_workflow_and_the_branch_item() -> None:
    s = create_step(id="s", execute=lambda ctx: 1)
    wf = create_workflow(id="w")
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': branch\(\) item 1: .*unknown op 'bogus'"):
        wf.branch([(eq(path("input_data.a"), 1), s), ({"predicate": {"op": "bogus"}}, s)])
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': dountil\(\) needs a condition"):
        wf.dountil(s, 42)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match="only a 'predicate' key"):
        wf.dowhile(s, {"predicate": {"op": "exists", "path": "state.a"}, "fn": 1})


async def test_predicates_work_in_loops_over_typed_outputs_and_state() -> None:
    class N(BaseModel):
        n: int

    async def inc(ctx: Any) -> N:
        await ctx.set_state({"last": ctx.input_data.n})
        return N(n=ctx.input_data.n + 1)

    step = create_step(id="inc", input_schema=N, output_schema=N, execute=inc)
    wf = (
        create_workflow(id="loop", input_schema=N, output_schema=N, state_schema=dict[str, Any])
        .dowhile(step, lt(path("state.last"), 3) & exists("step_results.inc"))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.status == "success"
    assert result.result == N(n=4)
    assert result.state == {"last": 3}
