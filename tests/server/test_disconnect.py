"""A client that disconnects mid-stream neither stops nor loses the run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .proc import ServerProcess, stepstream_server


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = stepstream_server(f"sqlite:///{tmp_path / 'runs.db'}", delay=0.3)
    yield proc
    proc.stop()


async def test_a_dropped_stream_does_not_stop_the_run(slow_server: ServerProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", int(slow_server.url.rsplit(":", 1)[1]))
    body = json.dumps({"inputData": {"n": 1}}).encode()
    writer.write(
        b"POST /api/workflows/chain/stream?runId=dropped HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )  # fmt: skip
    assert b" 200 " in await reader.readline()
    await reader.readuntil(b"\x1e")  # the first record (workflow-start), then hang up
    writer.close()
    await writer.wait_closed()
    async with httpx.AsyncClient(base_url=slow_server.url) as http:
        state = (await http.get("/api/workflows/chain/runs/dropped")).json()
        assert state["status"] == "running"
        for _ in range(100):
            state = (await http.get("/api/workflows/chain/runs/dropped")).json()
            if state["status"] != "running":
                break
            await asyncio.sleep(0.1)
    assert state["status"] == "success" and state["result"] == {"n": 4}
    assert [k for k in state["steps"] if state["steps"][k]["status"] == "success"] == ["add1", "add2", "add3"]
