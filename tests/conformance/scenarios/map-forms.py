"""Every .map form: {"step", "path"}, path ".", {"value", "schema"}, {"init_data", "path"},
{"request_context_path", "schema"}, {"fn", "schema"}, and a bare function (which can call get_step_result).
The maps are unnamed: their ids are mapping_<workflow_id>_<n>."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


def get(data: Any, key: str) -> Any:
    """A map sees the previous output as stored JSON; accept a model too."""
    return data[key] if isinstance(data, dict) else getattr(data, key)


class Meta(BaseModel):
    tag: str


class In(BaseModel):
    name: str
    meta: Meta


class Nested(BaseModel):
    len: int


class Out(BaseModel):
    greeting: str
    nested: Nested


async def scenario(log: Log) -> None:
    first = create_step(
        id="first",
        input_schema=In,
        output_schema=Out,
        execute=lambda ctx: Out(greeting="hi " + ctx.input_data.name, nested=Nested(len=len(ctx.input_data.name))),
    )
    echo = create_step(id="echo", input_schema=Any, output_schema=Any, execute=lambda ctx: ctx.input_data)
    wf = create_workflow(id="maps", input_schema=In, output_schema=Any)
    (
        wf.then(first)
        .map(
            {
                "len": {"step": first, "path": "nested.len"},
                "whole": {"step": first, "path": "."},
                "constant": {"value": 42, "schema": int},
                "tag": {"init_data": wf, "path": "meta.tag"},
                "user": {"request_context_path": "user", "schema": str},
                "shout": {"fn": lambda ctx: get(ctx.input_data, "greeting").upper(), "schema": str},
            }
        )
        .then(echo)
        .map(
            lambda ctx: {
                "keys": sorted(ctx.input_data if isinstance(ctx.input_data, dict) else ctx.input_data.model_dump()),
                "first": get(ctx.get_step_result(first), "greeting"),
            }
        )
        .commit()
    )
    run = await wf.create_run()
    await log.stream(run.stream(input_data={"name": "bob", "meta": {"tag": "t1"}}, request_context={"user": "ann"}))
