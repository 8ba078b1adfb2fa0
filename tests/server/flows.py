"""Workflows served in the server tests: an approval flow, a failing step, a slow chain."""

from __future__ import annotations

import asyncio
import os

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, Workflow, create_step, create_workflow
from stepstream.storage import SQLiteStorage, Storage


class Value(BaseModel):
    value: str


class Approval(BaseModel):
    approved: bool


class Count(BaseModel):
    n: int


def approval_flow() -> Workflow:
    """shout -> approve (suspends until resumed with `{"approved": bool}`)."""
    shout = create_step(id="shout", input_schema=Value, output_schema=Value, execute=lambda ctx: Value(value=ctx.input_data.value.upper()))

    async def approve(ctx: StepContext) -> Value:
        if ctx.resume_data is None:
            await ctx.suspend({"reason": "needs approval"})
        return Value(value=f"{ctx.input_data.value} approved={ctx.resume_data.approved}")

    step = create_step(id="approve", input_schema=Value, output_schema=Value, resume_schema=Approval, execute=approve)
    return create_workflow(id="approval", input_schema=Value, output_schema=Value).then(shout).then(step).commit()


def failing_flow() -> Workflow:
    def boom(ctx: StepContext) -> Value:
        raise RuntimeError(f"boom on {ctx.input_data.value}")

    step = create_step(id="boom", input_schema=Value, output_schema=Value, execute=boom)
    return create_workflow(id="failing", input_schema=Value, output_schema=Value).then(step).commit()


def chain_flow(delay: float = 0.0) -> Workflow:
    """Three steps adding 1 each; each may sleep `delay` seconds first."""

    def make(i: int) -> object:
        async def add(ctx: StepContext) -> Count:
            if delay:
                await asyncio.sleep(delay)
            return Count(n=ctx.input_data.n + 1)

        return create_step(id=f"add{i}", input_schema=Count, output_schema=Count, execute=add)

    wf = create_workflow(id="chain", input_schema=Count, output_schema=Count)
    for i in (1, 2, 3):
        wf = wf.then(make(i))  # type: ignore[arg-type]
    return wf.commit()


def make_app(storage: Storage) -> Stepstream:
    delay = float(os.environ.get("STEPSTREAM_TEST_DELAY", "0"))
    return Stepstream(workflows=[approval_flow(), failing_flow(), chain_flow(delay)], storage=storage)


def sqlite_app_from_env() -> Stepstream:
    """For a server in a subprocess: SQLite at $STEPSTREAM_TEST_DB."""
    return make_app(SQLiteStorage(os.environ["STEPSTREAM_TEST_DB"]))
