"""`stepstream serve` and `stepstream dev` as processes: they serve the API, `dev` reloads on a code
change, and without Node.js `dev` says so plainly and serves the API alone."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import APP, ROOT, Cli, cli_env, one_error_line

FLOW_MODULE = """
from stepstream import Stepstream, create_step, create_workflow

step = create_step(id="s", execute=lambda ctx: ctx.input_data)
app = Stepstream(workflows=[create_workflow(id="{name}").then(step).commit()])
"""


class Served:
    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], log: Path):
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "stepstream.cli", *args],
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.api = self.wait_for(r"API: (http://\S+)/api").group(1)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log.read_text(errors="replace"))
            if found:
                return found
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r}:\n{self.log.read_text()}")

    def get(self, path: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.api + path, timeout=5) as response:
                    return json.loads(response.read())
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> int:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


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
