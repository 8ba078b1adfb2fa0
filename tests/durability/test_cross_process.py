"""Runs that outlive their process: resume elsewhere, exactly-once resume, SIGKILL recovery.

Each test drives real subprocesses (tests/durability/flows.py) against a real
SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stepstream import Stepstream
from stepstream.app import storage_from_url

from .conftest import run_flow
from .flows import build_approval, build_durable

EXPECTED_DURABLE = Counter(["a", "left", "right", "merge", "inc#1", "inc#2", "inc#3", "inc#4", "x", "y", "final"])
DURABLE_RESULT = {"n": 227}


def _log(path: Path) -> Counter[str]:
    return Counter(path.read_text().split()) if path.exists() else Counter()


def _recorded(storage_url: str, run_id: str, status: str = "running") -> set[str]:
    """Log labels of the steps whose success was stored (loop iterations via iterationCount)."""

    async def load() -> set[str]:
        storage = storage_from_url(storage_url)
        try:
            record = await storage.load_run("durable", run_id)
        finally:
            await storage.close()
        assert record is not None and record.status == status, record
        done: set[str] = set()
        for key, step in record.steps.items():
            if step.status != "success":
                continue
            if key == "inc":
                done.update(f"inc#{i}" for i in range(1, (step.metadata or {})["iterationCount"] + 1))
            elif key == "inner":
                done.update({"x", "y"})
            else:
                done.add(key.removeprefix("inner."))
        return done

    return asyncio.run(load())


def _check_recovered(log: Path, recorded: set[str], where: str) -> None:
    """Recorded steps ran exactly once; interrupted ones at most once more; all ran."""
    counts = _log(log)
    assert set(counts) == set(EXPECTED_DURABLE), where
    for label, count in counts.items():
        if label in recorded:
            assert count == 1, f"{where}: {label} was recorded before the crash but ran {count} times"
        else:
            assert count in (1, 2), f"{where}: {label} ran {count} times"


async def test_suspend_in_one_process_resume_in_another(storage_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.txt"
    monkeypatch.setenv("FLOW_LOG", str(log))
    out = run_flow("suspend", storage_url, "order-1", env={"FLOW_LOG": str(log)})
    suspended = json.loads(out.stdout)
    assert suspended["status"] == "suspended"
    assert suspended["suspended"] == [["ask"]]
    assert suspended["suspendPayload"] == {"ask": {"question": "ok 2?"}}

    # A fresh app over the same storage, as after a deploy.
    async with Stepstream(workflows=[build_approval()], storage=storage_from_url(storage_url)) as app:
        wf = app.get_workflow("approval")
        run = await wf.create_run("order-1")
        assert run.status == "suspended"
        stored = await wf.get_run("order-1")
        assert stored is not None and stored.suspended == [["ask"]]
        assert stored.to_dict()["suspendedPaths"] == {"ask": [1]}  # Mastra's position in the graph
        result = await run.resume(resume_data={"answer": "yes"})
    assert result.status == "success"
    assert result.result.n == 50  # (1 + 1 + len("yes")) * 10
    assert result.steps["before"].output == {"n": 2}
    assert _log(log) == Counter(["before", "ask:yes", "after"])


async def test_resume_stream_in_another_process_with_fresh_objects(storage_url: str, tmp_path: Path) -> None:
    run_flow("suspend", storage_url, "order-2")
    async with Stepstream(workflows=[build_approval()], storage=storage_from_url(storage_url)) as app:
        run = await app.get_workflow("approval").create_run("order-2")
        stream = run.resume_stream(resume_data={"answer": "ok"})
        types = [event.type async for event in stream]
        result = await stream.result
    assert types == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    assert result.status == "success"
    assert result.to_dict()["result"] == {"n": 40}


def test_concurrent_resumes_from_many_processes_run_the_rest_once(storage_url: str, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    run_flow("suspend", storage_url, "order-3", env={"FLOW_LOG": str(log)})
    barrier = tmp_path / "go"
    ready = tmp_path / "ready"
    ready.mkdir()
    env = {"FLOW_LOG": str(log), "WAIT_FOR": str(barrier), "READY_DIR": str(ready)}
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(run_flow, "resume", storage_url, "order-3", json.dumps(f"r{i}"), env=env) for i in range(4)]
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < 4 and time.monotonic() < deadline:  # all four wait at the barrier
            time.sleep(0.01)
        barrier.touch()
        outputs = [json.loads(f.result().stdout) for f in futures]
    winners = [o for o in outputs if o.get("status") == "success"]
    refused = [o for o in outputs if "refused" in o]
    assert len(winners) == 1, outputs
    assert len(refused) == 3, outputs
    for o in refused:
        assert o["refused"] in ("ResumeAlreadyClaimedError", "ResumeError")
        assert "resumed by another caller first" in o["message"] or o["message"].startswith("This workflow run was not suspended")
    counts = _log(log)
    assert sum(v for k, v in counts.items() if k.startswith("ask:")) == 1
    assert counts["after"] == 1


def test_sigkill_at_every_step_boundary_then_restart(storage_url: str, tmp_path: Path) -> None:
    k = 0
    boundaries = 0
    while True:
        k += 1
        log = tmp_path / f"log-{k}.txt"
        env = {"FLOW_LOG": str(log), "KILL_AFTER_SAVES": str(k)}
        first = run_flow("run", storage_url, f"crash-{k}", env=env, check=False)
        if first.returncode == 0:
            assert json.loads(first.stdout)["result"] == DURABLE_RESULT
            break
        assert first.returncode == -signal.SIGKILL, first.stderr
        boundaries += 1
        if k == 12:
            # The last step is stored in the run's final write: killed after it, the run is finished.
            assert _recorded(storage_url, f"crash-{k}", "success") == set(EXPECTED_DURABLE)
            assert json.loads(run_flow("restart", storage_url, "-").stdout) == []
            assert _log(log) == EXPECTED_DURABLE
            continue
        recorded = _recorded(storage_url, f"crash-{k}")
        assert len(recorded) >= min(k, 1)
        restarted = json.loads(run_flow("restart", storage_url, "-", env={"FLOW_LOG": str(log)}).stdout)
        assert [r["status"] for r in restarted] == ["success"], restarted
        assert restarted[0]["result"] == DURABLE_RESULT
        _check_recovered(log, recorded, f"kill after save {k}")
        assert k < 50
    # one save per completed step record: a, left, right, merge, inc x4, x, y, inner, and final with the run
    assert boundaries == 12


def test_sigkill_inside_steps_reruns_only_the_interrupted_step(storage_url: str, tmp_path: Path) -> None:
    for i, victim in enumerate(["a", "right", "merge", "inc#3", "y", "final"]):
        log = tmp_path / f"log-{i}.txt"
        first = run_flow("run", storage_url, f"inside-{i}", env={"FLOW_LOG": str(log), "KILL_IN_STEP": victim}, check=False)
        assert first.returncode == -signal.SIGKILL, (victim, first.stderr)
        recorded = _recorded(storage_url, f"inside-{i}")
        assert victim not in recorded
        restarted = json.loads(run_flow("restart", storage_url, "-", env={"FLOW_LOG": str(log)}).stdout)
        assert [r["status"] for r in restarted] == ["success"], (victim, restarted)
        assert restarted[0]["result"] == DURABLE_RESULT
        _check_recovered(log, recorded, f"killed in {victim}")
        assert _log(log)[victim] == 1  # it died before finishing, then ran once


def test_sigkill_inside_a_resumed_step_restarts_it_with_the_accepted_resume_data(storage_url: str, tmp_path: Path) -> None:
    """Before: the restart re-ran `ask` without its resume data, so it suspended again and the
    approval the resume call had accepted was lost."""
    log = tmp_path / "log.txt"
    run_flow("suspend", storage_url, "approve-1", env={"FLOW_LOG": str(log)})
    killed = run_flow(
        "resume", storage_url, "approve-1", json.dumps("yes"), env={"FLOW_LOG": str(log), "KILL_IN_STEP": "ask:resumed"}, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    restarted = json.loads(run_flow("restart", storage_url, "-", env={"FLOW_LOG": str(log)}).stdout)
    assert [r["status"] for r in restarted] == ["success"], restarted
    assert restarted[0]["result"] == {"n": (1 + 1 + len("yes")) * 10}
    assert restarted[0]["steps"]["ask"]["resumePayload"] == {"answer": "yes"}
    assert "resumeLabels" not in restarted[0]  # the pending resume is internal
    assert _log(log) == Counter(["before", "ask:yes", "after"])


async def test_restart_active_runs_ignores_finished_and_suspended_runs(storage_url: str, tmp_path: Path) -> None:
    run_flow("run", storage_url, "done-1")
    run_flow("suspend", storage_url, "waiting-1")
    async with Stepstream(workflows=[build_durable(), build_approval()], storage=storage_from_url(storage_url)) as app:
        assert await app.restart_active_runs() == []
        listed = await app.get_workflow("approval").list_runs(status="suspended")
        assert [r["runId"] for r in listed["runs"]] == ["waiting-1"]
