"""Mastra's own client (@mastra/client-js, pinned in tests/js) drives the stepstream server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from stepstream.storage import SQLiteStorage

from .conftest import Served, serve
from .flows import make_app

JS = Path(__file__).resolve().parent.parent / "js"
TOKEN = "js-token"


def _node_ready() -> None:
    missing = shutil.which("node") is None or not (JS / "node_modules" / "@mastra" / "client-js").is_dir()
    if missing:
        message = "node and tests/js/node_modules are needed: run `npm ci` in tests/js"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
async def guarded(db_path: str) -> AsyncIterator[Served]:
    _node_ready()
    s = await serve(make_app(SQLiteStorage(db_path)), auth_token=TOKEN)
    yield s
    await s.stop()


async def drive(url: str, script: str = "drive.mjs", **env: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        "node", str(JS / script), url, TOKEN, cwd=JS, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_mastra_client_js_drives_the_server(guarded: Served) -> None:
    out = await drive(guarded.url, OBSERVE="1")
    assert out["list"] == ["approval", "chain", "failing"]
    assert out["details"] == {"name": "approval", "steps": ["shout", "approve"], "graph": ["shout", "approve"]}
    assert out["schema"]["inputSchema"]["properties"]["value"]["type"] == "string"

    stream, resumed = out["stream"], out["resumeStream"]
    assert _types(stream)[0] == "workflow-start" and _types(stream)[-1] == "workflow-finish"
    assert stream[-1]["payload"]["workflowStatus"] == "suspended"
    assert all(e["runId"] == out["createdRunId"] for e in stream + resumed)
    assert resumed[-1]["payload"]["workflowStatus"] == "success"
    assert resumed[-1]["payload"]["finalWorkflowResult"] == {"value": "HI approved=True"}

    assert out["startAsync"]["status"] == "suspended" and out["startAsync"]["suspended"] == [["approve"]]
    assert out["resumeAsync"]["status"] == "success" and out["resumeAsync"]["result"] == {"value": "ASYNC approved=False"}

    assert out["runs"]["total"] == 2 and {r["runId"] for r in out["runs"]["runs"]} == {out["createdRunId"], "js-async"}
    assert out["runById"]["status"] == "success" and out["runById"]["runId"] == out["createdRunId"]
    assert out["cancel"] == {"message": "Workflow run cancelled"}
    assert out["canceled"]["status"] == "canceled"

    assert out["failed"] == {"status": "failed", "isError": True, "message": "boom on x"}
    assert out["unknownWorkflow"]["status"] == 404 and "Workflow not found" in out["unknownWorkflow"]["message"]
    assert out["unknownRun"]["status"] == 404 and "Workflow run not found" in out["unknownRun"]["message"]
    assert out["badResume"]["status"] == 409 and "This workflow run was not suspended" in out["badResume"]["message"]

    # observe: the whole run (its start and its resume, one log), then from an offset
    assert out["observe"] == stream + resumed
    assert out["observeFrom"] == (stream + resumed)[3:]


async def test_mastra_client_js_drives_the_schedule_routes(guarded: Served) -> None:
    out = await drive(guarded.url, "schedules.mjs")
    created = out["created"]
    assert {k: created[k] for k in ("id", "workflowId", "cron", "timezone", "status", "inputData", "metadata")} == {
        "id": "schedule_nightly",
        "workflowId": "approval",
        "cron": "0 2 * * *",
        "timezone": "Europe/Paris",
        "status": "active",
        "inputData": {"value": "from js"},
        "metadata": {"by": "client-js"},
    }
    assert out["listed"] == {"schedules": [created]} and out["got"] == created
    assert out["updated"]["cron"] == "0 3 * * *" and out["updated"]["nextFireAt"] != created["nextFireAt"]
    assert out["paused"]["status"] == "paused"
    fired = out["run"]
    assert fired["scheduleId"] == "schedule_nightly" and fired["claimId"] == f"sched_schedule_nightly_{fired['scheduledFireAt']}"
    assert out["runStatus"] == "suspended", "the fired run reached the approval step"
    [trigger] = out["triggers"]["triggers"]
    assert (trigger["runId"], trigger["outcome"], trigger["triggerKind"]) == (fired["claimId"], "published", "manual")
    assert out["resumed"]["status"] == "active"
    assert out["deleted"] == {"message": "Schedule schedule_nightly deleted"}
    assert out["missing"]["status"] == 404 and "SCHEDULE_NOT_FOUND" in out["missing"]["message"]
    assert out["badCron"]["status"] == 400 and "field 'cron'" in out["badCron"]["message"]
