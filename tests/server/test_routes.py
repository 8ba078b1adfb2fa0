"""Mastra's workflow routes over real HTTP: bodies, answers and the \\x1e stream framing."""

from __future__ import annotations

import json

import httpx

from stepstream import Stepstream
from stepstream.storage import SQLiteStorage

from .conftest import Served, serve
from .flows import chain_flow
from .wire import records, stream, types

APPROVAL = "/api/workflows/approval"


async def test_list_and_details_describe_the_workflows(http: httpx.AsyncClient) -> None:
    listed = (await http.get("/api/workflows")).json()
    assert set(listed) == {"approval", "failing", "chain"}
    info = listed["approval"]
    assert info["name"] == "approval"
    assert set(info["steps"]) == {"shout", "approve"}
    assert json.loads(info["inputSchema"])["json"]["properties"] == {"value": {"title": "Value", "type": "string"}}
    assert json.loads(info["steps"]["approve"]["resumeSchema"])["json"]["required"] == ["approved"]
    assert [n["step"]["id"] for n in info["stepGraph"]] == ["shout", "approve"]
    details = (await http.get(APPROVAL)).json()
    assert details == info
    partial = (await http.get("/api/workflows?partial=true")).json()
    assert partial["chain"]["stepCount"] == 3 and partial["chain"]["steps"] == {}


async def test_stream_then_resume_stream_with_studio_bodies(http: httpx.AsyncClient) -> None:
    run_id = (await http.post(f"{APPROVAL}/create-run", json={})).json()["runId"]
    for _ in range(4):  # Studio sends create-run with the same id several times: a no-op
        assert (await http.post(f"{APPROVAL}/create-run?runId={run_id}", json={})).json() == {"runId": run_id}
    first = await stream(
        http,
        f"{APPROVAL}/stream?runId={run_id}",
        {"inputData": {"value": "hi"}, "requestContext": {}, "perStep": False, "closeOnSuspend": True},
    )
    assert types(first) == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-suspended",
        "workflow-finish",
    ]
    assert all(r["runId"] == run_id and r["from"] == "WORKFLOW" for r in first)
    assert first[-1]["payload"]["workflowStatus"] == "suspended"
    state = (await http.get(f"{APPROVAL}/runs/{run_id}")).json()
    assert state["status"] == "suspended" and state["runId"] == run_id
    second = await stream(
        http,
        f"{APPROVAL}/resume-stream?runId={run_id}",
        {"step": ["approve"], "resumeData": {"approved": True}, "requestContext": {}, "perStep": False},
    )
    assert types(second)[-1] == "workflow-finish"
    assert second[-1]["payload"]["workflowStatus"] == "success"
    assert second[-1]["payload"]["finalWorkflowResult"] == {"value": "HI approved=True"}


async def test_snake_case_bodies_and_step_as_a_string(http: httpx.AsyncClient) -> None:
    first = await stream(http, f"{APPROVAL}/stream?runId=snake", {"input_data": {"value": "x"}, "close_on_suspend": True})
    assert first[-1]["payload"]["workflowStatus"] == "suspended"
    result = (await http.post(f"{APPROVAL}/resume-async?runId=snake", json={"step": "approve", "resume_data": {"approved": False}})).json()
    assert result["status"] == "success" and result["result"] == {"value": "X approved=False"}


async def test_start_async_resume_async_and_run_listing(http: httpx.AsyncClient) -> None:
    result = (await http.post(f"{APPROVAL}/start-async?runId=a1", json={"inputData": {"value": "a"}})).json()
    assert result["status"] == "suspended" and result["suspended"] == [["approve"]] and result["runId"] == "a1"
    assert (await http.get("/api/workflows/run-counts")).json()["approval"] == {"running": 0, "suspended": 1}
    done = (await http.post(f"{APPROVAL}/resume-async?runId=a1", json={"step": "approve", "resumeData": {"approved": True}})).json()
    assert done["status"] == "success"
    await http.post(f"{APPROVAL}/start-async?runId=a2", json={"inputData": {"value": "b"}})
    runs = (await http.get(f"{APPROVAL}/runs")).json()
    assert runs["total"] == 2 and {r["runId"] for r in runs["runs"]} == {"a1", "a2"}
    suspended = (await http.get(f"{APPROVAL}/runs?status=suspended")).json()
    assert [r["runId"] for r in suspended["runs"]] == ["a2"]
    page = (await http.get(f"{APPROVAL}/runs?perPage=1&page=1")).json()
    assert page["total"] == 2 and len(page["runs"]) == 1
    assert (await http.get("/api/workflows/run-counts")).json()["approval"] == {"running": 0, "suspended": 1}


async def test_start_without_waiting_and_fetching_the_run(http: httpx.AsyncClient, served: Served) -> None:
    answer = await http.post("/api/workflows/chain/start?runId=bg", json={"inputData": {"n": 1}})
    assert answer.json() == {"message": "Workflow run started"}
    for _ in range(200):
        state = (await http.get("/api/workflows/chain/runs/bg")).json()
        if state["status"] == "success":
            break
        await served.app.get_workflow("chain").list_runs()  # yields to the run
    assert state["result"] == {"n": 4}
    fields = (await http.get("/api/workflows/chain/runs/bg?fields=result")).json()
    assert set(fields) == {"runId", "workflowName", "resourceId", "createdAt", "updatedAt", "status", "result"}


async def test_cancel_and_delete(http: httpx.AsyncClient) -> None:
    await http.post(f"{APPROVAL}/start-async?runId=c1", json={"inputData": {"value": "c"}})
    assert (await http.post(f"{APPROVAL}/runs/c1/cancel")).json() == {"message": "Workflow run cancelled"}
    assert (await http.get(f"{APPROVAL}/runs/c1")).json()["status"] == "canceled"
    assert (await http.delete(f"{APPROVAL}/runs/c1")).json() == {"message": "Workflow run deleted"}
    assert (await http.get(f"{APPROVAL}/runs/c1")).status_code == 404


async def test_a_failed_step_reaches_the_stream_and_the_result(http: httpx.AsyncClient) -> None:
    recs = await stream(http, "/api/workflows/failing/stream?runId=f1", {"inputData": {"value": "v"}})
    assert recs[-1]["payload"]["workflowStatus"] == "failed"
    step_result = next(r for r in recs if r["type"] == "workflow-step-result")
    assert step_result["payload"]["status"] == "failed"
    assert "boom on v" in step_result["payload"]["error"]["message"]
    result = (await http.post("/api/workflows/failing/start-async?runId=f2", json={"inputData": {"value": "w"}})).json()
    assert result["status"] == "failed" and "boom on w" in result["error"]["message"]


async def test_each_record_is_sent_when_it_happens(db_path: str) -> None:
    served = await serve(Stepstream(workflows=[chain_flow(delay=0.2)], storage=SQLiteStorage(db_path)))
    try:
        async with httpx.AsyncClient(base_url=served.url) as client:
            chunks: list[bytes] = []
            async with client.stream("POST", "/api/workflows/chain/stream?runId=chunks", json={"inputData": {"n": 0}}) as response:
                async for chunk in response.aiter_raw():
                    chunks.append(chunk)
    finally:
        await served.stop()
    assert all(c.endswith(b"\x1e") for c in chunks)  # whole records only
    first = types(records(chunks[0].decode()))
    assert first[0] == "workflow-start" and "workflow-step-result" not in first  # not held until the step is done
    assert types(records(b"".join(chunks).decode())) == [
        "workflow-start",
        *["workflow-step-start", "workflow-step-result"] * 3,
        "workflow-finish",
    ]


async def test_time_travel_and_restart_routes(http: httpx.AsyncClient) -> None:
    await http.post("/api/workflows/chain/start-async?runId=t1", json={"inputData": {"n": 0}})
    travelled = (await http.post("/api/workflows/chain/time-travel-async?runId=t1", json={"step": "add2", "inputData": {"n": 10}})).json()
    assert travelled["status"] == "success" and travelled["result"] == {"n": 12}
    recs = await stream(http, "/api/workflows/chain/time-travel-stream?runId=t1", {"step": ["add3"], "inputData": {"n": 100}})
    assert recs[-1]["payload"]["finalWorkflowResult"] == {"n": 101}
    restarted = (await http.post("/api/workflows/chain/restart-async?runId=t1", json={})).json()
    assert restarted["status"] == "success"  # a finished run: its stored result
    assert (await http.post("/api/workflows/chain/restart-all-active-workflow-runs-async")).json()["message"]


async def test_health_openapi_root_and_studio_routes(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/health")).json() == {"status": "ok"}
    assert (await http.get("/")).status_code == 200
    assert (await http.get("/api/auth/capabilities")).json() == {"enabled": False, "login": None}
    doc = (await http.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/workflows",
        "/api/workflows/{workflow_id}/stream",
        "/api/workflows/{workflow_id}/runs/{run_id}/cancel",
        "/api/health",
    ):
        assert path in doc["paths"], path
    missing = await http.get("/api/agents")
    assert missing.status_code == 404 and "error" in missing.json()


async def test_per_step_pauses_after_one_step(http: httpx.AsyncClient) -> None:
    paused = (await http.post("/api/workflows/chain/start-async?runId=ps", json={"inputData": {"n": 0}, "perStep": True})).json()
    assert paused["status"] == "paused"
    assert [k for k, v in paused["steps"].items() if k != "input" and v["status"] == "success"] == ["add1"]


async def test_listed_runs_carry_a_snapshot_with_the_status(http: httpx.AsyncClient) -> None:
    await http.post(f"{APPROVAL}/start-async?runId=snap", json={"inputData": {"value": "s"}})
    listed = (await http.get(f"{APPROVAL}/runs")).json()["runs"]
    assert listed[0]["snapshot"]["status"] == "suspended" and listed[0]["snapshot"]["runId"] == "snap"
