"""The benchmark harness (bench/run.py) keeps working, and the README's speed table is RESULTS.md's.

Smoke mode only: stepstream's side of every measure at tiny sizes, in seconds. No timing is
judged here (speed is judged by `python bench/run.py --check`, side by side with the peers).
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench:readme-table:start"
END = "<!-- bench:readme-table:end -->"


def _block(text: str) -> str:
    match = re.search(re.escape(START) + r".*?" + re.escape(END), text, re.S)
    assert match, "no bench:readme-table block"
    return match.group(0)


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "bench/run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_smoke_runs_every_measure_and_writes_the_report(tmp_path: Path) -> None:
    proc = _bench("--smoke", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    measures = results["measures"]
    expected = {
        "chain",
        "run3",
        "durable",
        "commits",
        "resume",
        "resume_fresh",
        "fanout_parallel",
        "fanout_foreach",
        "foreach_resume",
        "stream",
        "fairness",
        "bytes",
        "floor",
    }
    assert expected <= set(measures)
    for name, rows in measures.items():
        for row in rows:
            assert row["engine"] == "stepstream", row
            assert row["error"] is None, (name, row)
            assert row["samples"] and all(len(v) > 0 for v in row["samples"].values()), (name, row)
    durable = {row["variant"] for row in measures["durable"]}
    assert {"stepstream SQLite NORMAL", "stepstream SQLite FULL", "stepstream PostgreSQL"} <= durable
    stream = measures["stream"][0]["samples"]
    assert set(stream) == {"ttfe", "events_per_s", "stall", "stall_held", "total"}
    chain = {row["variant"] for row in measures["chain"]}
    assert {"stepstream async", "stepstream sync (thread)", "stepstream sync (inline)"} <= chain
    assert all(row["samples"]["commits"][0] >= 1 for row in measures["commits"])
    fairness = {row["variant"]: row["samples"] for row in measures["fairness"]}
    assert len(fairness) == 3 and all(set(s) == {"s", "stall", "stall_held"} for s in fairness.values())
    report = (tmp_path / "RESULTS.md").read_text()
    for heading in ("## Machine", "## Durability, like for like", "## Targets (`--check`)", "## (a) Per-step overhead", "## (j) The floor"):
        assert heading in report
    assert _block(report).count("\n|") >= 3
    for png in ("chain.png", "fanout.png", "durable.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_check_fails_when_targets_are_not_measured(tmp_path: Path) -> None:
    """A smoke run measures no peer, so --check on it cannot pass: unmeasured is not met."""
    assert _bench("--smoke", "--out", str(tmp_path)).returncode == 0
    proc = _bench("--check", "--from", str(tmp_path / "results.json"), "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[n/a] per step ≤ 1/2.5 of pydantic-graph 1.x" in proc.stdout
    assert "target(s) missed or unmeasured" in proc.stdout


def test_readme_speed_table_is_the_one_in_results_md() -> None:
    readme = (ROOT / "README.md").read_text()
    results = (ROOT / "bench" / "RESULTS.md").read_text()
    assert _block(readme) == _block(results), "README.md's speed table drifted from bench/RESULTS.md: rerun python bench/run.py"


def test_a_smoke_run_never_waits_for_a_quiet_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A smoke run judges no timing, so it does not wait for the CPUs to go quiet before a
    measure: on a busy machine each wait lasted its whole limit, and the smoke run outlasted
    its test's timeout. A full run still waits (after the workers start, before each measure)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    workers = importlib.import_module("harness.workers")
    waits: list[bool] = []
    monkeypatch.setattr(workers, "wait_until_quiet", lambda: waits.append(True))
    for smoke, expected in ((True, 0), (False, 2)):
        waits.clear()
        sampler = workers.Sampler([], smoke=smoke)
        sampler.run([], 1)
        sampler.close()
        assert len(waits) == expected, (smoke, waits)
