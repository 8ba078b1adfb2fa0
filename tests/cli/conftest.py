"""Runs the `stepstream` command in a subprocess, on a fresh SQLite file per test."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.cli.flows:app"

Cli = Callable[..., subprocess.CompletedProcess[str]]


def cli_env(storage_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTREAM_")}
    env.update({"STEPSTREAM_STORAGE_URL": storage_url, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    return env


@pytest.fixture
def storage_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


@pytest.fixture
def cli(storage_url: str, tmp_path: Path) -> Cli:
    """`cli("run", APP, "tour", "--input", "{...}")` -> the finished process (stdin closed)."""

    def call(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stepstream.cli", *args],
            cwd=ROOT,
            env=env or cli_env(storage_url),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )

    return call


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def fire_suspending_schedule(cli: Cli, schedule_id: str, where: str, value: str) -> None:
    """`schedules run` of a schedule of the `tour` flow (its run suspends) exits 2 with the resume
    command (`where` is `--app` or `--url`, naming `value`), and that command finishes the run."""
    fired = cli("schedules", "run", schedule_id, where, value)
    assert fired.returncode == 2, fired.stdout + fired.stderr
    assert fired.stdout.startswith(f"Fired schedule {schedule_id}: run sched_{schedule_id}_")
    assert fired.stdout.strip().endswith(" suspended")
    run_id = fired.stdout.split(": run ")[1].split()[0]
    assert f"Run {run_id} is suspended at approve" in fired.stderr
    command = shlex.split(fired.stderr.splitlines()[-1])
    assert command[:3] == ["stepstream", "resume", run_id] and command[command.index(where) + 1] == value
    resumed = cli(*command[1:-1], '{"approved": true, "amount": 7}')
    assert resumed.returncode == 0 and "map:True:7" in resumed.stdout, resumed.stderr


def one_error_line(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Asserts a failed command printed exactly one `Error: ...` line naming the problem."""
    assert proc.returncode != 0, proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`stepstream serve` of the test app on loopback (port 0), on its own SQLite file: the URL."""
    from tests.cli.served import Served

    where = tmp_path_factory.mktemp("server")
    server = Served(["serve", APP, "--port", "0"], ROOT, cli_env(f"sqlite:///{where / 'server.db'}"), where / "serve.log")
    yield server.api
    server.stop()
