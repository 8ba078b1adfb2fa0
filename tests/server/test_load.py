"""One server process holds 200 concurrent streaming runs: all finish, every event once, in order,
none mixed across runs. Bounded in count and time; speed figures are in bench/server_load.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .load import check_chain, stream_many
from .proc import ServerProcess, stepstream_server

RUNS = 200


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = stepstream_server(f"sqlite:///{tmp_path / 'runs.db'}", delay=0.05)
    yield proc
    proc.stop()


@pytest.mark.timeout(180)
async def test_200_concurrent_streaming_runs_on_one_server_process(server: ServerProcess) -> None:
    traces = await stream_many(server.url, RUNS, timeout=150)
    assert len({t.run_id for t in traces}) == RUNS
    for trace in traces:
        check_chain(trace)
    async with httpx.AsyncClient(base_url=server.url) as http:
        listed = (await http.get("/api/workflows/chain/runs?status=success&perPage=1")).json()
    assert listed["total"] == RUNS
