"""The `stepstream` command once Temporal's client is loaded: it leaves without interpreter
teardown (temporalio/sdk-python#300 can abort it), keeping its output and its exit code."""

from __future__ import annotations

import subprocess
import sys

_CODE = (
    "import sys\n"
    "import temporalio.bridge.temporal_sdk_bridge\n"
    "import atexit\n"
    "atexit.register(lambda: print('teardown ran'))\n"
    "from stepstream.cli import main\n"
    "sys.argv = ['stepstream', *sys.argv[1:]]\n"
    "main()\n"
)


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _CODE, *args], capture_output=True, text=True, timeout=60)


def test_a_command_that_succeeds_keeps_its_output_and_exits_0_without_teardown() -> None:
    out = _command("--version")
    assert out.returncode == 0, out.stderr
    assert "stepstream" in out.stdout
    assert "teardown ran" not in out.stdout  # atexit handlers are part of the teardown skipped


def test_a_command_that_fails_keeps_its_message_and_exit_code() -> None:
    out = _command("runs", "show", "no-such-run", "--app", "no_such_module:app")
    assert out.returncode not in (0, -6), (out.returncode, out.stderr)
    assert "no_such_module" in out.stderr
    assert "teardown ran" not in out.stdout


def test_without_temporal_the_command_ends_normally() -> None:
    code = _CODE.replace("import temporalio.bridge.temporal_sdk_bridge\n", "")
    out = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "teardown ran" in out.stdout
