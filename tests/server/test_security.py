"""The bearer token, CORS for Studio, the body limit, and runs bound to the caller's resource."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request

from stepstream.storage import SQLiteStorage

from .conftest import Served, serve
from .flows import make_app

TOKEN = "s3cret-token"


@pytest.fixture
async def guarded(db_path: str) -> AsyncIterator[Served]:
    s = await serve(make_app(SQLiteStorage(db_path)), auth_token=TOKEN, max_body_bytes=1000, cors_origins=["http://localhost:4111"])
    yield s
    await s.stop()


async def test_every_route_but_health_needs_the_token(guarded: Served) -> None:
    async with httpx.AsyncClient(base_url=guarded.url) as http:
        doc = (await http.get("/api/openapi.json", headers={"authorization": f"Bearer {TOKEN}"})).json()
        assert doc["paths"]
        for path, ops in doc["paths"].items():
            concrete = path.replace("{workflow_id}", "approval").replace("{run_id}", "r")
            for method in ops:
                for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}):
                    response = await http.request(method.upper(), concrete + "?runId=r", headers=headers)
                    if path == "/api/health":
                        assert response.status_code == 200
                    else:
                        assert response.status_code == 401, (method, path, headers)
                        assert response.json() == {"error": "Invalid or expired token"}
        ok = await http.get("/api/workflows", headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "approval" in ok.json()
        caps = await http.get("/api/auth/capabilities", headers={"authorization": f"Bearer {TOKEN}"})
        assert caps.json()["enabled"] is True


async def test_the_auth_scheme_name_is_case_insensitive(guarded: Served) -> None:
    async with httpx.AsyncClient(base_url=guarded.url) as http:
        for header in (f"bearer {TOKEN}", f"BEARER {TOKEN}", f"BeArEr  {TOKEN}"):  # RFC 7235: any case, 1+ spaces
            response = await http.get("/api/workflows", headers={"authorization": header})
            assert response.status_code == 200 and "approval" in response.json(), header
        for header in (f"bearer {TOKEN}x", f"Basic {TOKEN}", f"bearer{TOKEN}", "bearer", f"{TOKEN}"):
            response = await http.get("/api/workflows", headers={"authorization": header})
            assert (response.status_code, response.json()) == (401, {"error": "Invalid or expired token"}), header


async def test_cors_echoes_an_allowed_origin_with_credentials(guarded: Served) -> None:
    async with httpx.AsyncClient(base_url=guarded.url) as http:
        preflight = await http.options(
            "/api/workflows",
            headers={
                "origin": "http://localhost:4111",
                "access-control-request-method": "GET",
                "access-control-request-headers": "authorization",
            },
        )
        assert preflight.status_code == 204  # no token needed for a preflight
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:4111"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "authorization" in preflight.headers["access-control-allow-headers"]
        answer = await http.get("/api/workflows", headers={"origin": "http://localhost:4111", "authorization": f"Bearer {TOKEN}"})
        assert answer.headers["access-control-allow-origin"] == "http://localhost:4111"
        denied = await http.get("/api/workflows", headers={"origin": "http://evil.example", "authorization": f"Bearer {TOKEN}"})
        assert denied.status_code == 200 and "access-control-allow-origin" not in denied.headers
        unauthorized = await http.get("/api/workflows", headers={"origin": "http://localhost:4111"})
        assert unauthorized.status_code == 401 and unauthorized.headers["access-control-allow-origin"] == "http://localhost:4111"


async def test_a_body_over_the_limit_gets_413_and_stores_nothing(guarded: Served) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    big = {"inputData": {"value": "x" * 2000}}
    async with httpx.AsyncClient(base_url=guarded.url, headers=auth) as http:
        response = await http.post("/api/workflows/approval/stream?runId=big", json=big)
        assert (response.status_code, response.json()) == (413, {"error": "Request body too large"})

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
            yield b'{"inputData": {"value": "'
            for _ in range(30):
                yield b"x" * 100
            yield b'"}}'

        response = await http.post(
            "/api/workflows/approval/start-async?runId=big2", content=chunked(), headers={"content-type": "application/json"}
        )
        assert (response.status_code, response.json()) == (413, {"error": "Request body too large"})
        assert (await http.get("/api/workflows/approval/runs")).json()["total"] == 0


async def test_runs_are_bound_to_the_callers_resource(db_path: str) -> None:
    def tenant(request: Request) -> str | None:
        return request.headers.get("x-tenant")

    s = await serve(make_app(SQLiteStorage(db_path)), resource_id=tenant)
    try:
        async with httpx.AsyncClient(base_url=s.url) as http:
            a = {"x-tenant": "a"}
            b = {"x-tenant": "b"}
            await http.post("/api/workflows/approval/start-async?runId=mine", json={"inputData": {"value": "v"}}, headers=a)
            assert (await http.get("/api/workflows/approval/runs/mine", headers=a)).json()["resourceId"] == "a"
            assert (await http.get("/api/workflows/approval/runs/mine", headers=b)).status_code == 404
            assert (await http.post("/api/workflows/approval/runs/mine/cancel", headers=b)).status_code == 404
            resumed = await http.post("/api/workflows/approval/resume-async?runId=mine", json={"resumeData": {"approved": True}}, headers=b)
            assert resumed.status_code == 404
            hijack = await http.post("/api/workflows/approval/stream?runId=mine", json={"inputData": {"value": "v"}}, headers=b)
            assert hijack.status_code == 404
            assert (await http.get("/api/workflows/approval/runs", headers=b)).json()["total"] == 0
            assert (await http.get("/api/workflows/approval/runs", headers=a)).json()["total"] == 1
            assert (await http.get("/api/workflows/approval/runs/mine", headers=a)).json()["status"] == "suspended"
    finally:
        await s.stop()
