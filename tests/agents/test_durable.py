"""Agent steps in parallel, foreach and a nested workflow; suspended in one process, resumed in another (SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

FLOWS = Path(__file__).with_name("flows.py")


def _run(action: str, url: str, run_id: str, log: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(FLOWS), action, url, run_id],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLOW_LOG": str(log)},
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def test_agent_steps_suspend_in_one_process_and_resume_in_another(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    log = tmp_path / "calls.txt"
    first = _run("start", url, "research-1", log)
    result = first["result"]
    assert result["status"] == "suspended"
    assert result["suspended"] == [["review", "approve"]]
    draft = "drafter(expander(summarizer(otters)) + expander(critic(otters)))"
    assert result["suspendPayload"]["review"]["draft"] == draft
    assert Counter(log.read_text().split()) == Counter(["summarizer", "critic", "expander", "expander", "drafter"])
    assert first["usage"]["totalTokens"] > 0 and first["chunks"] > 0

    second = _run("resume", url, "research-1", log)
    done = second["result"]
    assert done["status"] == "success"
    assert done["result"] == {"title": f"{draft} [ok]"[:40], "verdict": "approved"}
    # Only the formatter ran in the second process: finished agent steps are not run again.
    assert Counter(log.read_text().split()) == Counter(["summarizer", "critic", "expander", "expander", "drafter", "formatter"])
    assert 0 < second["usage"]["totalTokens"] < first["usage"]["totalTokens"]
    steps = done["steps"]
    assert [steps[k]["status"] for k in ("summarizer", "critic", "expander", "review", "formatter")] == ["success"] * 5
    assert steps["expander"]["output"] == [{"text": "expander(summarizer(otters))"}, {"text": "expander(critic(otters))"}]
