"""The serialized step graph of a flow built only from declarative parts, compared whole:
predicates (with Mastra's labels), a template map, and the entry options of every entry kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow
from stepstream.predicate import and_, exists, falsy, in_, lt, not_, path

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


def s(step_id: str) -> Any:
    return create_step(id=step_id, input_schema=Any, output_schema=Any, execute=lambda ctx: ctx.input_data)


def o(entry_id: str) -> dict[str, Any]:
    return {"id": entry_id, "description": f"the {entry_id}", "metadata": {"title": entry_id.upper()}}


async def scenario(log: Log) -> None:
    wf = (
        create_workflow(id="declared", input_schema=N, output_schema=Any)
        .parallel([s("p1"), s("p2")], **o("fan"))
        .map({"n": {"template": "${stepResults.p1.n}"}, "label": {"value": "x"}}, **o("pick"))
        .branch([(lt(path("input_data.n"), 10), s("small")), (not_(in_(path("inputData.label"), ["a", "b"])), s("other"))], **o("route"))
        .dowhile(s("w"), and_(exists("state.go"), falsy(path("input_data.done"))), **o("while"))
        .dountil(s("u"), {"predicate": {"op": "truthy", "value": {"literal": True}}}, **o("until"))
        .foreach(s("f"), 3, **o("each"))
        .sleep(5, **o("nap"))
        .commit()
    )
    run = await wf.create_run()
    state = await wf.get_run(run.run_id, fields=["serializedStepGraph"])
    assert state is not None
    log.note(state.to_dict()["serializedStepGraph"])
