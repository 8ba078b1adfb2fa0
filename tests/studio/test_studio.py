"""Mastra Studio's whole flow in headless Chromium against `stepstream dev`, twice in a row, on SQLite.

`stepstream dev` installs the pinned `mastra` npm package on first use and starts Studio
beside the API; `studio_flow.mjs` (playwright-core driving Debian's chromium) lists the
workflows, checks the graphs, runs, resumes and reloads a run. Screenshots are kept in
`.artifacts/studio/` at the repository root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = ROOT / ".artifacts" / "studio"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (.ci/run installs it)")
    pytest.skip(what)


@dataclass
class Dev:
    process: subprocess.Popen[bytes]
    api: str
    studio: str
    log: Path


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} from stepstream dev:\n{log.read_text(errors='replace')}")


def wait_for_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def start_dev(tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`stepstream dev` with Studio on SQLite in `tmp`, in a session of its own; its log file."""
    log = tmp / "dev.log"
    command = [sys.executable, "-m", "stepstream.cli", "dev", "tests.studio.flows:app", "--port", "0", "--studio-port", "0", "--no-reload"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTREAM_")}
    env["STEPSTREAM_STORAGE_URL"] = f"sqlite:///{tmp / 'runs.db'}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    require(shutil.which("node") is not None and shutil.which("npm") is not None, "Studio needs Node.js (node and npm)")
    require(Path(CHROMIUM).exists(), f"chromium is not installed at {CHROMIUM}: apt-get install chromium")
    require((HERE / "node_modules" / "playwright-core").is_dir(), "playwright-core is not installed: npm ci --prefix tests/studio")
    process, log = start_dev(tmp_path_factory.mktemp("studio"))
    try:
        studio = wait_for_line(log, r"Studio: (http://\S+)", process, timeout=600).group(1)  # first use installs it
        api = wait_for_line(log, r"API: (http://\S+)/api", process, timeout=60).group(1)
        wait_for_http(api + "/api/workflows", timeout=60)
        wait_for_http(studio + "/", timeout=60)
        yield Dev(process, api, studio, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.timeout(900)
def test_studio_whole_flow_twice_in_a_row_on_sqlite(dev: Dev) -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    for round_ in ("1", "2"):
        proc = subprocess.run(
            ["node", str(HERE / "studio_flow.mjs"), dev.studio, str(ARTIFACTS), round_],
            cwd=HERE,
            env={**os.environ, "CHROMIUM_PATH": CHROMIUM},
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = proc.stdout.strip().splitlines()
        summary = json.loads(lines[-1]) if lines else {}
        assert proc.returncode == 0, f"round {round_}: {summary.get('error') or proc.stderr}\nscreenshots: {ARTIFACTS}"
        assert all(c["ok"] for c in summary["checks"]) and len(summary["checks"]) >= 12, summary
    shots = sorted(p.name for p in ARTIFACTS.glob("round2-*.png"))
    assert "round2-07-stored-run.png" in shots, shots
    assert dev.process.poll() is None, dev.log.read_text()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.timeout(900)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_studio_ends_with_the_dev_server(tmp_path: Path, sig: signal.Signals) -> None:
    """Studio runs in a session of its own, so it does not get the server's signals: it still
    ends when the server does, stopped on a SIGTERM, and by the kernel on a SIGKILL."""
    require(shutil.which("node") is not None and shutil.which("npm") is not None, "Studio needs Node.js (node and npm)")
    process, log = start_dev(tmp_path)
    try:
        studio = wait_for_line(log, r"Studio: (http://\S+)", process, timeout=600).group(1)
        wait_for_http(studio + "/", timeout=60)
        os.killpg(process.pid, sig)
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _answers(studio + "/") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(studio + "/"), f"Studio at {studio} outlived the server ({sig.name})"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
