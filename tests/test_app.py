"""`Stepstream`: storage selection, the workflow registry, run management, storage faults."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    StepContext,
    Stepstream,
    StorageError,
    WorkflowDefinitionError,
    WorkflowNotFoundError,
    create_step,
    create_workflow,
    step,
)
from stepstream.app import storage_from_url
from stepstream.results import StepResult
from stepstream.storage import InMemoryStorage, PostgresStorage, SQLiteStorage
from stepstream.storage.base import RunChanges
from tests.engine.matchers import wire


class N(BaseModel):
    n: int


def chain(wf_id: str = "wf", calls: Counter[str] | None = None) -> Any:
    def make(i: str) -> Any:
        def execute(ctx: StepContext) -> N:
            if calls is not None:
                calls[i] += 1
            return N(n=ctx.input_data.n + 1)

        return create_step(id=i, input_schema=N, output_schema=N, execute=execute)

    return create_workflow(id=wf_id, input_schema=N, output_schema=N).then(make("a")).then(make("b")).then(make("c")).commit()


def test_default_storage_is_sqlite_under_dot_stepstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEPSTREAM_STORAGE_URL", raising=False)
    app = Stepstream(workflows=[chain()])
    assert isinstance(app.storage, SQLiteStorage)
    assert app.storage.path == os.path.join(".stepstream", "stepstream.db")
    assert not (tmp_path / ".stepstream").exists()  # nothing is created by merely building the app


async def test_default_storage_folder_appears_at_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEPSTREAM_STORAGE_URL", raising=False)
    app = Stepstream(workflows=[chain()])
    assert not (tmp_path / ".stepstream").exists()
    try:
        await (await app.get_workflow("wf").create_run("r1")).start(input_data={"n": 0})
    finally:
        await app.close()
    assert (tmp_path / ".stepstream" / "stepstream.db").is_file()


async def test_default_storage_persists_runs_across_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEPSTREAM_STORAGE_URL", raising=False)
    async with Stepstream(workflows=[chain()]) as app:
        result = await (await app.get_workflow("wf").create_run("r1")).start(input_data={"n": 0})
        assert result.result == N(n=3)
    async with Stepstream(workflows=[chain()]) as again:
        stored = wire(await again.get_workflow("wf").get_run("r1"))
    assert stored is not None and stored["status"] == "success" and stored["result"] == {"n": 3}
    assert (tmp_path / ".stepstream" / "stepstream.db").stat().st_size > 0


@pytest.mark.parametrize(
    ("url", "kind", "path"),
    [
        ("sqlite:///relative.db", SQLiteStorage, "relative.db"),
        ("sqlite:////abs/runs.db", SQLiteStorage, "/abs/runs.db"),
        ("sqlite://:memory:", SQLiteStorage, ":memory:"),
        ("memory://", InMemoryStorage, None),
        ("postgresql://postgres@127.0.0.1/db", PostgresStorage, None),
        ("postgres://postgres@127.0.0.1/db", PostgresStorage, None),
    ],
)
def test_storage_urls(url: str, kind: type, path: str | None) -> None:
    storage = storage_from_url(url)
    assert isinstance(storage, kind)
    if path is not None:
        assert storage.path == path  # type: ignore[attr-defined]


def test_env_url_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_STORAGE_URL", "memory://")
    assert isinstance(Stepstream(workflows=[chain()]).storage, InMemoryStorage)


def test_unknown_storage_url_names_the_url() -> None:
    with pytest.raises(Exception, match="Unknown storage URL 'redis://x'"):
        storage_from_url("redis://x")


def test_registry_commits_binds_and_finds_workflows() -> None:
    storage = InMemoryStorage()
    loose = create_workflow(id="loose").then(create_step(id="s", execute=lambda ctx: 1))
    assert not loose.committed
    app = Stepstream(workflows={"alias": chain(), "loose": loose}, storage=storage)
    assert loose.committed
    assert app.get_workflow("alias").id == "wf"
    assert app.get_workflow("wf") is app.get_workflow("alias")
    assert app.get_workflow("loose").storage is storage
    with pytest.raises(WorkflowNotFoundError, match="Workflow 'nope' not found; registered: alias, loose, wf"):
        app.get_workflow("nope")
    with pytest.raises(WorkflowDefinitionError, match="Stepstream takes workflows; got Step"):
        # a Step on purpose; mypy thinks this line unreachable (it keeps `loose.committed` narrowed), hence unused-ignore
        Stepstream(workflows=[create_step(id="s", execute=lambda ctx: 1)], storage=storage)  # type: ignore[list-item, unused-ignore]


async def test_list_get_delete_runs(tmp_path: Path) -> None:
    app = Stepstream(workflows=[chain()], storage=SQLiteStorage(tmp_path / "runs.db"))
    async with app:
        wf = app.get_workflow("wf")
        for i in range(5):
            run = await wf.create_run(f"r{i}", resource_id="user-1" if i % 2 else "user-2")
            await run.start(input_data={"n": i})
        await wf.create_run("pending-1")
        listed = await wf.list_runs()
        assert listed["total"] == 6
        assert next(r["runId"] for r in listed["runs"]) == "pending-1"  # newest first
        assert {r["status"] for r in listed["runs"]} == {"success", "pending"}
        assert (await wf.list_runs(status="pending"))["total"] == 1
        assert (await wf.list_runs(status=["success", "pending"]))["total"] == 6
        by_user = await wf.list_runs(resource_id="user-1")
        assert sorted(r["runId"] for r in by_user["runs"]) == ["r1", "r3"]
        page = await wf.list_runs(page=1, per_page=4)
        assert page["total"] == 6 and len(page["runs"]) == 2
        future = datetime.now(UTC) + timedelta(days=1)
        assert (await wf.list_runs(from_date=future))["total"] == 0
        assert (await wf.list_runs(to_date=future))["total"] == 6
        with pytest.raises(ValueError, match="per_page must be a positive integer, got 0"):
            await wf.list_runs(page=0, per_page=0)

        state = wire(await wf.get_run("r2"))
        assert state is not None
        assert state["status"] == "success"
        assert state["payload"] == {"n": 2}
        assert state["result"] == {"n": 5}
        assert state["resourceId"] == "user-2"
        assert list(state["steps"]) == ["a", "b", "c"]
        assert state["steps"]["c"]["output"] == {"n": 5}

        assert await wf.delete_run("r2") is True
        assert await wf.get_run("r2") is None
        assert await wf.delete_run("r2") is False
        assert (await wf.list_runs())["total"] == 5


async def test_get_run_flattens_nested_steps_and_can_leave_them_out() -> None:
    inner = (
        create_workflow(id="inner", input_schema=N, output_schema=N)
        .then(create_step(id="x", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n * 2)))
        .commit()
    )
    outer = create_workflow(id="outer", input_schema=N, output_schema=N).then(inner).commit()
    app = Stepstream(workflows=[outer], storage=InMemoryStorage())
    run = await app.get_workflow("outer").create_run("r")
    await run.start(input_data={"n": 4})
    full = wire(await app.get_workflow("outer").get_run("r"))
    top = wire(await app.get_workflow("outer").get_run("r", with_nested_workflows=False))
    assert full is not None and top is not None
    assert list(full["steps"]) == ["inner.x", "inner"]
    assert full["steps"]["inner.x"]["output"] == {"n": 8}
    assert list(top["steps"]) == ["inner"]


class FailingSaves(InMemoryStorage):
    """Fails `save_step` for one step key (a disk that fills up, a dropped connection)."""

    def __init__(self, fail_on: str):
        super().__init__()
        self.fail_on = fail_on

    async def save_step(
        self, workflow_id: str, run_id: str, key: str, record: StepResult, changes: RunChanges | None = None, **kwargs: Any
    ) -> bool:
        if key == self.fail_on:
            raise StorageError(f"disk full while writing {key}")
        return await super().save_step(workflow_id, run_id, key, record, changes, **kwargs)


async def test_a_storage_error_fails_the_run_with_its_cause_and_stops_it() -> None:
    calls: Counter[str] = Counter()
    app = Stepstream(workflows=[chain(calls=calls)], storage=FailingSaves("a"))
    run = await app.get_workflow("wf").create_run("r")
    result = await run.start(input_data={"n": 0})
    assert result.status == "failed"
    assert result.error is not None and result.error["message"] == "disk full while writing a"
    assert result.error["name"] == "StorageError"
    assert calls == Counter({"a": 1})  # b and c never ran: a's result was not stored
    stored = await app.storage.load_run("wf", "r")
    assert stored is not None and stored.status == "failed" and "a" not in stored.steps


class DeadStorage(InMemoryStorage):
    """Accepts the start, then refuses every write."""

    async def save_step(self, *args: Any, **kwargs: Any) -> bool:
        raise StorageError("connection lost")

    async def update_run(self, workflow_id: str, run_id: str, changes: RunChanges, **kwargs: Any) -> bool:
        if changes.get("status") == "running":
            return await super().update_run(workflow_id, run_id, changes, **kwargs)
        raise StorageError("connection lost")


async def test_when_even_the_final_write_fails_start_raises_and_the_run_stays_restartable() -> None:
    app = Stepstream(workflows=[chain()], storage=DeadStorage())
    run = await app.get_workflow("wf").create_run("r")
    with pytest.raises(StorageError, match="ended 'failed' but its final status could not be stored: connection lost"):
        await run.start(input_data={"n": 0})
    stored = await app.storage.load_run("wf", "r")
    assert stored is not None and stored.status == "running"  # restart() continues it once storage is back


@step(input_schema=N, output_schema=N)
def only(ctx: StepContext) -> N:
    """Doubles."""
    return N(n=ctx.input_data.n * 2)


async def test_restart_active_runs_continues_interrupted_runs_of_every_workflow() -> None:
    storage = InMemoryStorage()
    calls: Counter[str] = Counter()
    app = Stepstream(
        workflows=[chain(calls=calls), create_workflow(id="solo", input_schema=N, output_schema=N).then(only).commit()], storage=storage
    )
    run = await app.get_workflow("wf").create_run("interrupted")
    await run.start(input_data={"n": 0})
    # Rewind it to "a finished, b and c never stored", as after a crash.
    await storage.update_run("wf", "interrupted", {"status": "running", "result": None})
    await storage.delete_steps("wf", "interrupted", ["b", "c"])
    calls.clear()
    results = await app.restart_active_runs()
    assert [(r.run_id, r.status, r.result) for r in results] == [("interrupted", "success", N(n=3))]
    assert calls == Counter({"b": 1, "c": 1})
    assert await app.restart_active_runs() == []


class _UnreadableRuns(InMemoryStorage):
    """Memory storage where the runs named in `unreadable` cannot be read back (a corrupt row)."""

    def __init__(self) -> None:
        super().__init__()
        self.unreadable: set[str] = set()

    async def load_run(self, workflow_id: str, run_id: str) -> Any:
        if run_id in self.unreadable:
            raise StorageError(f"run {run_id!r} of workflow {workflow_id!r}: corrupt row")
        return await super().load_run(workflow_id, run_id)


async def _interrupted(app: Stepstream, wf_id: str, run_id: str) -> None:
    """A finished run rewound to "running, its last steps never stored", as after a crash."""
    await (await app.get_workflow(wf_id).create_run(run_id)).start(input_data={"n": 0})
    await app.storage.update_run(wf_id, run_id, {"status": "running", "result": None})
    await app.storage.delete_steps(wf_id, run_id, ["b", "c"] if wf_id == "wf" else ["only"])


async def test_restart_active_runs_restarts_every_other_run_when_one_restart_raises(caplog: pytest.LogCaptureFixture) -> None:
    storage = _UnreadableRuns()
    solo = create_workflow(id="solo", input_schema=N, output_schema=N).then(only).commit()
    app = Stepstream(workflows=[chain(), solo], storage=storage)
    for wf_id, run_id in [("wf", "broken"), ("wf", "ok"), ("solo", "solo-run")]:
        await _interrupted(app, wf_id, run_id)
    storage.unreadable.add("broken")
    with caplog.at_level("ERROR", logger="stepstream"):
        results = await app.restart_active_runs()
    assert sorted((r.run_id, r.status) for r in results) == [("ok", "success"), ("solo-run", "success")]
    [logged] = [r for r in caplog.records if r.name == "stepstream"]
    assert "'broken'" in logged.getMessage() and "'wf'" in logged.getMessage()
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], StorageError)
    storage.unreadable.clear()  # the failed one stays running, for the next call
    assert [(r.run_id, r.status) for r in await app.restart_active_runs()] == [("broken", "success")]


async def test_restart_active_runs_leaves_a_run_executing_in_this_process_alone(caplog: pytest.LogCaptureFixture) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    calls: Counter[str] = Counter()

    async def wait(ctx: StepContext) -> N:
        calls["wait"] += 1
        started.set()
        await release.wait()
        return N(n=1)

    wf = create_workflow(id="live", input_schema=N, output_schema=N).then(
        create_step(id="wait", input_schema=N, output_schema=N, execute=wait)
    )
    app = Stepstream(workflows=[wf.commit()], storage=InMemoryStorage())
    await (await app.get_workflow("live").create_run("live-run")).start_async(input_data={"n": 0})
    await asyncio.wait_for(started.wait(), timeout=5)
    with caplog.at_level("ERROR", logger="stepstream"):
        assert await app.restart_active_runs() == []
    assert not caplog.records
    release.set()
    await asyncio.wait_for(app.close(), timeout=5)  # waits for the run
    stored = await app.storage.load_run("live", "live-run")
    assert stored is not None and stored.status == "success"
    assert calls == Counter({"wait": 1})


async def test_restart_active_runs_right_after_start_async_does_not_run_it_twice() -> None:
    """`start_async` returns once the run is claimed, before its task begins: a restart in
    between finds the run executing here (it used to restart it, so its step ran twice)."""
    calls: Counter[str] = Counter()

    async def once(ctx: StepContext) -> N:
        calls["once"] += 1
        return N(n=ctx.input_data.n + 1)

    wf = create_workflow(id="gap", input_schema=N, output_schema=N).then(
        create_step(id="once", input_schema=N, output_schema=N, execute=once)
    )
    app = Stepstream(workflows=[wf.commit()], storage=InMemoryStorage())
    run = await app.get_workflow("gap").create_run("gap-run")
    await run.start_async(input_data={"n": 0})
    assert await app.restart_active_runs() == []  # no await between: the task has not started
    await asyncio.wait_for(app.close(), timeout=5)
    stored = await app.storage.load_run("gap", "gap-run")
    assert stored is not None and stored.status == "success"
    assert calls == Counter({"once": 1})


async def test_a_created_run_is_written_when_started_or_first_touched(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    app = Stepstream(workflows=[chain()], storage=storage)
    wf = app.get_workflow("wf")
    started = await wf.create_run("started")
    assert await storage.load_run("wf", "started") is None  # not written until it matters
    await started.start(input_data={"n": 0})
    stored = await storage.load_run("wf", "started")
    assert stored is not None and stored.status == "success"

    await wf.create_run("listed")
    assert {r["runId"]: r["status"] for r in (await wf.list_runs())["runs"]} == {"started": "success", "listed": "pending"}
    await wf.create_run("fetched")
    fetched = wire(await wf.get_run("fetched"))
    assert fetched is not None and fetched["status"] == "pending"
    canceled = await wf.create_run("canceled")
    await canceled.cancel()
    stored_canceled = await storage.load_run("wf", "canceled")
    assert stored_canceled is not None and stored_canceled.status == "canceled"
    await storage.close()


async def test_two_processes_starting_the_same_new_run_id_run_it_once(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    calls: Counter[str] = Counter()
    one = Stepstream(workflows=[chain(calls=calls)], storage=storage)
    two = Stepstream(workflows=[chain(calls=calls)], storage=SQLiteStorage(tmp_path / "runs.db"))
    run_one = await one.get_workflow("wf").create_run("shared")
    run_two = await two.get_workflow("wf").create_run("shared")
    outcomes = await asyncio.gather(run_one.start(input_data={"n": 0}), run_two.start(input_data={"n": 0}), return_exceptions=True)
    results = [o for o in outcomes if not isinstance(o, BaseException)]
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert [r.status for r in results] == ["success"]
    assert len(errors) == 1 and getattr(errors[0], "code", None) == "WORKFLOW_START_ALREADY_CLAIMED"
    assert calls == Counter({"a": 1, "b": 1, "c": 1})
    await storage.close()
    await two.close()


def test_two_workflows_with_one_id_are_refused_by_name() -> None:
    first = create_workflow(id="twin").then(create_step(id="a", execute=lambda ctx: 1)).commit()
    second = create_workflow(id="twin").then(create_step(id="b", execute=lambda ctx: 2)).commit()
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'twin' is registered twice"):
        Stepstream(workflows=[first, second], storage=InMemoryStorage())
    app = Stepstream(workflows=[first], storage=InMemoryStorage())
    assert app.add_workflow(first) is first  # the same workflow again is harmless
    assert Stepstream(workflows={"one": first, "two": second}, storage=InMemoryStorage()).get_workflow("two") is second
