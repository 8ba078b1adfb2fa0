"""Workflows shared by the engine tests (Mastra's three-step time-travel/restart flow)."""

from __future__ import annotations

import asyncio
from collections import Counter

from pydantic import BaseModel

from stepstream import StepContext, Workflow, create_step, create_workflow


class In(BaseModel):
    value: int


class S1(BaseModel):
    step1Result: int


class S2(BaseModel):
    step2Result: int


class Final(BaseModel):
    final: int


class Crash:
    """Blocks a step on its first call(s) until the test kills the driving task."""

    def __init__(self, times: int = 1):
        self.times = times
        self.entered = asyncio.Event()

    async def maybe_hang(self) -> None:
        if self.times > 0:
            self.times -= 1
            self.entered.set()
            await asyncio.Event().wait()  # never set: only the crash ends this


def three_steps(
    calls: Counter[str],
    wf_id: str,
    *,
    fail_below: int | None = None,
    crash: Crash | None = None,
    flags: list[tuple[str, bool]] | None = None,
) -> Workflow:
    """step1 (+2) -> step2 (+1; fails when its input is below `fail_below`, may hang on `crash`) -> step3 (+1).

    `flags` collects `(step id, ctx.restart)` for step1 and step2.
    """

    async def step1(ctx: StepContext) -> S1:
        calls["step1"] += 1
        if flags is not None:
            flags.append(("step1", ctx.restart))
        return S1(step1Result=ctx.input_data.value + 2)

    async def step2(ctx: StepContext) -> S2:
        calls["step2"] += 1
        if flags is not None:
            flags.append(("step2", ctx.restart))
        if fail_below is not None and ctx.input_data.step1Result < fail_below:
            raise RuntimeError("Simulated error")
        if crash is not None:
            await crash.maybe_hang()
        return S2(step2Result=ctx.input_data.step1Result + 1)

    async def step3(ctx: StepContext) -> Final:
        calls["step3"] += 1
        return Final(final=ctx.input_data.step2Result + 1)

    return (
        create_workflow(wf_id, input_schema=In, output_schema=Final)
        .then(create_step("step1", input_schema=In, output_schema=S1, execute=step1))
        .then(create_step("step2", input_schema=S1, output_schema=S2, execute=step2))
        .then(create_step("step3", input_schema=S2, output_schema=Final, execute=step3))
        .commit()
    )
