"""Schemathesis fuzzes every route of the OpenAPI document against a live server: no 5xx, no hang.

Bounded: a few derandomized examples per operation, a timeout on every call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from stepstream.server import build_openapi, create_app
from stepstream.storage import SQLiteStorage

from .flows import make_app

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server in its own thread and event loop (schemathesis calls are blocking)."""
    db = Path(tmp_path_factory.mktemp("fuzz")) / "runs.db"
    config = uvicorn.Config(create_app(make_app(SQLiteStorage(str(db))), auth_token=TOKEN), host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        threading.Event().wait(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    served = httpx.get(f"{url}/api/openapi.json", headers={"authorization": f"Bearer {TOKEN}"}).json()
    assert served == build_openapi(auth=True)  # what is fuzzed is what is served
    yield url
    server.should_exit = True
    thread.join(timeout=10)


schema = schemathesis.openapi.from_dict(build_openapi(auth=True))


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_route_answers_5xx_to_any_input(case: schemathesis.Case[Any], live_url: str) -> None:
    if "{workflow_id}" in case.path and case.path_parameters is not None and case.path_parameters.get("workflow_id", "").startswith("a"):
        case.path_parameters["workflow_id"] = "approval"  # reach past the 404 for a share of the examples
    response = case.call(base_url=live_url, headers={"authorization": f"Bearer {TOKEN}"}, timeout=15)
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
