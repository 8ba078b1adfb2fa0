"""Bad input gets Mastra's status and a JSON body naming the problem, and changes nothing stored."""

from __future__ import annotations

from typing import Any

import httpx

from .wire import stream

APPROVAL = "/api/workflows/approval"


async def _suspended(http: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    result = (await http.post(f"{APPROVAL}/start-async?runId={run_id}", json={"inputData": {"value": "v"}})).json()
    assert result["status"] == "suspended"
    state: dict[str, Any] = (await http.get(f"{APPROVAL}/runs/{run_id}")).json()
    return state


async def _unchanged(http: httpx.AsyncClient, run_id: str, before: dict[str, Any]) -> None:
    after = (await http.get(f"{APPROVAL}/runs/{run_id}")).json()
    assert after == before


async def test_unknown_workflow_and_run(http: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/workflows/nope"),
        ("POST", "/api/workflows/nope/create-run"),
        ("POST", "/api/workflows/nope/stream?runId=x"),
        ("GET", "/api/workflows/nope/runs"),
    ):
        response = await http.request(method, path)
        assert (response.status_code, response.json()) == (404, {"error": "Workflow not found"}), path
    for method, path in (
        ("GET", f"{APPROVAL}/runs/ghost"),
        ("DELETE", f"{APPROVAL}/runs/ghost"),
        ("POST", f"{APPROVAL}/runs/ghost/cancel"),
        ("POST", f"{APPROVAL}/resume-stream?runId=ghost"),
        ("POST", f"{APPROVAL}/resume-async?runId=ghost"),
    ):
        response = await http.request(method, path, json={})
        assert (response.status_code, response.json()) == (404, {"error": "Workflow run not found"}), path
    assert (await http.get("/api/workflows/approval/runs?status=suspended")).json()["total"] == 0


async def test_a_run_of_another_workflow_is_not_found(http: httpx.AsyncClient) -> None:
    await http.post("/api/workflows/chain/start-async?runId=theirs", json={"inputData": {"n": 1}})
    assert (await http.get(f"{APPROVAL}/runs/theirs")).status_code == 404
    assert (await http.post(f"{APPROVAL}/runs/theirs/cancel")).status_code == 404
    assert (await http.get("/api/workflows/chain/runs/theirs")).json()["status"] == "success"


async def test_malformed_json_and_missing_run_id(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{APPROVAL}/stream?runId=m", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request body" and body["issues"][0]["field"] == "body"
    response = await http.post(f"{APPROVAL}/stream", json={"inputData": {"value": "x"}})
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid query parameters" and response.json()["issues"][0]["field"] == "runId"
    response = await http.post(f"{APPROVAL}/stream?runId=m", json={"inputData": {"value": "x"}, "requestContext": "nope"})
    assert response.status_code == 400 and response.json()["issues"][0]["field"] == "requestContext"
    response = await http.get(f"{APPROVAL}/runs?page=abc")
    assert response.status_code == 400 and response.json()["issues"][0]["field"] == "page"
    assert (await http.get(f"{APPROVAL}/runs")).json()["total"] == 0  # nothing stored


async def test_invalid_input_data(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{APPROVAL}/start-async", json={"inputData": {"value": 3}})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid input data") and "value" in response.json()["error"]
    assert (await http.get(f"{APPROVAL}/runs")).json()["total"] == 0  # no stray run, unlike Mastra
    response = await http.post(f"{APPROVAL}/start-async?runId=bad", json={"inputData": {"value": 3}})
    assert response.status_code == 400
    assert (await http.get(f"{APPROVAL}/runs/bad")).json()["status"] == "pending"  # a named run stays, as in Mastra
    recs = await stream(http, f"{APPROVAL}/stream?runId=bad2", {"inputData": {}})
    assert [r["type"] for r in recs] == ["workflow-start", "workflow-finish"]
    finish = recs[-1]["payload"]
    assert finish["workflowStatus"] == "failed" and finish["error"]["code"] == "WORKFLOW_SCHEMA_VALIDATION_FAILED"
    assert (await http.get(f"{APPROVAL}/runs/bad2")).json()["status"] == "pending"


async def test_invalid_resume_data_leaves_the_run_resumable(http: httpx.AsyncClient) -> None:
    before = await _suspended(http, "r1")
    response = await http.post(f"{APPROVAL}/resume-async?runId=r1", json={"step": "approve", "resumeData": {"approved": []}})
    assert response.status_code == 400 and response.json()["error"].startswith("Invalid resume data")
    await _unchanged(http, "r1", before)
    recs = await stream(http, f"{APPROVAL}/resume-stream?runId=r1", {"step": ["approve"], "resumeData": {}})
    assert recs[-1]["payload"]["workflowStatus"] == "failed"
    assert recs[-1]["payload"]["error"]["code"] == "WORKFLOW_SCHEMA_VALIDATION_FAILED"
    await _unchanged(http, "r1", before)
    ok = (await http.post(f"{APPROVAL}/resume-async?runId=r1", json={"step": "approve", "resumeData": {"approved": True}})).json()
    assert ok["status"] == "success"


async def test_unknown_step_and_a_run_that_is_not_suspended(http: httpx.AsyncClient) -> None:
    before = await _suspended(http, "s1")
    response = await http.post(f"{APPROVAL}/resume-async?runId=s1", json={"step": "nope", "resumeData": {"approved": True}})
    assert response.status_code == 400
    assert response.json()["error"] == 'This workflow step "nope" was not suspended. Available suspended steps: [approve]'
    await _unchanged(http, "s1", before)
    await http.post(f"{APPROVAL}/resume-async?runId=s1", json={"resumeData": {"approved": True}})
    done = (await http.get(f"{APPROVAL}/runs/s1")).json()
    response = await http.post(f"{APPROVAL}/resume-async?runId=s1", json={"resumeData": {"approved": True}})
    assert response.status_code == 409 and response.json()["error"].startswith("This workflow run was not suspended")
    recs = await stream(http, f"{APPROVAL}/resume-stream?runId=s1", {"resumeData": {"approved": True}})
    assert recs[-1]["payload"]["workflowStatus"] == "failed"
    await _unchanged(http, "s1", done)


async def test_bad_run_options_are_refused_by_name(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{APPROVAL}/start-async?runId=p", json={"inputData": {"value": "x"}, "perStep": "yes"})
    assert response.status_code == 400 and response.json()["issues"][0]["field"] == "perStep"
    response = await http.post(
        f"{APPROVAL}/start-async?runId=p", json={"inputData": {"value": "x"}, "outputOptions": {"includeStat": True}}
    )
    assert response.status_code == 400 and "output_options: unknown key 'includeStat'" in response.json()["error"]


async def test_unknown_path_and_method(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/nothing/here")).status_code == 404
    response = await http.put(f"{APPROVAL}/stream?runId=x")
    assert response.status_code == 405 and "error" in response.json()
