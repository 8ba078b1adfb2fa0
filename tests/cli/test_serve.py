"""`stepstream serve` and `stepstream dev` as processes: they serve the API, `dev` reloads on a code
change, and without Node.js `dev` says so plainly and serves the API alone."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import APP, ROOT, Cli, cli_env, one_error_line
from tests.cli.served import Served

FLOW_MODULE = """
from stepstream import Stepstream, create_step, create_workflow

step = create_step(id="s", execute=lambda ctx: ctx.input_data)
app = Stepstream(workflows=[create_workflow(id="{name}").then(step).commit()])
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for s in started:
        if s.process.poll() is None:
            s.stop()


def test_serve_answers_the_api_and_stops_cleanly(served: list[Served], storage_url: str, tmp_path: Path) -> None:
    server = Served(["serve", APP, "--port", "0"], ROOT, cli_env(storage_url), tmp_path / "serve.log")
    served.append(server)
    assert sorted(server.get("/api/workflows")) == ["batch", "broken", "quick", "tour"]
    assert server.get("/api/auth/capabilities") == {"enabled": False, "login": None}
    assert server.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after shutting down
    assert "Application shutdown complete" in server.log.read_text()
    assert "Studio" not in server.log.read_text()


def test_dev_reloads_when_the_code_changes(served: list[Served], tmp_path: Path, storage_url: str) -> None:
    (tmp_path / "myflows.py").write_text(FLOW_MODULE.format(name="first"))
    env = cli_env(storage_url)
    env.pop("PYTHONPATH")
    server = Served(["dev", "myflows:app", "--port", "0", "--no-studio"], tmp_path, env, tmp_path / "dev.log")
    served.append(server)
    assert list(server.get("/api/workflows")) == ["first"]
    (tmp_path / "myflows.py").write_text(FLOW_MODULE.format(name="second"))
    deadline = time.monotonic() + 60
    while list(server.get("/api/workflows")) != ["second"]:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.2)


def test_dev_without_node_says_so_and_serves_the_api_alone(served: list[Served], storage_url: str, tmp_path: Path) -> None:
    env = cli_env(storage_url) | {"PATH": str(Path(sys.executable).parent)}  # a PATH without node
    server = Served(["dev", APP, "--port", "0", "--no-reload"], ROOT, env, tmp_path / "dev.log")
    served.append(server)
    assert "tour" in server.get("/api/workflows")
    assert "Studio needs Node.js (node and npm on PATH)" in server.log.read_text()
    assert "serving the API alone" in server.log.read_text()


def test_serve_refuses_a_bad_app_before_listening(cli: Cli) -> None:
    one_error_line(cli("serve", "tests.cli.flows:nope", "--port", "0"), "has no attribute 'nope'")
    one_error_line(cli("dev", "--port", "0", "--no-studio"), "No app given")


TICKER_MODULE = """
from stepstream import Stepstream, create_step, create_workflow

tick = create_step(id="tick", execute=lambda ctx: ctx.input_data)
every_second = {"cron": "* * * * * *", "timezone": "UTC", "input_data": {"label": "tick"}}
app = Stepstream(workflows=[create_workflow(id="ticker", schedule=every_second).then(tick).commit()])
"""


@pytest.mark.parametrize("command", [["serve"], ["dev", "--no-reload", "--no-studio"]])
def test_serve_and_dev_fire_declared_schedules(served: list[Served], tmp_path: Path, storage_url: str, command: list[str]) -> None:
    (tmp_path / "ticking.py").write_text(TICKER_MODULE)
    env = cli_env(storage_url)
    env.pop("PYTHONPATH")
    server = Served([*command, "ticking:app", "--port", "0"], tmp_path, env, tmp_path / "tick.log")
    served.append(server)
    deadline = time.monotonic() + 60
    while (runs := server.get("/api/workflows/ticker/runs"))["total"] < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runs["total"] >= 2, runs
    assert {r["runId"].split("_")[0] for r in runs["runs"]} == {"sched"}  # runs the scheduler started
    assert {r["status"] for r in runs["runs"]} <= {"success", "running"}
