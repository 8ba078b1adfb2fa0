"""A process keeps the runs someone holds, not every run it ever saw: a server that suspends
thousands of runs must not grow by one `Run` per run."""

from __future__ import annotations

import asyncio
import gc
import weakref

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_workflow, step
from stepstream.engine.run import IdleFlag
from stepstream.storage import InMemoryStorage


class N(BaseModel):
    n: int


@step(input_schema=N, output_schema=N, resume_schema=N)
async def wait(ctx: StepContext) -> N:
    if ctx.resume_data is None:
        await ctx.suspend({})
    return N(n=ctx.input_data.n + ctx.resume_data.n)


flow = create_workflow(id="cache", input_schema=N, output_schema=N).then(wait).commit()


async def test_a_suspended_run_nobody_holds_is_released_and_comes_back_from_storage() -> None:
    app = Stepstream(workflows={"cache": flow}, storage=InMemoryStorage())
    wf = app.get_workflow("cache")
    refs = []
    ids = []
    for i in range(20):
        run = await wf.create_run()
        assert (await run.start(input_data={"n": i})).status == "suspended"
        refs.append(weakref.ref(run))
        ids.append(run.run_id)
        del run
    gc.collect()
    assert [r for r in refs if r() is not None] == []
    again = await wf.create_run(run_id=ids[7])
    assert again.status == "suspended"
    result = await again.resume(step="wait", resume_data={"n": 100})
    assert result.status == "success" and result.result == N(n=107)


async def test_a_created_run_not_yet_written_is_held_until_listed() -> None:
    app = Stepstream(workflows={"cache": flow}, storage=InMemoryStorage())
    wf = app.get_workflow("cache")
    run_id = (await wf.create_run()).run_id
    gc.collect()
    listed = await wf.list_runs()
    assert [r["runId"] if isinstance(r, dict) else r.run_id for r in listed["runs"]] == [run_id]


async def test_a_held_run_is_the_same_object_when_asked_for_again() -> None:
    app = Stepstream(workflows={"cache": flow}, storage=InMemoryStorage())
    wf = app.get_workflow("cache")
    run = await wf.create_run()
    await run.start(input_data={"n": 1})
    assert await wf.create_run(run_id=run.run_id) is run


async def test_the_idle_flag_waits_like_an_event() -> None:
    """`Run._idle` (an `IdleFlag`): a wait returns at once while no execution is here, and
    a wait begun during one returns when it ends, even if another begins right after."""
    flag = IdleFlag()
    await asyncio.wait_for(flag.wait(), 1)  # set: at once
    flag.clear()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0.01)
    assert not any(w.done() for w in waiters)
    flag.set()
    flag.clear()  # busy again before the waiters ran: they were woken by the set
    await asyncio.wait_for(asyncio.gather(*waiters), 1)
    late = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0.01)
    assert not late.done()
    late.cancel()
    flag.set()  # a canceled waiter is skipped
    await asyncio.wait_for(flag.wait(), 1)
