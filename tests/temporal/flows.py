"""Workflows of the Temporal executor tests, and an app for worker processes.

`stepstream worker tests.temporal.flows:app` serves `app`, made from the environment
(`FLOWS_DSN`, `FLOWS_SCHEMA`, `FLOWS_ADDRESS`, `FLOWS_QUEUE`); the tests make the same app
in their own process with `build_app`. Steps append `<event> <step> <pid>` lines to the
file named by the run's input (`journal`), so a test sees which process ran what.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import Storage
from stepstream.temporal import TemporalExecutor
from stepstream.workflow.builder import Workflow

TEN_MB = 10 * 1024 * 1024


class Job(BaseModel):
    journal: str
    n: int = 0
    pause: float = 0.0


class Answer(BaseModel):
    ok: bool


def _note(path: str, line: str) -> None:
    with open(path, "a") as f:
        f.write(f"{line} {os.getpid()}\n")


def _chain_step(i: int) -> Any:
    async def execute(ctx: StepContext) -> Job:
        job: Job = ctx.input_data
        _note(job.journal, f"start {i}")
        await asyncio.sleep(job.pause)
        _note(job.journal, f"end {i}")
        return Job(journal=job.journal, n=job.n + 1, pause=job.pause)

    return create_step(id=f"s{i}", input_schema=Job, output_schema=Job, execute=execute)


def chain() -> Workflow:
    """Ten steps, each adding one to `n` (after `pause` seconds)."""
    wf = create_workflow(id="chain", input_schema=Job, output_schema=Job)
    for i in range(10):
        wf = wf.then(_chain_step(i))
    return wf.commit()


def approval() -> Workflow:
    """Asks for approval (suspends), then says what it was told."""

    async def ask(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({"question": f"approve {ctx.input_data.n}?"})
        return {"n": ctx.input_data.n, "approved": ctx.resume_data.ok}

    step = create_step(id="ask", input_schema=Job, resume_schema=Answer, execute=ask)
    done = create_step(id="done", execute=lambda ctx: {**ctx.input_data, "by": "done"})
    return create_workflow(id="approval", input_schema=Job).then(step).then(done).commit()


def big() -> Workflow:
    """A 10 MB step output, passed on and measured."""
    make = create_step(id="make", execute=lambda ctx: {"text": "x" * TEN_MB})
    measure = create_step(id="measure", execute=lambda ctx: {"size": len(ctx.input_data["text"]), "tail": ctx.input_data["text"][-3:]})
    return create_workflow(id="big").then(make).then(measure).commit()


def slow() -> Workflow:
    """One step that waits long on an await (until the run is canceled)."""

    async def wait(ctx: StepContext) -> dict[str, Any]:
        _note(ctx.input_data["journal"], "start wait")
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            _note(ctx.input_data["journal"], "interrupted wait")
            raise
        return {}

    after = create_step(id="after", execute=lambda ctx: ctx.input_data)
    return create_workflow(id="slow").then(create_step(id="wait", execute=wait)).then(after).commit()


def talk() -> Workflow:
    """A step whose writer output must reach the stream while it runs: it says "first", then
    waits (at most 15 s) for the reader to create the flag file, then says "second"."""

    async def speak(ctx: StepContext) -> dict[str, Any]:
        flag = ctx.input_data["flag"]
        await ctx.writer.write({"text": "first"})
        for _ in range(300):
            if await asyncio.to_thread(os.path.exists, flag):
                break
            await asyncio.sleep(0.05)
        saw = await asyncio.to_thread(os.path.exists, flag)
        await ctx.writer.write({"text": "second"})
        return {"saw": saw}

    return create_workflow(id="talk").then(create_step(id="speak", execute=speak)).commit()


def chorus() -> Workflow:
    """Two steps side by side, one writing output while the other starts and ends."""

    async def sing(ctx: StepContext) -> dict[str, Any]:
        for i in range(3):
            await ctx.writer.write({"line": i})
        return {"sung": 3}

    sing_step = create_step(id="sing", execute=sing)
    hum = create_step(id="hum", execute=lambda ctx: {"hummed": True})
    return create_workflow(id="chorus").parallel([sing_step, hum]).commit()


def workflows() -> list[Workflow]:
    return [chain(), approval(), big(), slow(), talk(), chorus()]


def build_app(storage: Storage, address: str | Client, queue: str, **options: Any) -> Stepstream:
    """The app of these tests: PostgreSQL storage, runs on Temporal at `address` (or with a
    connected client) on `queue`."""
    options.setdefault("heartbeat_timeout", timedelta(seconds=2))
    return Stepstream(workflows(), storage=storage, executor=TemporalExecutor(address, task_queue=queue, **options))


def _from_env() -> Stepstream | None:
    if "FLOWS_QUEUE" not in os.environ:
        return None
    from stepstream.storage.postgres import PostgresStorage

    storage = PostgresStorage(os.environ["FLOWS_DSN"], schema=os.environ["FLOWS_SCHEMA"])
    return build_app(storage, os.environ["FLOWS_ADDRESS"], os.environ["FLOWS_QUEUE"])


app = _from_env()
