"""A durable run costs one commit per step: the run's insert (its claim) rides with the first
step's write and the final status with the last step's. Commits are counted, not timed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import SQLiteStorage
from tests.engine.matchers import wire

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class CountingConnection(sqlite3.Connection):
    """Counts commits: each COMMIT, and each write statement run outside a transaction."""

    commits = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT" or (not self.in_transaction and sql.lstrip().upper().startswith(_WRITES)):
            CountingConnection.commits += 1
        return super().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if not self.in_transaction and sql.lstrip().upper().startswith(_WRITES):
            CountingConnection.commits += 1
        return super().executemany(sql, *args)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[CountingConnection]]:
    connect = sqlite3.connect

    def counting(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=CountingConnection, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", counting)
    CountingConnection.commits = 0
    yield CountingConnection


def chain(n: int, gate: asyncio.Event | None = None) -> Any:
    async def inc(ctx: StepContext) -> int:
        return int(ctx.input_data) + 1

    async def wait_then_inc(ctx: StepContext) -> int:
        assert gate is not None
        await gate.wait()
        return int(ctx.input_data) + 1

    wf = create_workflow(id=f"chain{n}")
    for i in range(n):
        wf.then(create_step(id=f"s{i}", execute=wait_then_inc if gate is not None and i == 0 else inc))
    return wf.commit()


class NoLog(SQLiteStorage):
    keeps_events = False


@pytest.mark.parametrize("storage_class", [SQLiteStorage, NoLog])
@pytest.mark.parametrize("steps", [1, 3, 10])
async def test_a_durable_run_commits_once_per_step(
    tmp_path: Path, counted: type[CountingConnection], storage_class: type[SQLiteStorage], steps: int
) -> None:
    storage = storage_class(tmp_path / "runs.db", synchronous="FULL")
    async with Stepstream(workflows=[chain(steps)], storage=storage) as app:
        wf = app.get_workflow(f"chain{steps}")
        await (await wf.create_run()).start(input_data=0)  # opens and migrates the database
        for _ in range(3):
            counted.commits = 0
            run = await wf.create_run()
            result = await run.start(input_data=0)
            assert result.status == "success" and result.result == steps
            assert counted.commits == steps
            stored = wire(await wf.get_run(run.run_id))
            assert stored is not None and stored["status"] == "success" and len(stored["steps"]) == steps
            if storage.keeps_events:
                page = await storage.read_events(wf.id, run.run_id)
                assert page is not None and page.events[0].data["type"] == "workflow-start"
                assert page.events[-1].data["type"] == "workflow-finish"


async def test_a_slow_first_step_makes_the_run_visible(tmp_path: Path) -> None:
    """The deferred insert goes out with the slow step's running mark: another process sees the run."""
    gate = asyncio.Event()
    app = Stepstream(workflows=[chain(2, gate)], storage=SQLiteStorage(tmp_path / "runs.db"))
    other = SQLiteStorage(tmp_path / "runs.db")
    try:
        run = await app.get_workflow("chain2").create_run()
        task = asyncio.ensure_future(run.start(input_data=0))
        seen = None
        while seen is None or seen.steps.get("s0") is None:
            await asyncio.sleep(0.02)
            seen = await other.load_run("chain2", run.run_id)
        assert seen.status == "running" and seen.steps["s0"].status == "running"
        assert seen.input == 0
        gate.set()
        assert (await task).result == 2
        final = await other.load_run("chain2", run.run_id)
        assert final is not None and final.status == "success" and list(final.steps) == ["s0", "s1"]
    finally:
        await other.close()
        await app.close()
