"""`observe_stream` over HTTP: from an offset, from a run started without waiting, and across
dropped connections (it reconnects by itself with the next offset)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stepstream import RunNotFoundError, WorkflowEvent
from stepstream.client import Client
from stepstream.storage import SQLiteStorage

from ..server.conftest import Served, serve
from ..server.flows import make_app
from .conftest import TOKEN
from .proxy import CuttingProxy


@pytest.fixture
async def slow(db_path: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    monkeypatch.setenv("STEPSTREAM_TEST_DELAY", "0.05")
    s = await serve(make_app(SQLiteStorage(db_path)), auth_token=TOKEN)
    yield s
    await s.stop()


async def test_start_async_then_observe_from_offsets(client: Client) -> None:
    run = await client.get_workflow("chain").create_run()
    assert await run.start_async(input_data={"n": 1}) == run.run_id
    whole = [e async for e in run.observe_stream()]
    assert [e.offset for e in whole] == list(range(len(whole)))
    assert whole[-1].type == "workflow-finish" and whole[-1].payload["finalWorkflowResult"] == {"n": 4}
    tail = [e.to_dict() async for e in run.observe_stream(offset=3)]
    assert tail == [e.to_dict() for e in whole[3:]]
    result = await run.observe_stream(offset=len(whole)).result
    assert result.status == "success" and result.result == {"n": 4}


async def test_resume_async_then_observe(client: Client) -> None:
    run = await client.get_workflow("approval").create_run()
    suspended = await run.start(input_data={"value": "v"})
    assert suspended.status == "suspended"
    await run.resume_async(resume_data={"approved": True})
    events = [e async for e in run.observe_stream()]
    assert events[-1].payload["workflowStatus"] == "success"
    assert await client.get_workflow("approval").delete_run(run.run_id)
    with pytest.raises(RunNotFoundError):
        async for _ in run.observe_stream():
            pass


async def test_observe_stream_reconnects_with_the_next_offset(slow: Served) -> None:
    port = int(slow.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, after=700, cuts=2)
    url = await proxy.start()
    try:
        async with Client(slow.url, token=TOKEN) as direct, Client(url, token=TOKEN) as cut:
            run = await direct.get_workflow("chain").create_run()
            await run.start_async(input_data={"n": 10})
            observed = cut.get_workflow("chain")
            remote = await observed.create_run(run_id=run.run_id)
            got: list[WorkflowEvent] = [e async for e in remote.observe_stream()]
            reference = [e.to_dict() async for e in run.observe_stream()]
    finally:
        await proxy.stop()
    assert proxy.connections >= 3  # create-run, then the observe that was cut twice
    assert [e.to_dict() for e in got] == reference  # nothing lost, nothing twice
    assert [e.offset for e in got] == list(range(len(reference)))
    assert got[-1].payload["finalWorkflowResult"] == {"n": 13}
