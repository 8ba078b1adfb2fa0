"""serializedStepGraph (in get_run) for every kind of entry: step, nested workflow, parallel,
mapping, conditional, loop, foreach, sleep. Function sources (conditions, map functions) are
JavaScript in Mastra and Python in stepstream, so `fn` and `mapConfig` are noted as their type
only; the sleep's random id is dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class V(BaseModel):
    value: str


def s(id: str, **extra: Any) -> Any:
    return create_step(id=id, description="d-" + id, input_schema=V, output_schema=V, execute=lambda ctx: ctx.input_data, **extra)


def hide(value: Any) -> Any:
    if isinstance(value, list):
        return [hide(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in ("fn", "mapConfig"):
                out[key] = "string" if isinstance(item, str) else type(item).__name__
            elif not (key == "id" and str(item).startswith("sleep_")):
                out[key] = hide(item)
        return out
    return value


async def scenario(log: Log) -> None:
    inner = create_workflow(id="inner", input_schema=V, output_schema=V).then(s("g")).commit()
    wf = (
        create_workflow(id="outer", input_schema=V, output_schema=V)
        .then(s("a", resume_schema=V))
        .then(inner)
        .parallel([s("p1"), s("p2")])
        .map(lambda ctx: {"value": "m"})
        .branch([(lambda ctx: True, s("b1")), (lambda ctx: False, s("b2"))])
        .dountil(s("l"), lambda ctx: True)
        .map(lambda ctx: [ctx.input_data])
        .foreach(s("f"), concurrency=2)
        .map(lambda ctx: {"value": "z"})
        .sleep(1)
        .commit()
    )
    Stepstream([wf], storage=InMemoryStorage())
    run = await wf.create_run()
    await run.start(input_data={"value": "x"})
    state = await wf.get_run(run.run_id, fields=["serializedStepGraph"])
    assert state is not None
    log.note(hide(state.to_dict()["serializedStepGraph"]))
