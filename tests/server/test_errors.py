"""Bad input gets Mastra's status and a JSON body naming the problem, and changes nothing stored."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from .conftest import Served
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


def _nested(depth: int) -> dict[str, Any]:
    """`{"a": {"a": ...}}`, `depth` objects deep."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


async def test_a_deeply_nested_body_is_a_bad_body_on_every_route(http: httpx.AsyncClient) -> None:
    from stepstream.server import build_openapi

    deep = b"[" * 100_000  # under the body limit; json.loads gives up on it (RecursionError)
    paths = [(p, m) for p, ops in build_openapi()["paths"].items() for m, op in ops.items() if "requestBody" in op]
    assert len(paths) > 10
    for path, method in paths:
        concrete = path.replace("{workflow_id}", "approval").replace("{run_id}", "r").replace("{schedule_id}", "s")
        response = await http.request(method.upper(), concrete + "?runId=deep", content=deep, headers={"content-type": "application/json"})
        assert response.status_code == 400, (method, path, response.text)
        assert response.json() == {
            "error": "Invalid request body",
            "issues": [{"field": "body", "message": "Nested deeper than 128 levels"}],
        }
    assert (await http.get(f"{APPROVAL}/runs")).json()["total"] == 0


async def test_a_deeply_nested_field_is_refused_by_name_and_changes_nothing(http: httpx.AsyncClient) -> None:
    before = await _suspended(http, "deep1")
    for route, run_id in (("start-async", "deep0"), ("resume-async", "deep1"), ("resume-stream", "deep1")):
        body = {"inputData": {"value": "v"}, "resumeData": {"approved": True}, "requestContext": _nested(900)}
        response = await http.post(f"{APPROVAL}/{route}?runId={run_id}", json=body)
        assert response.status_code == 400, (route, response.text)
        assert response.json()["issues"] == [{"field": "requestContext", "message": "Nested deeper than 128 levels"}]
    assert (await http.get(f"{APPROVAL}/runs/deep0")).status_code == 404
    await _unchanged(http, "deep1", before)
    # Under the limit, deep data works: invalid resume data is refused as such (not a 500), a context is kept.
    response = await http.post(f"{APPROVAL}/resume-async?runId=deep1", json={"resumeData": _nested(120)})
    assert response.status_code == 400 and response.json()["error"].startswith("Invalid resume data")
    await _unchanged(http, "deep1", before)
    response = await http.post(
        f"{APPROVAL}/resume-async?runId=deep1", json={"resumeData": {"approved": True}, "requestContext": _nested(120)}
    )
    assert response.status_code == 200 and response.json()["status"] == "success"


async def test_restart_answers_a_refused_restart_as_restart_async_does(http: httpx.AsyncClient, served: Served) -> None:
    before = await _suspended(http, "rs1")
    waited = await http.post(f"{APPROVAL}/restart-async?runId=rs1", json={})
    refused = await http.post(f"{APPROVAL}/restart?runId=rs1", json={})
    assert waited.status_code == refused.status_code == 409
    assert (
        refused.json()
        == waited.json()
        == {
            "error": "This workflow run was not active: run 'rs1' of workflow 'approval' is 'suspended'",
            "code": "WORKFLOW_RUN_STATE_INVALID",
        }
    )
    await _unchanged(http, "rs1", before)
    # A run left running by a crash: claimed, answered at once, finished in the background.
    assert (await http.post("/api/workflows/chain/start-async?runId=rs2", json={"inputData": {"n": 0}})).json()["status"] == "success"
    await served.app.storage.update_run("chain", "rs2", {"status": "running", "result": None})
    await served.app.storage.delete_steps("chain", "rs2", ["add2", "add3"])
    response = await http.post("/api/workflows/chain/restart?runId=rs2", json={})
    assert (response.status_code, response.json()) == (200, {"message": "Workflow run restarted"})
    for _ in range(500):
        state = (await http.get("/api/workflows/chain/runs/rs2")).json()
        if state["status"] != "running":
            break
        await asyncio.sleep(0.01)
    assert (state["status"], state["result"]) == ("success", {"n": 3})


async def test_time_travel_to_an_unknown_step_is_the_callers_mistake(http: httpx.AsyncClient) -> None:
    before = await _suspended(http, "tt1")
    expected = {
        "error": "Time travel target step not found in execution graph: 'nope'. Verify the step id/path.",
        "code": "WORKFLOW_RUN_STATE_INVALID",
    }
    for route in ("time-travel", "time-travel-async"):
        response = await http.post(f"{APPROVAL}/{route}?runId=tt1", json={"step": "nope", "inputData": {"value": "v"}})
        assert (response.status_code, response.json()) == (400, expected), route
    resume = await http.post(f"{APPROVAL}/resume-async?runId=tt1", json={"step": "nope", "resumeData": {"approved": True}})
    assert resume.status_code == 400 and set(resume.json()) == set(expected)  # the same kind of body as resume's
    await _unchanged(http, "tt1", before)
