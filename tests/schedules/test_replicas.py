"""Several processes, one database, one every-second schedule: each slot fires exactly once.

Real subprocesses (tests/schedules/replica.py) on a real PostgreSQL database
(three replicas) and a real SQLite file (two), for about ten seconds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepstream import RunQuery
from stepstream.app import storage_from_url

from ..durability.conftest import _pg_database

REPLICA = Path(__file__).with_name("replica.py")
SECONDS = 10.0


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _pg_database()


def _run_replicas(url: str, count: int) -> None:
    start_at = time.time() + 4.0  # time for every interpreter to import and connect
    procs = [
        subprocess.Popen(
            [sys.executable, str(REPLICA), url, str(start_at), str(SECONDS), f"replica-{i}"],
            env={**os.environ, "STEPSTREAM_EXECUTOR_ID": f"replica-{i}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    for i, proc in enumerate(procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and f"done replica-{i}" in out, f"replica {i} exited {proc.returncode}\n{out}\n{err}"


async def _check(url: str, replicas: int) -> None:
    storage = storage_from_url(url)
    try:
        triggers, total = await storage.list_triggers("wf_ticker")
        runs, run_total = await storage.list_runs(RunQuery(workflow_id="ticker"))
    finally:
        await storage.close()
    assert total >= SECONDS - 2, f"only {total} fires in {SECONDS:g} s"
    assert [t for t in triggers if t.outcome != "published"] == [], "every fire published, none failed or skipped"
    slots = sorted(t.scheduled_fire_at for t in triggers)
    assert slots == list(range(slots[0], slots[-1] + 1000, 1000)), "every second from the first to the last fired"
    assert Counter(t.run_id for t in triggers).most_common(1)[0][1] == 1, "no slot fired twice"
    assert {t.run_id for t in triggers} == {f"sched_wf_ticker_{s}" for s in slots}
    assert run_total == total and {r.run_id for r in runs} == {t.run_id for t in triggers}, "the audit rows match the runs"
    assert {r.status for r in runs} == {"success"}, Counter(r.status for r in runs)
    owners = Counter((r.owner or "").split(":")[0] for r in runs)
    assert set(owners) <= {f"replica-{i}" for i in range(replicas)}, owners
    print(f"{total} fires over {replicas} replicas: {dict(owners)}")


def test_three_replicas_on_postgres_fire_every_slot_once(pg_url: str) -> None:
    _run_replicas(pg_url, 3)
    asyncio.run(_check(pg_url, 3))


def test_two_replicas_on_one_sqlite_file_fire_every_slot_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    _run_replicas(url, 2)
    asyncio.run(_check(url, 2))
