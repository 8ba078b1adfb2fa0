"""Observing a run from another process through the event log, and start_async after a crash.

A subprocess (tests/durability/flows.py) runs the durable flow with `start_async`
against a real SQLite file or PostgreSQL database; this process observes it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from stepstream import Stepstream, WorkflowEvent
from stepstream.app import storage_from_url

from .conftest import FLOWS, run_flow
from .flows import build_durable

STEPS = {"a", "left", "right", "merge", "inc", "inner", "final"}


def _start_async(storage_url: str, run_id: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Starts the durable flow with start_async in a child; returns once the run is claimed."""
    proc = subprocess.Popen(
        [sys.executable, str(FLOWS), "start-async", storage_url, run_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        code, err = _finish(proc)
        raise AssertionError(f"start-async printed nothing; exit {code}: {err}")
    assert json.loads(line) == {"runId": run_id}
    return proc


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Waits for the child and closes its pipes: (exit code, stderr)."""
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _check_log(events: list[WorkflowEvent], run_id: str) -> None:
    """One execution's log: offsets 0..n-1, start first, finish last, every step started and settled."""
    assert [e.offset for e in events] == list(range(len(events)))
    assert events[0].type == "workflow-start" and events[-1].type == "workflow-finish"
    assert events[-1].payload["workflowStatus"] == "success"
    assert events[-1].payload["finalWorkflowResult"] == {"n": 227}
    assert all(e.run_id == run_id for e in events)
    started = {e.payload["id"] for e in events if e.type == "workflow-step-start"}
    settled = {e.payload["id"] for e in events if e.type == "workflow-step-result"}
    assert STEPS <= started and STEPS <= settled


async def test_observe_a_run_executing_in_another_process(storage_url: str) -> None:
    proc = _start_async(storage_url, "live-1", {"FLOW_DELAY": "0.03"})
    try:
        async with Stepstream(workflows=[build_durable()], storage=storage_from_url(storage_url)) as app:
            run = await app.get_workflow("durable").create_run("live-1")
            stream = run.observe_stream()
            events = [event async for event in stream]
            result = await stream.result
            # Read again once settled: the same events, as stored.
            again = [event async for event in run.observe_stream()]
    finally:
        code, err = _finish(proc)
        assert code == 0, err
    _check_log(events, "live-1")
    assert [e.to_dict() for e in again] == [e.to_dict() for e in events]
    assert result.status == "success" and result.result == {"n": 227}


async def test_a_reader_that_reconnects_at_the_next_offset_loses_nothing_and_sees_nothing_twice(storage_url: str) -> None:
    proc = _start_async(storage_url, "live-2", {"FLOW_DELAY": "0.03"})
    try:
        async with Stepstream(workflows=[build_durable()], storage=storage_from_url(storage_url)) as app:
            run = await app.get_workflow("durable").create_run("live-2")
            seen: list[WorkflowEvent] = []
            # Three readers in turn, each dropped after a few events, each resuming at the next offset.
            for _ in range(3):
                async with run.observe_stream(offset=len(seen)) as stream:
                    async for event in stream:
                        seen.append(event)
                        if len(seen) % 5 == 0:
                            break
            seen += [event async for event in run.observe_stream(offset=len(seen))]
            whole = [event async for event in run.observe_stream()]
    finally:
        code, err = _finish(proc)
        assert code == 0, err
    _check_log(seen, "live-2")
    assert [e.to_dict() for e in seen] == [e.to_dict() for e in whole]


async def test_start_async_run_killed_mid_run_is_recovered_by_restart_active_runs(storage_url: str, tmp_path: Path) -> None:
    # The child claims the run, returns its id at once, then dies (SIGKILL) after 3 step records.
    proc = _start_async(storage_url, "crash-1", {"KILL_AFTER_SAVES": "3"})
    assert _finish(proc)[0] == -9
    async with Stepstream(workflows=[build_durable()], storage=storage_from_url(storage_url)) as app:
        record = await app.storage.load_run("durable", "crash-1")
        assert record is not None and record.status == "running"
        before = [e async for e in _settled_prefix(app, "crash-1")]
    # A step's events commit with its record: every step stored before the crash has its result logged.
    stored = {key for key, step in record.steps.items() if step.status == "success"}
    logged = {e.payload["id"] for e in before if e.type == "workflow-step-result"}
    assert stored and stored <= logged, (stored, logged)
    out = run_flow("restart", storage_url, "-")
    results: list[dict[str, Any]] = json.loads(out.stdout)
    assert [(r["runId"], r["status"]) for r in results] == [("crash-1", "success")]
    async with Stepstream(workflows=[build_durable()], storage=storage_from_url(storage_url)) as app:
        run = await app.get_workflow("durable").create_run("crash-1")
        events = [event async for event in run.observe_stream()]
        result = await run.observe_stream(offset=len(events)).result
    assert result.status == "success" and result.result == {"n": 227}
    # The crashed execution's events stay first; the restart carries on at the next offset.
    assert [e.offset for e in events] == list(range(len(events)))
    assert [e.to_dict() for e in events[: len(before)]] == [e.to_dict() for e in before]
    starts = [e.offset for e in events if e.type == "workflow-start"]
    assert starts == [0, len(before)], "the restart appends its own workflow-start after the crashed execution's events"
    assert events[-1].type == "workflow-finish" and events[-1].payload["workflowStatus"] == "success"


async def _settled_prefix(app: Stepstream, run_id: str) -> Any:
    """The events the crashed execution managed to store (the run is still `running`)."""
    page = await app.storage.read_events("durable", run_id)
    assert page is not None and page.status == "running"
    assert page.events, "the steps stored before the crash carried their events"
    for logged in page.events:
        yield WorkflowEvent.from_dict(logged.data, logged.offset)
