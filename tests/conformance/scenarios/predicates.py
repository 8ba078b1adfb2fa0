"""Declarative conditions: branch/dowhile/dountil take predicates (JSON) instead of functions.

Half the branch is written with the Pythonic helpers, half in Mastra's JSON, to check both
spellings mean the same: strict equality, ordering of numbers and strings only, JavaScript
truthiness, missing paths, `${...}` paths; and the labels Mastra derives for its step graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow
from stepstream.predicate import (
    Predicate,
    and_,
    eq,
    exists,
    falsy,
    gt,
    gte,
    in_,
    lt,
    ne,
    not_,
    not_exists,
    not_in,
    or_,
    path,
    truthy,
)

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def prep_execute(ctx: StepContext) -> dict[str, Any]:
    await ctx.set_state({"mode": ctx.input_data["mode"]})
    data = ctx.input_data
    return {
        "n": data["n"],
        "tag": data["tag"],
        "list": [],
        "obj": {},
        "zero": 0,
        "empty": "",
        "flag": True,
        "nothing": None,
        "items": [5, 6],
    }


def hit(step_id: str) -> Any:
    return create_step(id=step_id, execute=lambda ctx: {"hit": step_id})


def P(p: str) -> dict[str, str]:
    return {"path": p}


def L(v: Any) -> dict[str, Any]:
    return {"literal": v}


CASES: list[tuple[str, Predicate | dict[str, Any]]] = [
    ("eq", eq(path("input_data.n"), 3)),
    ("eq_bool_num", eq(path("input_data.flag"), 1)),
    ("ne", ne(path("input_data.tag"), "a")),
    ("lt", lt(path("input_data.n"), 10)),
    ("gte_str", gte(path("input_data.tag"), "b")),
    ("gt_mixed", gt(path("input_data.n"), "1")),
    ("in", in_(path("input_data.tag"), ["a", "b"])),
    ("not_in_missing", not_in(path("input_data.nope"), [1])),
    ("in_missing", {"predicate": {"op": "in", "value": P("inputData.nope"), "set": [None]}}),
    ("exists_null", exists("input_data.nothing")),
    ("not_exists", not_exists("input_data.nope.deeper")),
    ("truthy_list", truthy(path("input_data.list"))),
    ("truthy_obj", {"predicate": {"op": "truthy", "value": P("inputData.obj")}}),
    ("falsy_zero", falsy(path("input_data.zero"))),
    ("falsy_empty", {"predicate": {"op": "falsy", "value": P("inputData.empty")}}),
    ("falsy_missing", falsy(path("input_data.nope"))),
    ("index", {"predicate": {"op": "eq", "left": P("inputData.items.1"), "right": L(6)}}),
    ("template_path", {"predicate": {"op": "eq", "left": P("${inputData.n}"), "right": L(3)}}),
    ("init", eq(path("init_data.mode"), "fast")),
    ("state", {"predicate": {"op": "eq", "left": P("state.mode"), "right": L("fast")}}),
    ("step_result", gt(path("step_results.prep.n"), 2)),
    ("missing_step", {"predicate": {"op": "exists", "path": "stepResults.ghost.n"}}),
    ("and", and_(eq(path("input_data.n"), 3), truthy(path("input_data.flag")))),
    ("or", or_(eq(path("input_data.n"), 99), in_(path("input_data.tag"), ["b"]))),
    ("not", not_(exists("input_data.nope"))),
    ("path_eq_path", {"predicate": {"op": "eq", "left": P("inputData.n"), "right": P("stepResults.prep.n")}}),
]


async def scenario(log: Log) -> None:
    prep = create_step(id="prep", execute=prep_execute, state_schema=Any)
    wf = (
        create_workflow(id="preds", input_schema=Any, output_schema=Any, state_schema=Any)
        .then(prep)
        .branch([(cond, hit(step_id)) for step_id, cond in CASES])
        .commit()
    )
    for data in ({"n": 3, "tag": "b", "mode": "fast"}, {"n": 12, "tag": "a", "mode": "slow"}):
        result = await (await wf.create_run()).start(input_data=data)
        log.note({"ran": sorted(result.result)})
    log.note({"labels": [Predicate.from_dict(c).label if isinstance(c, dict) else c.label for _, c in CASES]})

    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    until_cond = gte(path("input_data.n"), 3)
    while_cond = {"predicate": {"op": "lt", "left": P("inputData.n"), "right": P("initData.n")}}
    until = create_workflow(id="until", input_schema=N, output_schema=N).dountil(inc, until_cond).commit()
    while_wf = create_workflow(id="while", input_schema=N, output_schema=N).dowhile(inc, while_cond).commit()
    await log.stream((await until.create_run()).stream(input_data={"n": 0}))
    log.result(await (await while_wf.create_run()).start(input_data={"n": 0}))
    log.note({"loopLabels": [until_cond.label, Predicate.from_dict(while_cond).label]})
