"""restart(request_context=): a run left running by a crash is restarted with a request context
whose keys override the stored ones; the other stored keys stay."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from stepstream import StepContext, Stepstream, Workflow, create_step, create_workflow
from stepstream.storage import InMemoryStorage

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


async def scenario(log: Log) -> None:
    storage = InMemoryStorage()
    entered = asyncio.Event()
    hang = [True]

    async def read(ctx: StepContext) -> dict[str, Any]:
        if hang[0]:
            hang[0] = False
            entered.set()
            await asyncio.Event().wait()  # the "process" dies here
        return {"tenant": ctx.request_context.get("tenant"), "user": ctx.request_context.get("user")}

    def build() -> Workflow:
        first = create_step(id="first", input_schema=Any, output_schema=Any, execute=lambda ctx: 1)
        return create_workflow(id="rc", input_schema=Any, output_schema=Any).then(first).then(create_step(id="read", execute=read)).commit()

    one = Stepstream(workflows={"wf": build()}, storage=storage)
    run = await one.get_workflow("wf").create_run()
    task = asyncio.create_task(run.start(input_data={}, request_context={"tenant": "acme", "user": "ann"}))
    await entered.wait()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    two = Stepstream(workflows={"wf": build()}, storage=storage)
    stored = await storage.load_run("rc", run.run_id)
    log.note({"before": stored.status if stored is not None else None})
    again = await two.get_workflow("wf").create_run(run.run_id)
    log.result(await again.restart(request_context={"user": "bob"}))
