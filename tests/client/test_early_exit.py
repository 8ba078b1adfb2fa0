"""Leaving a remote stream early (`break`, or leaving `async with`) stops nothing: the run goes
on on the server, and `result`, `usage` and `status` give its outcome, as the local stream's do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stepstream import ValidationError, WorkflowStream
from stepstream.client import Client, RemoteStream
from stepstream.storage import InMemoryStorage, SQLiteStorage

from ..server.conftest import Served, serve
from ..server.flows import make_app


class _NoLog(SQLiteStorage):
    """A storage that keeps no event log: no offsets, and `observe` answers 501."""

    keeps_events = False


@pytest.fixture(params=["log", "no-log"])
async def slow(request: pytest.FixtureRequest, db_path: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    monkeypatch.setenv("STEPSTREAM_TEST_DELAY", "0.05")  # the chain's steps take 50 ms each
    storage = SQLiteStorage(db_path) if request.param == "log" else _NoLog(db_path)
    served: Served = await serve(make_app(storage))
    try:
        async with Client(served.url) as client:
            yield client
    finally:
        await served.stop()


async def _outcome(stream: RemoteStream | WorkflowStream) -> tuple[str, object, int, str]:
    result = await asyncio.wait_for(stream.result, 10)
    usage = await asyncio.wait_for(stream.usage, 10)
    return result.status, result.to_dict().get("result"), usage["totalTokens"], stream.status


async def test_local_reference() -> None:
    """What the remote stream must match: the local stream after a `break` and after `async with`."""
    wf = make_app(InMemoryStorage()).get_workflow("chain")
    stream = (await wf.create_run()).stream(input_data={"n": 1})
    async for _ in stream:
        break
    assert await _outcome(stream) == ("success", {"n": 4}, 0, "success")
    async with (await wf.create_run()).stream(input_data={"n": 1}) as left:
        async for _ in left:
            break
    assert await _outcome(left) == ("success", {"n": 4}, 0, "success")


async def test_break_then_result(slow: Client) -> None:
    stream = (await slow.get_workflow("chain").create_run()).stream(input_data={"n": 1})
    async for _ in stream:
        break
    assert await _outcome(stream) == ("success", {"n": 4}, 0, "success")
    assert [e.type async for e in stream][-1] == "workflow-finish"  # a later reader gets every event


async def test_break_out_of_a_resume_stream_then_result(slow: Client) -> None:
    run = await slow.get_workflow("approval").create_run()
    assert (await run.start(input_data={"value": "v"})).status == "suspended"
    stream = run.resume_stream(resume_data={"approved": True})
    async for _ in stream:
        break
    status, result, tokens, seen = await _outcome(stream)
    assert (status, result, tokens, seen) == ("success", {"value": "V approved=True"}, 0, "success")


async def test_leaving_async_with_early_then_result(slow: Client) -> None:
    run = await slow.get_workflow("chain").create_run()
    async with run.stream(input_data={"n": 1}) as stream:
        async for _ in stream:
            break
    assert await _outcome(stream) == ("success", {"n": 4}, 0, "success")
    assert len(stream.events) < 8  # the connection was closed: the rest was not read
    approval = await slow.get_workflow("approval").create_run()
    await approval.start(input_data={"value": "w"})
    async with approval.resume_stream(resume_data={"approved": False}) as resumed:
        async for _ in resumed:
            break
    assert (await asyncio.wait_for(resumed.result, 10)).result == {"value": "W approved=False"}


async def test_a_refused_call_left_early_still_raises(slow: Client) -> None:
    async with (await slow.get_workflow("chain").create_run()).stream(input_data={"n": "x"}) as stream:
        async for _ in stream:
            break
    with pytest.raises(ValidationError):
        await asyncio.wait_for(stream.result, 10)


async def test_a_reader_and_result_at_once(slow: Client) -> None:
    """`result` reading the rest while another task iterates: both get what they need."""
    stream = (await slow.get_workflow("chain").create_run()).stream(input_data={"n": 1})
    reader = asyncio.ensure_future(_types(stream))
    result = await asyncio.wait_for(stream.result, 10)
    kinds = await asyncio.wait_for(reader, 10)
    assert result.status == "success" and kinds[0] == "workflow-start" and kinds[-1] == "workflow-finish"


async def _types(stream: RemoteStream) -> list[str]:
    out = []
    async for event in stream:
        out.append(event.type)
        await asyncio.sleep(0.01)
    return out


async def test_an_observer_left_early_is_only_a_reader(client: Client) -> None:
    """As a local observer: leaving `async with` early cancels its `result`; a `break` does not."""
    run = await client.get_workflow("chain").create_run()
    await run.start_async(input_data={"n": 1})
    watched = run.observe_stream()
    async for _ in watched:
        break
    assert (await asyncio.wait_for(watched.result, 10)).status == "success"
    async with run.observe_stream() as left:
        async for _ in left:
            break
    with pytest.raises(asyncio.CancelledError):
        await left.result
