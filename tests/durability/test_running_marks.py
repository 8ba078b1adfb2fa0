"""While a slow step runs, other processes see it as `running`; fast steps cost no extra write."""

from __future__ import annotations

import asyncio
import gc
import traceback
from pathlib import Path
from typing import Any

import pytest

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.storage import SQLiteStorage
from stepstream.storage.memory import InMemoryStorage
from tests.engine.matchers import wire


class CountingSQLite(SQLiteStorage):
    """Counts step writes by status."""

    writes: list[tuple[str, str]]

    async def save_step(self, workflow_id: str, run_id: str, key: str, record: Any, *args: Any, **kwargs: Any) -> bool:
        self.writes.append((key, record.status))
        return await super().save_step(workflow_id, run_id, key, record, *args, **kwargs)


def flow(gate: asyncio.Event) -> Any:
    async def slow(ctx: StepContext) -> int:
        await gate.wait()
        return int(ctx.input_data) + 1

    inner = create_workflow(id="inner").then(create_step(id="deep", execute=slow)).commit()
    return (
        create_workflow(id="marks")
        .then(create_step(id="fast", execute=lambda ctx: int(ctx.input_data) * 2))
        .then(create_step(id="slow", execute=slow))
        .then(inner)
        .then(create_step(id="done", execute=lambda ctx: int(ctx.input_data) - 1))
        .commit()
    )


async def test_another_process_sees_a_slow_step_running(tmp_path: Path) -> None:
    storage = CountingSQLite(tmp_path / "runs.db")
    storage.writes = []
    gate = asyncio.Event()
    app = Stepstream(workflows=[flow(gate)], storage=storage)
    run = await app.get_workflow("marks").create_run("r")
    task = asyncio.ensure_future(run.start(input_data=5))
    watcher = Stepstream(workflows=[flow(asyncio.Event())], storage=SQLiteStorage(tmp_path / "runs.db"))
    try:
        state: dict[str, Any] | None = None
        while state is None or state["steps"].get("slow", {}).get("status") != "running":
            await asyncio.sleep(0.02)
            state = wire(await watcher.get_workflow("marks").get_run("r"))
        assert state["status"] == "running"
        assert state["steps"]["fast"]["status"] == "success"
        assert state["steps"]["slow"]["payload"] == 10
        gate.set()
        result = await task
    finally:
        await watcher.close()
    assert result.status == "success" and result.result == 11
    final = wire(await app.get_workflow("marks").get_run("r"))
    assert final is not None
    assert {k: v["status"] for k, v in final["steps"].items()} == {
        "fast": "success",
        "slow": "success",
        "inner.deep": "success",
        "inner": "success",
        "done": "success",
    }
    # fast steps: one write each (the gate is open by the time `inner` runs); the slow one:
    # a running mark, then its result
    assert storage.writes == [
        ("fast", "success"),
        ("slow", "running"),
        ("slow", "success"),
        ("inner.deep", "success"),
        ("inner", "success"),
        ("done", "success"),
    ]
    await storage.close()


async def test_in_memory_runs_write_no_marks() -> None:
    gate = asyncio.Event()
    storage = InMemoryStorage()
    wf = flow(gate)
    wf.bind_storage(storage)
    run = await wf.create_run("r")
    task = asyncio.ensure_future(run.start(input_data=5))
    await asyncio.sleep(0.3)
    stored = await storage.load_run("marks", "r")
    assert stored is not None and list(stored.steps) == ["fast"]  # nobody else can read it: no marks
    gate.set()
    assert (await task).status == "success"


@pytest.mark.parametrize("shape", ["chain", "parallel"])
async def test_an_ended_run_keeps_nothing_alive(tmp_path: Path, shape: str) -> None:
    """Once a run on shared storage returns, its execution state (its records, its host) is
    freed at once: neither the running marks' watchdog, nor the flush clock, nor the worker
    thread that ran its last sync step keeps it until their next tick or job."""

    one = create_step(id="a", execute=lambda ctx: 1)
    two = create_step(id="b", execute=_two)
    wf = create_workflow(id="w")
    wf = (wf.then(one).then(two) if shape == "chain" else wf.parallel([one, two])).commit()
    app = Stepstream(workflows=[wf], storage=SQLiteStorage(tmp_path / "runs.db"))
    try:
        result = await (await app.get_workflow("w").create_run()).start(input_data=None)
        assert result.status == "success"
        gc.collect()
        assert _executions_of(result.run_id) == []
    finally:
        await app.close()


async def _two(ctx: StepContext) -> int:
    await asyncio.sleep(0.12)  # the watchdog and the flush clock tick while it runs
    return 2


def test_a_closed_event_loop_is_not_kept(tmp_path: Path) -> None:
    """The engine's per-loop helpers (the loop's turn, the flush clock, the running marks'
    watchdog) do not keep their loop: a process that runs workflows under one `asyncio.run`
    after another (a script, a test suite, a sync wrapper) frees each loop once it is closed."""
    import weakref

    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def main(i: int) -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        wf = create_workflow(id="w").then(create_step(id="a", execute=lambda ctx: 1)).then(create_step(id="b", execute=_two)).commit()
        app = Stepstream(workflows=[wf], storage=SQLiteStorage(tmp_path / f"runs-{i}.db"))
        try:
            result = await (await app.get_workflow("w").create_run()).start(input_data=None)
            assert result.status == "success"
        finally:
            await app.close()

    for i in range(3):
        asyncio.run(main(i))
    gc.collect()
    assert [ref() for ref in loops] == [None, None, None]


async def _boom(ctx: StepContext) -> int:
    raise ValueError("boom")


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@pytest.mark.parametrize("shape", ["chain", "foreach", "failed"])
async def test_an_ended_run_is_freed_without_the_collector(tmp_path: Path, store: str, shape: str) -> None:
    """An ended run's state is in no reference cycle: it is freed as soon as nothing uses it,
    not at a later collection (the execution and its host held each other, a foreach and its
    item log did, and a failed step's traceback held the walk through its frame's locals)."""

    one = create_step(id="a", execute=lambda ctx: [1, 2, 3])
    two = create_step(id="b", execute=_two_fast)
    wf = create_workflow(id="w")
    if shape == "chain":
        wf = wf.then(one).then(two)
    elif shape == "foreach":
        wf = wf.then(one).foreach(create_step(id="each", execute=_two_fast), concurrency=2)
    else:
        wf = wf.then(one).then(create_step(id="boom", execute=_boom))
    app = Stepstream(workflows=[wf.commit()], storage=SQLiteStorage(tmp_path / "runs.db") if store == "sqlite" else InMemoryStorage())
    try:
        run = await app.get_workflow("w").create_run()
        gc.collect()
        gc.disable()
        try:
            result = await run.start(input_data=None)
            assert result.status == ("failed" if shape == "failed" else "success")
            for _ in range(100):  # a worker thread lets go of its last job just after handing back its result
                if not _executions_of(result.run_id):
                    break
                await asyncio.sleep(0.01)
            assert _executions_of(result.run_id) == []
            if shape == "failed":  # the exception's traceback still tells where it was raised
                raised = result.steps["boom"].error
                assert "in _boom" in "".join(traceback.format_exception(raised))
                assert result.error is not None and result.error["message"] == "boom"
        finally:
            gc.enable()
    finally:
        await app.close()


async def _two_fast(ctx: StepContext) -> int:
    return 2


def _executions_of(run_id: str) -> list[Any]:
    """The run's execution states still alive (the collector's list holds every tracked object)."""
    from stepstream.engine._state import RunExecution

    return [o for o in gc.get_objects() if type(o) is RunExecution and o.run_id == run_id]
