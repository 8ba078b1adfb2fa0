"""The terminal path of `stepstream run`/`resume`, driven in a real tmux pane: live step lines
with indentation, writer output, a foreach progress bar, and resume data asked field by field."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.cli.conftest import APP, ROOT, Cli, cli_env, json_lines


class Pane:
    """A detached tmux session running one command."""

    def __init__(self, command: list[str], env: dict[str, str]):
        self.name = "ss-cli-" + uuid.uuid4().hex[:8]
        line = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + shlex.join(command) + "; echo EXIT=$?; sleep 600"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "160", "-y", "50", "-c", str(ROOT), "env -i " + line], check=True
        )

    def screen(self) -> str:
        proc = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t", self.name], capture_output=True, text=True, check=True
        )
        return proc.stdout

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def pane_env(storage_url: str) -> dict[str, str]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is not installed (.ci/run installs it)")
        pytest.skip("tmux is not installed: apt-get install tmux")
    env = cli_env(storage_url)
    env.pop("NO_COLOR")
    return {
        "TERM": "xterm-256color",
        "PATH": env.get("PATH", ""),
        **{k: v for k, v in env.items() if k.startswith(("STEPSTREAM_", "PYTHON"))},
    }


@pytest.fixture
def panes(pane_env: dict[str, str]) -> Iterator[list[Pane]]:
    opened: list[Pane] = []
    yield opened
    for pane in opened:
        pane.close()


def open_pane(panes: list[Pane], env: dict[str, str], *args: str) -> Pane:
    pane = Pane([sys.executable, "-m", "stepstream.cli", *args], env)
    panes.append(pane)
    return pane


def test_run_in_a_terminal_shows_steps_live_and_asks_for_resume_data(panes: list[Pane], pane_env: dict[str, str]) -> None:
    pane = open_pane(panes, pane_env, "run", APP, "tour", "--input", '{"item": "book"}')
    screen = pane.wait_for("approved (boolean)")
    lines = screen.splitlines()
    assert "  ▸ check" in lines and '    │ {"checking": "book"}' in lines
    assert "    ▸ price" in lines and "    ▸ stock" in lines  # parallel: indented under the workflow
    assert "    ▸ boxing.pack" in lines  # nested: indented
    assert any(line.startswith("  ✓ double ") for line in lines)
    assert '    payload: {"question": "ship it?", "items": [0, 2, 4, 6]}' in lines
    pane.type("maybe")
    pane.wait_for("✗ approved: Input should be a valid boolean")
    pane.type("true")
    pane.wait_for("amount (integer, how many to ship)")
    pane.type("500")
    pane.wait_for("✗ amount: Input should be less than or equal to 100")
    pane.type("")
    pane.wait_for("✗ amount: an answer is required")
    pane.type("7")
    screen = pane.wait_for("EXIT=")
    assert "EXIT=0" in screen
    assert "✓ success" in screen and '{"item": "book:True:7"}' in screen


def test_foreach_shows_a_progress_bar_while_items_run(panes: list[Pane], pane_env: dict[str, str]) -> None:
    pane = open_pane(panes, pane_env, "run", APP, "batch", "--input", "[1, 2, 3, 4, 5, 6]")
    screen = pane.wait_for("/6")
    bar = next(line for line in screen.splitlines() if "/6" in line)
    assert "slow-item" in bar and "━" in bar
    screen = pane.wait_for("EXIT=")
    assert "EXIT=0" in screen and "[2, 3, 4, 5, 6, 7]" in screen
    assert not any("/6" in line for line in screen.splitlines()), "the bar goes away when the step ends"


def test_resume_in_a_terminal_asks_for_the_data_and_ctrl_c_leaves_the_run_suspended(
    cli: Cli, panes: list[Pane], pane_env: dict[str, str], storage_url: str
) -> None:
    proc = cli("run", APP, "tour", "--input", '{"item": "pen"}', "--json")
    run_id = json_lines(proc.stdout)[0]["runId"]
    pane = open_pane(panes, pane_env, "resume", run_id, "--app", APP)
    pane.wait_for("approved (boolean)")
    subprocess.run(["tmux", "send-keys", "-t", pane.name, "C-c"], check=True)
    screen = pane.wait_for("EXIT=")
    assert "EXIT=2" in screen and f"stepstream resume {run_id}" in screen
    pane = open_pane(panes, pane_env, "resume", run_id, "--app", APP)
    pane.wait_for("approved (boolean)")
    pane.type("perhaps")
    pane.wait_for("✗ approved")
    pane.type("false")
    pane.wait_for("amount (integer")
    pane.type("2")
    screen = pane.wait_for("EXIT=")
    assert "EXIT=0" in screen and "pen:False:2" in screen
    assert "success" in cli("runs", "show", run_id, env=cli_env(storage_url)).stdout


def test_resume_over_url_asks_field_by_field_from_the_servers_json_schema(
    cli: Cli, panes: list[Pane], pane_env: dict[str, str], server_url: str
) -> None:
    proc = cli("run", "tour", "--input", '{"item": "mug"}', "--url", server_url, "--json")
    assert proc.returncode == 2, proc.stderr
    run_id = json_lines(proc.stdout)[0]["runId"]
    pane = open_pane(panes, pane_env, "resume", run_id, "--url", server_url)
    pane.wait_for("approved (boolean)")
    pane.type("maybe")
    pane.wait_for("✗ approved: 'maybe' is not of type 'boolean'")
    pane.type("true")
    pane.wait_for("amount (integer, how many to ship)")
    pane.type("500")
    pane.wait_for("✗ amount: 500 is greater than the maximum of 100")
    pane.type("7")
    screen = pane.wait_for("EXIT=")
    assert "EXIT=0" in screen and "mug:True:7" in screen
