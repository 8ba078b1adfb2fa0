"""A foreach killed in the middle re-runs only the items that were in flight."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

from .conftest import run_flow
from .flows import ITEMS


def test_sigkill_in_a_foreach_reruns_only_the_items_in_flight(storage_url: str, tmp_path: Path) -> None:
    log = tmp_path / "items.txt"
    first = run_flow("each", storage_url, "each-1", env={"FLOW_LOG": str(log), "KILL_AFTER_ITEMS": "30"}, check=False)
    assert first.returncode == -signal.SIGKILL, first.stderr
    before = Counter(log.read_text().split())
    assert sum(before.values()) >= 30

    restarted = json.loads(run_flow("restart", storage_url, "-", env={"FLOW_LOG": str(log)}).stdout)
    assert [r["status"] for r in restarted] == ["success"], restarted
    # the outputs come back complete and in order
    assert restarted[0]["result"] == [{"n": i * 10} for i in range(ITEMS)]
    runs = Counter(log.read_text().split())
    assert set(runs) == {f"item#{i}" for i in range(ITEMS)}
    rerun = sorted(label for label, count in runs.items() if count > 1)
    # concurrency 4: at most the four items in flight (or finished, not yet stored) run again
    assert len(rerun) <= 4, rerun
