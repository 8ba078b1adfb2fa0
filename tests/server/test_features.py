"""Over HTTP: perStep, outputOptions, nestedStepsContext, restart's requestContext, and the step
graph's declarative conditions and entry options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stepstream import Stepstream, create_step, create_workflow
from stepstream.predicate import gte, lt, path
from stepstream.storage import SQLiteStorage

from .conftest import http_to
from .wire import stream, types


def _app(db: Path) -> Stepstream:
    inc = create_step(id="inc", execute=lambda ctx: {"n": ctx.input_data["n"] + 1})
    small = create_step(id="small", execute=lambda ctx: "small")
    big = create_step(id="big", execute=lambda ctx: "big")
    walk = (
        create_workflow(id="walk")
        .dountil(inc, gte(path("input_data.n"), 3), id="count-up", description="to three", metadata={"ui": {"x": 1}})
        .branch([(lt(path("input_data.n"), 10), small), (lambda ctx: True, big)], id="size")
        .sleep(1, id="nap", description="breathe")
        .commit()
    )
    return Stepstream(workflows=[walk], storage=SQLiteStorage(db))


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with http_to(_app(tmp_path / "db.sqlite")) as client:
        yield client


async def test_per_step_and_output_options_over_http(http: httpx.AsyncClient) -> None:
    base = "/api/workflows/walk"
    first = (
        await http.post(
            f"{base}/start-async?runId=r1", json={"inputData": {"n": 0}, "perStep": True, "outputOptions": {"includeState": True}}
        )
    ).json()
    assert (first["status"], first["state"], "result" not in first) == ("paused", {}, True)
    assert (await http.get(f"{base}/runs/r1")).json()["status"] == "paused"
    recs = await stream(http, f"{base}/time-travel-stream?runId=r1", {"step": "small", "perStep": True})
    assert types(recs)[-2:] == ["workflow-paused", "workflow-finish"]
    last: dict[str, Any] = (await http.post(f"{base}/time-travel-async?runId=r1", json={"step": "nap"})).json()
    assert (last["status"], last["result"], "state" not in last) == (
        "success",
        {"small": "small"},
        True,
    )  # time travel into a branch runs that branch only


async def test_step_graph_shows_predicates_and_entry_options(http: httpx.AsyncClient) -> None:
    graph = (await http.get("/api/workflows/walk")).json()["stepGraph"]
    loop, branch, nap = graph
    assert {k: loop[k] for k in ("type", "id", "description", "metadata", "loopType")} == {
        "type": "loop",
        "id": "count-up",
        "description": "to three",
        "metadata": {"ui": {"x": 1}},
        "loopType": "dountil",
    }
    assert loop["serializedCondition"] == {"id": "inc-condition", "fn": "inputData.n >= 3"}
    assert loop["predicate"] == {"op": "gte", "left": {"path": "inputData.n"}, "right": {"literal": 3}}
    assert branch["id"] == "size" and branch["serializedConditions"][0] == {"id": "small-condition", "fn": "inputData.n < 10"}
    assert branch["predicates"] == [{"op": "lt", "left": {"path": "inputData.n"}, "right": {"literal": 10}}, None]
    assert (nap["type"], nap["id"], nap["description"]) == ("sleep", "nap", "breathe")
