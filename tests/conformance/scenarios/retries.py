"""Retries: with workflow retry_config attempts=2, a step failing twice then succeeding runs three
times (retry_count 0, 1, 2) and the run succeeds; a step's own retries=1 overrides the workflow's
attempts, so an always-failing step runs twice before the run fails. One start/result event pair each."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


async def scenario(log: Log) -> None:
    flaky_seen: list[int] = []

    def flaky_execute(ctx: StepContext) -> N:
        flaky_seen.append(ctx.retry_count)
        if len(flaky_seen) < 3:
            raise RuntimeError(f"flaky failure {len(flaky_seen)}")
        return N(n=ctx.input_data.n + ctx.retry_count)

    broken_seen: list[int] = []

    def broken_execute(ctx: StepContext) -> NoReturn:
        broken_seen.append(ctx.retry_count)
        raise RuntimeError("always broken")

    flaky = create_step(id="flaky", input_schema=N, output_schema=N, execute=flaky_execute)
    wf1 = create_workflow(id="retry-wf", input_schema=N, output_schema=N, retry_config={"attempts": 2, "delay": 1}).then(flaky).commit()
    broken = create_step(id="broken", input_schema=N, output_schema=N, retries=1, execute=broken_execute)
    wf2 = create_workflow(id="retry-step", input_schema=N, output_schema=N, retry_config={"attempts": 5, "delay": 1}).then(broken).commit()

    await log.stream((await wf1.create_run()).stream(input_data={"n": 1}))
    log.note({"attempts": len(flaky_seen), "retryCount": flaky_seen})
    await log.stream((await wf2.create_run()).stream(input_data={"n": 1}))
    log.note({"attempts": len(broken_seen), "retryCount": broken_seen})
