"""Every JSON the server writes is valid JSON: NaN and infinities in a step's output are written
as `null`, as Mastra's `JSON.stringify` writes them, in answers and stream records alike."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stepstream import Stepstream, create_step, create_workflow
from stepstream.storage import SQLiteStorage

from .conftest import http_to

ODD = "/api/workflows/odd"
NULLS = {"nan": None, "inf": None, "ninf": None, "ok": 1.5}


def _app(db: Path) -> Stepstream:
    step = create_step(id="odd", execute=lambda ctx: {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "ok": 1.5})
    return Stepstream(workflows=[create_workflow(id="odd").then(step).commit()], storage=SQLiteStorage(db))


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with http_to(_app(tmp_path / "db.sqlite")) as client:
        yield client


def _refuse(constant: str) -> Any:
    raise AssertionError(f"not JSON: {constant}")


def strict(text: str) -> Any:
    """`json.loads` refusing NaN and Infinity (Python's own parser accepts them; JSON.parse does not)."""
    return json.loads(text, parse_constant=_refuse)


def strict_records(body: str) -> list[dict[str, Any]]:
    assert body.endswith("\x1e"), body[-200:]
    return [strict(part) for part in body.split("\x1e")[:-1]]


async def test_start_async_answers_null_for_non_finite_floats_and_runs_once(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{ODD}/start-async?runId=n1", json={})
    assert response.status_code == 200, response.text
    result = strict(response.text)
    assert result["status"] == "success" and result["result"] == NULLS and result["steps"]["odd"]["output"] == NULLS
    assert strict((await http.get(f"{ODD}/runs")).text)["total"] == 1
    state = strict((await http.get(f"{ODD}/runs/n1")).text)
    assert state["result"] == NULLS


async def test_stream_and_observe_records_carry_null(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{ODD}/stream?runId=n2", json={})
    assert response.status_code == 200
    streamed = strict_records(response.text)
    [step] = [r for r in streamed if r["type"] == "workflow-step-result"]
    assert step["payload"]["output"] == NULLS
    assert streamed[-1]["payload"]["workflowStatus"] == "success"
    observed = strict_records((await http.post(f"{ODD}/observe?runId=n2")).text)
    assert [r["type"] for r in observed] == [r["type"] for r in streamed]
    [observed_step] = [r for r in observed if r["type"] == "workflow-step-result"]
    assert observed_step["payload"]["output"] == NULLS
