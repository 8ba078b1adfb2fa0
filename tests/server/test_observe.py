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

from .conftest import Served
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
