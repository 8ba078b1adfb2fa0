"""Mastra's schedule routes (`/api/schedules...`) over real HTTP, and the server's scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stepstream import Stepstream
from stepstream.storage import SQLiteStorage

from ..schedules.conftest import report_workflow
from .conftest import Served, serve

S = "/api/schedules"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Served]]:
    every_second = {"cron": "* * * * * *", "timezone": "UTC", "input_data": {"team": "declared"}}
    app = Stepstream(
        workflows=[report_workflow(), report_workflow("ticking", schedule=every_second)], storage=SQLiteStorage(tmp_path / "runs.db")
    )
    served = await serve(app)
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        yield http, served
    await served.stop()


async def _definitions(served: Served) -> list[tuple[Any, ...]]:
    """What requests may change (fire times move on their own: the scheduler is running)."""
    return [(s.id, s.cron, s.timezone, s.status, s.input_data, s.metadata) for s in await served.app.schedules.list()]


async def _eventually(check: Any, timeout: float = 20.0) -> Any:
    """Polls `check()` until it returns something truthy (the scheduler and runs work in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value or loop.time() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_create_get_list_update_delete(client: tuple[httpx.AsyncClient, Served]) -> None:
    http, _ = client
    body = {
        "id": "Nightly",
        "workflowId": "report",
        "cron": "0 2 * * *",
        "timezone": "Europe/Paris",
        "inputData": {"team": "ops"},
        "metadata": {"k": 1},
    }
    created = await http.post(S, json=body)
    assert created.status_code == 200, created.text
    schedule = created.json()
    assert {k: schedule[k] for k in ("id", "workflowId", "cron", "timezone", "status", "inputData", "metadata")} == {
        "id": "schedule_nightly",
        "workflowId": "report",
        "cron": "0 2 * * *",
        "timezone": "Europe/Paris",
        "status": "active",
        "inputData": {"team": "ops"},
        "metadata": {"k": 1},
    }
    assert (await http.get(f"{S}/schedule_nightly")).json() == schedule
    listed = (await http.get(S, params={"workflowId": "report"})).json()
    assert listed == {"schedules": [schedule]}
    assert (await http.get(S, params={"status": "paused"})).json() == {"schedules": []}
    assert {s["id"] for s in (await http.get(S)).json()["schedules"]} == {"schedule_nightly", "wf_ticking"}
    patched = (await http.patch(f"{S}/schedule_nightly", json={"cron": "0 3 * * *", "input_data": {"team": "dev"}})).json()
    assert patched["cron"] == "0 3 * * *" and patched["inputData"] == {"team": "dev"}
    assert patched["nextFireAt"] - schedule["nextFireAt"] in (3_600_000, 3_600_000 - 86_400_000)
    deleted = await http.delete(f"{S}/schedule_nightly")
    assert deleted.status_code == 200 and deleted.json() == {"message": "Schedule schedule_nightly deleted"}
    gone = await http.get(f"{S}/schedule_nightly")
    assert gone.status_code == 404 and gone.json()["error"] == "Schedule 'schedule_nightly' not found"


async def test_pause_run_while_paused_resume_and_the_audit_trail(client: tuple[httpx.AsyncClient, Served]) -> None:
    http, _ = client
    sid = (await http.post(S, json={"workflowId": "report", "cron": "0 9 * * *", "inputData": {"team": "m"}})).json()["id"]
    paused = (await http.post(f"{S}/{sid}/pause")).json()
    assert paused["status"] == "paused"
    fired = await http.post(f"{S}/{sid}/run")
    assert fired.status_code == 200, fired.text
    answer = fired.json()
    assert answer["scheduleId"] == sid and answer["claimId"] == f"sched_{sid}_{answer['scheduledFireAt']}"

    async def finished() -> bool:
        run = await http.get(f"/api/workflows/report/runs/{answer['claimId']}")
        return run.status_code == 200 and run.json()["status"] == "success"

    assert await _eventually(finished)
    triggers = (await http.get(f"{S}/{sid}/triggers")).json()["triggers"]
    assert [(t["runId"], t["outcome"], t["triggerKind"]) for t in triggers] == [(answer["claimId"], "published", "manual")]
    resumed = (await http.post(f"{S}/{sid}/resume")).json()
    assert resumed["status"] == "active" and resumed["nextFireAt"] >= paused["nextFireAt"]


async def test_the_served_scheduler_fires_declared_schedules(client: tuple[httpx.AsyncClient, Served]) -> None:
    http, _ = client

    async def three_fires() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await http.get(f"{S}/wf_ticking/triggers", params={"limit": 3})).json()["triggers"]
        return rows if len(rows) == 3 else []

    rows = await _eventually(three_fires)
    assert [r["outcome"] for r in rows] == ["published"] * 3
    slots = [r["scheduledFireAt"] for r in rows]
    assert slots == sorted(slots, reverse=True) and len(set(slots)) == 3, "newest first, one row per slot"
    page = (await http.get(f"{S}/wf_ticking/triggers", params={"page": 0, "perPage": 2})).json()
    assert len(page["triggers"]) == 2 and page["total"] >= 3 and page["hasMore"] is True


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        (
            "POST",
            S,
            {"workflowId": "report", "cron": "0 25 * * *", "inputData": {"team": "a"}},
            400,
            {"code": "SCHEDULE_INVALID", "field": "cron"},
        ),
        (
            "POST",
            S,
            {"workflowId": "report", "cron": "* * * * *", "timezone": "Mars/Base", "inputData": {"team": "a"}},
            400,
            {"field": "timezone"},
        ),
        ("POST", S, {"workflowId": "report", "cron": "* * * * *", "inputData": {"team": 1}}, 400, {"field": "input_data"}),
        ("POST", S, {"workflowId": "nope", "cron": "* * * * *"}, 404, {"error": "Workflow not found"}),
        ("POST", S, {"cron": "* * * * *"}, 400, {"issues": [{"field": "workflowId", "message": "Required"}]}),
        ("POST", S, {"workflowId": "report", "cron": 5}, 400, {"issues": [{"field": "cron", "message": "Expected a string, got int"}]}),
        ("POST", S, {"workflowId": "report", "cron": "* * * * *", "prompt": "hi"}, 400, {"error": "Invalid request body"}),
        ("GET", S + "?status=running", None, 400, {"error": "Invalid query parameters"}),
        ("PATCH", S + "/schedule_missing", {"cron": "* * * * *"}, 404, {"code": "SCHEDULE_NOT_FOUND"}),
        ("POST", S + "/schedule_missing/pause", None, 404, {"code": "SCHEDULE_NOT_FOUND"}),
        ("POST", S + "/schedule_missing/resume", None, 404, {"code": "SCHEDULE_NOT_FOUND"}),
        ("POST", S + "/schedule_missing/run", None, 404, {"code": "SCHEDULE_NOT_FOUND"}),
        ("GET", S + "/schedule_missing/triggers", None, 404, {"code": "SCHEDULE_NOT_FOUND"}),
        ("DELETE", S + "/schedule_missing", None, 404, {"code": "SCHEDULE_NOT_FOUND"}),
        ("GET", S + "/wf_ticking/triggers?limit=0", None, 400, {"error": "Invalid query parameters"}),
    ],
)
async def test_bad_requests_get_the_right_status_and_a_json_error(
    client: tuple[httpx.AsyncClient, Served], method: str, path: str, body: Any, status: int, expected: dict[str, Any]
) -> None:
    http, served = client
    before = await _definitions(served)
    answer = await http.request(method, path, json=body)
    assert answer.status_code == status, answer.text
    got = answer.json()
    assert {k: got.get(k) for k in expected} == expected
    assert isinstance(got["error"], str) and got["error"]
    assert await _definitions(served) == before, "a refused request changes nothing"


async def test_a_taken_id_is_a_conflict(client: tuple[httpx.AsyncClient, Served]) -> None:
    http, _ = client
    body = {"id": "dup", "workflowId": "report", "cron": "* * * * *", "inputData": {"team": "a"}}
    assert (await http.post(S, json=body)).status_code == 200
    again = await http.post(S, json=body)
    assert again.status_code == 409 and again.json()["code"] == "SCHEDULE_ID_EXISTS"
