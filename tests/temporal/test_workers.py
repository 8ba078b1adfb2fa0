"""Worker processes (`stepstream worker APP`) on the session's dev server, PostgreSQL storage.

Two workers share the steps of concurrent runs; a worker SIGKILLed in the middle of a
10-step chain leaves its run to the other one, and no step that finished before the kill
runs again; a run suspended on Temporal is resumed from another process and ends as a
local run does.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from stepstream import Stepstream
from stepstream.storage import InMemoryStorage
from stepstream.storage.postgres import PostgresStorage
from stepstream.temporal import create_worker

from . import flows
from .conftest import DevServer

ROOT = Path(__file__).resolve().parents[2]


class Setup:
    def __init__(self, app: Stepstream, env: dict[str, str]):
        self.app = app
        self.env = env


@pytest.fixture
async def setup(temporal_server: DevServer, pg_dsn: str, pg_schema: str) -> AsyncIterator[Setup]:
    queue = f"workers-{uuid.uuid4().hex[:8]}"
    storage = PostgresStorage(pg_dsn, schema=pg_schema)
    env = {**os.environ, "FLOWS_DSN": pg_dsn, "FLOWS_SCHEMA": pg_schema, "FLOWS_ADDRESS": temporal_server.address, "FLOWS_QUEUE": queue}
    try:
        yield Setup(flows.build_app(storage, temporal_server.address, queue), env)
    finally:
        await storage.close()


@contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen[str]]]:
    """`count` processes running `stepstream worker tests.temporal.flows:app`, polling once this yields."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "stepstream.cli", "worker", "tests.temporal.flows:app"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            assert "polling task queue" in line, f"worker did not start: {line}{proc.stderr.read() if proc.poll() is not None else ''}"
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()


def _journal(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


async def test_two_workers_share_the_steps_of_concurrent_runs(setup: Setup, tmp_path: Path) -> None:
    wf = setup.app.get_workflow("chain")
    with workers(2, setup.env) as procs:
        runs = [await wf.create_run() for _ in range(4)]
        jobs = [{"journal": str(tmp_path / f"j{i}.txt"), "n": 0, "pause": 0.05} for i in range(4)]
        results = await asyncio.gather(*(run.start(job) for run, job in zip(runs, jobs, strict=True)))
    assert [r.status for r in results] == ["success"] * 4
    assert [r.result.n for r in results] == [10] * 4
    pids = {int(entry[-1]) for i in range(4) for entry in _journal(tmp_path / f"j{i}.txt")}
    assert pids == {proc.pid for proc in procs}  # both workers ran steps, and nothing else did


async def test_a_killed_worker_leaves_its_run_to_the_other_one(setup: Setup, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    wf = setup.app.get_workflow("chain")
    with workers(2, setup.env) as procs:
        run = await wf.create_run()
        started = asyncio.ensure_future(run.start({"journal": str(journal), "n": 0, "pause": 0.4}))
        deadline = time.monotonic() + 30
        while not any(entry[:2] == ["end", "3"] for entry in _journal(journal)):
            assert time.monotonic() < deadline, "the chain did not get to step 3"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # step 4 is running now
        before = _journal(journal)
        victim = int(before[-1][-1])
        os.kill(victim, signal.SIGKILL)
        result = await asyncio.wait_for(started, 60)
        assert victim in {proc.pid for proc in procs}
    assert result.status == "success" and result.result.n == 10
    entries = _journal(journal)
    finished_before = {entry[1] for entry in before if entry[0] == "end"}
    assert finished_before >= {"0", "1", "2", "3"}
    for step in finished_before:
        assert sum(entry[:2] == ["start", step] for entry in entries) == 1, f"step {step} ran again after the kill"
    assert {entry[1] for entry in entries if entry[0] == "end"} == {str(i) for i in range(10)}
    survivors = {int(entry[-1]) for entry in entries[len(before) :]}
    assert survivors and victim not in survivors


async def test_a_run_suspended_on_temporal_is_resumed_from_another_process(setup: Setup, tmp_path: Path) -> None:
    job = {"journal": str(tmp_path / "journal.txt"), "n": 4}
    worker = await create_worker(setup.app)
    async with worker:
        run = await setup.app.get_workflow("approval").create_run()
        suspended = await run.start(job)
        assert suspended.status == "suspended"
        resumed = await asyncio.to_thread(_resume_elsewhere, setup.env, run.run_id)
    local = Stepstream(flows.workflows(), storage=InMemoryStorage())
    local_run = await local.get_workflow("approval").create_run()
    await local_run.start(job)
    expected = (await local_run.resume({"ok": True})).to_dict()
    assert resumed["status"] == expected["status"] == "success"
    assert resumed["result"] == expected["result"]
    assert {k: v["status"] for k, v in resumed["steps"].items() if k != "input"} == {
        k: v["status"] for k, v in expected["steps"].items() if k != "input"
    }


def _resume_elsewhere(env: dict[str, str], run_id: str) -> Any:
    """Resumes the run in a new process (the app's client side only) and returns its result's JSON."""
    code = (
        "import asyncio, json, os, sys\n"
        "from tests.temporal.flows import app\n"
        "async def main():\n"
        f"    run = await app.get_workflow('approval').create_run(run_id={run_id!r})\n"
        "    result = await run.resume({'ok': True})\n"
        "    print(json.dumps(result.to_dict()))\n"
        "asyncio.run(main())\n"
        # temporalio/sdk-python#300: the client's Rust threads can abort interpreter teardown
        # (docs/temporal.md, "Short-lived client processes"); leave as docs tell users to.
        "sys.stdout.flush()\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])
