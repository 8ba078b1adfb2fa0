"""Many concurrent streaming runs against a server speaking Mastra's API (ours or Mastra's).

Used by test_load.py (correctness, bounded) and bench/server_load.py (speed, side by side).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Trace:
    """What one streaming run delivered."""

    run_id: str
    n: int
    records: list[dict[str, Any]] = field(default_factory=list)
    first_event: float = 0.0  # seconds from sending the request to the first record
    elapsed: float = 0.0


async def stream_one(host: str, port: int, workflow: str, n: int, prefix: str) -> Trace:
    """One `POST .../stream` over a plain HTTP/1.1 connection (a light client, so that with
    hundreds of streams at once the measured time is the server's, not the client's)."""
    trace = Trace(run_id=f"{prefix}-{n}-{uuid.uuid4().hex[:8]}", n=n)
    body = json.dumps({"inputData": {"n": n}}).encode()
    head = (
        f"POST /api/workflows/{workflow}/stream?runId={trace.run_id} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head.encode() + body)
        status = await reader.readline()
        assert b" 200 " in status, status
        headers = (await reader.readuntil(b"\r\n\r\n")).lower()
        assert b"transfer-encoding: chunked" in headers, headers
        buffer = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            buffer += await reader.readexactly(size)
            await reader.readexactly(2)
            *done, buffer = buffer.split(b"\x1e")
            if done and not trace.records:
                trace.first_event = time.perf_counter() - start
            trace.records.extend(json.loads(part) for part in done)
        assert buffer == b"", buffer[:200]
    finally:
        writer.close()
    trace.elapsed = time.perf_counter() - start
    return trace


async def stream_many(url: str, count: int, *, workflow: str = "chain", prefix: str = "load", timeout: float = 120.0) -> list[Trace]:
    """`count` runs started at once, each read to its end; input `{"n": i}` for run i."""
    host, port = url.removeprefix("http://").split(":")
    runs = asyncio.gather(*(stream_one(host, int(port), workflow, i, prefix) for i in range(count)))
    return list(await asyncio.wait_for(runs, timeout))


def check_chain(trace: Trace, steps: int = 3) -> None:
    """Every event once, in order, all of this run: start, (step start, step result) per step, finish."""
    recs = trace.records
    kinds = [r["type"] for r in recs]
    assert kinds[0] == "workflow-start" and kinds[-1] == "workflow-finish", (trace.run_id, kinds)
    assert all(r["runId"] == trace.run_id for r in recs), trace.run_id
    results = [r for r in recs if r["type"] == "workflow-step-result"]
    assert [r["payload"]["id"] for r in results] == [f"add{i}" for i in range(1, steps + 1)], (trace.run_id, kinds)
    assert [r["payload"]["output"]["n"] for r in results] == [trace.n + i for i in range(1, steps + 1)]
    starts = [r["payload"]["id"] for r in recs if r["type"] == "workflow-step-start"]
    assert starts == [f"add{i}" for i in range(1, steps + 1)], (trace.run_id, kinds)
    assert recs[-1]["payload"]["workflowStatus"] == "success"
