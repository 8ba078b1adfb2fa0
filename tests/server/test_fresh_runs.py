"""A run whose id the server made is addressable as soon as its start answered.

A fresh run's insert may wait for its first write (one commit less); a reader must never see
that: `runs/ID`, `cancel` and `observe` right after the stream's first record find the run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from stepstream.storage import SQLiteStorage

from .conftest import Served, serve
from .flows import make_app


@pytest.fixture
async def slow(db_path: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    monkeypatch.setenv("STEPSTREAM_TEST_DELAY", "2")  # each chain step: 2 s, so the run is running when read
    s = await serve(make_app(SQLiteStorage(db_path)))
    yield s
    await s.stop()


async def test_a_server_made_run_is_found_and_canceled_right_after_its_stream_starts(slow: Served) -> None:
    async with httpx.AsyncClient(base_url=slow.url, timeout=30) as http:
        run_id = (await http.post("/api/workflows/chain/create-run", json={})).json()["runId"]
        async with http.stream("POST", f"/api/workflows/chain/stream?runId={run_id}", json={"inputData": {"n": 1}}) as streamed:
            chunks = streamed.aiter_text()
            first = await anext(chunks)
            assert json.loads(first.split("\x1e")[0])["type"] == "workflow-start"
            shown = await http.get(f"/api/workflows/chain/runs/{run_id}")
            assert shown.status_code == 200, shown.text
            assert shown.json()["status"] == "running"
            listed = (await http.get("/api/workflows/chain/runs")).json()
            assert run_id in [r["runId"] for r in listed["runs"]]
            canceled = await http.post(f"/api/workflows/chain/runs/{run_id}/cancel")
            assert canceled.status_code == 200, canceled.text
            rest = "".join([c async for c in chunks])
        assert '"workflowStatus":"canceled"' in rest.replace(" ", "")
        for _ in range(100):
            state = (await http.get(f"/api/workflows/chain/runs/{run_id}")).json()
            if state["status"] == "canceled":
                break
            await asyncio.sleep(0.05)
        assert state["status"] == "canceled"
