"""A step that raises `NonRetryableError` stops its retries at once, and its failed record says
so (`nonRetryable: true`), from start() and from stream()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stepstream import NonRetryableError, StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    attempts = 0

    async def call_fn(ctx: StepContext[N, None]) -> N:
        nonlocal attempts
        attempts += 1
        raise NonRetryableError("permanent failure")

    call = create_step(id="call", input_schema=N, output_schema=N, retries=3, execute=call_fn)
    wf = create_workflow(id="non-retryable", input_schema=N, output_schema=N).then(call).commit()
    Stepstream([wf], storage=InMemoryStorage())
    run = await wf.create_run()
    started = log.result(await run.start(input_data={"n": 1}))
    log.note({"attempts": attempts, "nonRetryable": started.to_dict()["steps"]["call"].get("nonRetryable")})
    attempts = 0
    streamed = await log.stream((await wf.create_run()).stream(input_data={"n": 1}))
    log.note({"attempts": attempts, "nonRetryable": streamed.to_dict()["steps"]["call"].get("nonRetryable")})
    stored = await wf.get_run(run.run_id)
    assert stored is not None
    log.note({"stored": stored.to_dict()["steps"]["call"].get("nonRetryable")})
