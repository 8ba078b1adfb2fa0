"""Control-flow entry options (id, description, metadata) never change execution; only map and
sleep take the id as their step id. (The step graph shows them: scenario step-graph-declarative;
so do the tracing spans: tests/tracing/test_entry_options.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import clone_step, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


def o(entry_id: str) -> dict[str, Any]:
    return {"id": entry_id, "description": f"the {entry_id} entry", "metadata": {"title": entry_id.upper(), "order": 1}}


async def scenario(log: Log) -> None:
    inc = create_step(id="inc", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + 1))
    dbl = create_step(id="dbl", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 2))
    item = create_step(id="item", input_schema=int, output_schema=int, execute=lambda ctx: ctx.input_data * 10)
    wf = (
        create_workflow(id="opts", input_schema=N, output_schema=Any)
        .parallel([inc, dbl], **o("both"))
        .map({"n": {"step": inc, "path": "n"}}, **o("pick"))
        .branch([(lambda ctx: ctx.input_data.n > 0, clone_step(inc, id="inc2"))], **o("maybe"))
        .map(lambda ctx: ctx.input_data["inc2"], **o("unwrap"))
        .dowhile(clone_step(inc, id="inc3"), lambda ctx: ctx.input_data.n < 4, **o("grow"))
        .dountil(clone_step(dbl, id="dbl2"), lambda ctx: ctx.input_data.n > 10, **o("double"))
        .sleep(1, **o("nap"))
        .sleep_until(datetime.now(UTC) - timedelta(seconds=1), **o("past"))
        .map(lambda ctx: [ctx.input_data["n"], ctx.input_data["n"] + 1], **o("pair"))
        .foreach(item, 2, **o("each"))
        .commit()
    )
    log.result(await (await wf.create_run()).start(input_data={"n": 1}))
