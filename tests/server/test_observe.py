"""`observe`: a run's events from an offset, then live ones; on this server or on another
replica sharing the storage, after the first reader dropped its stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stepstream.storage import SQLiteStorage
from stepstream.storage.base import EventPage

from .conftest import Served, serve
from .flows import make_app
from .proc import ServerProcess, stepstream_server
from .wire import records, stream, types

APPROVAL = "/api/workflows/approval"


async def _observe(http: httpx.AsyncClient, workflow: str, run_id: str, offset: int | None = None) -> list[dict[str, Any]]:
    query = f"runId={run_id}" + (f"&offset={offset}" if offset is not None else "")
    response = await http.post(f"/api/workflows/{workflow}/observe?{query}")
    assert response.status_code == 200, response.text
    return records(response.text) if response.text else []


async def test_observe_replays_a_settled_run_from_any_offset(http: httpx.AsyncClient) -> None:
    first = await stream(http, f"{APPROVAL}/stream?runId=o1", {"inputData": {"value": "x"}})
    assert await _observe(http, "approval", "o1") == first
    assert await _observe(http, "approval", "o1", 3) == first[3:]
    assert await _observe(http, "approval", "o1", len(first)) == []
    resumed = await stream(http, f"{APPROVAL}/resume-stream?runId=o1", {"resumeData": {"approved": True}})
    everything = await _observe(http, "approval", "o1")
    assert everything == first + resumed  # one log across start and resume, numbered from 0
    assert await _observe(http, "approval", "o1", len(first) + 1) == resumed[1:]


async def test_observe_errors(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{APPROVAL}/observe?runId=ghost")
    assert (response.status_code, response.json()) == (404, {"error": "Workflow run not found"})
    response = await http.post(f"{APPROVAL}/observe")
    assert response.status_code == 400 and response.json()["issues"][0]["field"] == "runId"
    await stream(http, f"{APPROVAL}/stream?runId=o2", {"inputData": {"value": "x"}})
    response = await http.post(f"{APPROVAL}/observe?runId=o2&offset=-1")
    assert response.status_code == 400 and response.json()["issues"][0]["field"] == "offset"


async def test_an_offset_past_any_storage_integer_is_a_bad_query(http: httpx.AsyncClient) -> None:
    first = await stream(http, f"{APPROVAL}/stream?runId=big", {"inputData": {"value": "x"}})
    for offset in (10**23, 2**63, 2**31):
        response = await http.post(f"{APPROVAL}/observe?runId=big&offset={offset}")
        assert response.status_code == 400 and response.json()["error"] == "Invalid query parameters"
        assert response.json()["issues"][0]["field"] == "offset"
    assert await _observe(http, "approval", "big", 2**31 - 1) == []  # the largest offset: past the end
    assert await _observe(http, "approval", "big") == first
    response = await http.get(f"{APPROVAL}/runs?page={10**23}&perPage=10")
    assert response.status_code == 400 and response.json()["issues"][0]["field"] == "page"


class _FailingReads(SQLiteStorage):
    """SQLite whose event log cannot be read while `failing` is set (a storage fault)."""

    failing = False

    async def read_events(self, workflow_id: str, run_id: str, offset: int = 0, limit: int | None = None) -> EventPage | None:
        if self.failing:
            raise RuntimeError("the event log is unreadable")
        return await super().read_events(workflow_id, run_id, offset, limit)


async def test_a_server_fault_while_observing_breaks_the_stream_rather_than_faking_a_failed_run(db_path: str) -> None:
    storage = _FailingReads(db_path)
    served = await serve(make_app(storage))
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            first = await stream(http, f"{APPROVAL}/stream?runId=f1", {"inputData": {"value": "x"}})
            storage.failing = True
            with pytest.raises(httpx.RemoteProtocolError):  # cut short: no record, above all no failed finish
                await http.post(f"{APPROVAL}/observe?runId=f1")
            async with http.stream("POST", f"{APPROVAL}/observe?runId=f1") as response:
                assert response.status_code == 200
                received = b""
                with pytest.raises(httpx.RemoteProtocolError):
                    async for chunk in response.aiter_raw():
                        received += chunk
                assert b"workflow-finish" not in received
            storage.failing = False
            assert await _observe(http, "approval", "f1") == first  # the run as it was: suspended, not failed
            assert (await http.get(f"{APPROVAL}/runs/f1")).json()["status"] == "suspended"
    finally:
        await served.stop()


class _NoEventLog(SQLiteStorage):
    """A storage that keeps no event log (`keeps_events = False`, as a custom backend may)."""

    keeps_events = False


async def test_observe_without_an_event_log_answers_an_error_not_a_failed_run(db_path: str) -> None:
    served = await serve(make_app(_NoEventLog(db_path)))
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            assert (await http.post(f"{APPROVAL}/start-async?runId=nl", json={"inputData": {"value": "x"}})).json()["status"] == "suspended"
            response = await http.post(f"{APPROVAL}/observe?runId=nl")
            assert response.status_code == 501 and "keeps no event log" in response.json()["error"]
            assert (await http.get(f"{APPROVAL}/runs/nl")).json()["status"] == "suspended"
    finally:
        await served.stop()


async def test_start_then_observe_and_resume_no_wait(http: httpx.AsyncClient, served: Served) -> None:
    assert (await http.post("/api/workflows/chain/start?runId=bg2", json={"inputData": {"n": 5}})).json() == {
        "message": "Workflow run started"
    }
    events = await _observe(http, "chain", "bg2")
    assert types(events)[-1] == "workflow-finish" and events[-1]["payload"]["finalWorkflowResult"] == {"n": 8}
    await http.post(f"{APPROVAL}/start-async?runId=nw", json={"inputData": {"value": "n"}})
    answer = await http.post(f"{APPROVAL}/resume-no-wait?runId=nw", json={"resumeData": {"approved": True}})
    assert answer.json() == {"runId": "nw"}
    events = await _observe(http, "approval", "nw")
    assert events[-1]["payload"]["workflowStatus"] == "success"
    refused = await http.post(f"{APPROVAL}/resume-no-wait?runId=nw", json={"resumeData": {"approved": True}})
    assert refused.status_code == 409


async def _first_records(url: str, path: str, body: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Reads `count` records of a stream, then drops the connection."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    data = json.dumps(body).encode()
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
    )
    assert b" 200 " in await reader.readline()
    await reader.readuntil(b"\r\n\r\n")
    got: list[dict[str, Any]] = []
    buffer = b""
    while len(got) < count:
        size = int((await reader.readline()).split(b";")[0], 16)
        buffer += await reader.readexactly(size)
        await reader.readexactly(2)
        *done, buffer = buffer.split(b"\x1e")
        got.extend(json.loads(d) for d in done)
    writer.close()
    return got[:count]


@pytest.fixture
def replicas(tmp_path: Path, pg_schema: str, pg_dsn: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = stepstream_server(pg_dsn, pg_schema=pg_schema, delay=0.2)
    b = stepstream_server(pg_dsn, pg_schema=pg_schema, delay=0.2)
    yield a, b
    a.stop()
    b.stop()


async def test_a_stream_dropped_on_one_replica_is_observed_whole_from_another(replicas: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = replicas
    run_id = f"rep-{uuid.uuid4().hex[:8]}"
    head = await _first_records(a.url, f"/api/workflows/chain/stream?runId={run_id}", {"inputData": {"n": 1}}, 2)
    assert types(head) == ["workflow-start", "workflow-step-start"]
    async with httpx.AsyncClient(base_url=b.url, timeout=60) as http:
        rest = await _observe(http, "chain", run_id, offset=len(head))  # live on replica A, read from B
        whole = await _observe(http, "chain", run_id)
    assert whole == head + rest
    assert types(whole) == ["workflow-start"] + ["workflow-step-start", "workflow-step-result"] * 3 + ["workflow-finish"]
    assert whole[-1]["payload"]["finalWorkflowResult"] == {"n": 4}
    assert all(r["runId"] == run_id for r in whole)
