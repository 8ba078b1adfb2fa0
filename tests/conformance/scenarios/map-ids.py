"""Map node ids: unnamed maps are mapping_<workflow_id>_<n>, where n counts every .map of that
workflow (a map with an explicit id still takes a number); a nested workflow numbers its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


def get(data: Any, key: str) -> Any:
    """A map sees the previous output as stored JSON; accept a model too."""
    return data[key] if isinstance(data, dict) else getattr(data, key)


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    wf = (
        create_workflow(id="ids", input_schema=N, output_schema=N)
        .map(lambda ctx: {"n": get(ctx.input_data, "n") * 2})
        .map(lambda ctx: {"n": get(ctx.input_data, "n") + 1}, id="plus-one")
        .map(lambda ctx: {"n": get(ctx.input_data, "n") * 3})
        .commit()
    )
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).map(lambda ctx: {"n": get(ctx.input_data, "n") - 1}).commit()
    outer = (
        create_workflow(id="outer", input_schema=N, output_schema=N)
        .map(lambda ctx: {"n": get(ctx.input_data, "n") * 10})
        .then(inner)
        .commit()
    )
    log.result(await (await wf.create_run()).start(input_data={"n": 1}))
    await log.stream((await outer.create_run()).stream(input_data={"n": 1}))
