"""Fencing: an execution owns its run; a second restarter loses, a canceled executor stops.

Two workflow objects over one storage stand for two processes (replicas);
the cross-process case is in test_cross_process.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stepstream import ResumeAlreadyClaimedError, RunStateError, StepContext, Stepstream, Workflow, create_step, create_workflow
from stepstream.storage import InMemoryStorage, SQLiteStorage
from stepstream.storage.base import Storage


def build(calls: Counter[str], gate: asyncio.Event | None = None) -> Workflow:
    async def first(ctx: StepContext) -> int:
        calls["first"] += 1
        return int(ctx.input_data) + 1

    async def slow(ctx: StepContext) -> int:
        calls["slow"] += 1
        if gate is not None:
            await gate.wait()
        else:
            await asyncio.sleep(0.05)
        return int(ctx.input_data) * 10

    async def last(ctx: StepContext) -> int:
        calls["last"] += 1
        return int(ctx.input_data) + 5

    return (
        create_workflow(id="fenced")
        .then(create_step(id="first", execute=first))
        .then(create_step(id="slow", execute=slow))
        .then(create_step(id="last", execute=last))
        .commit()
    )


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    return InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "runs.db")


async def test_a_replica_can_take_over_a_dead_replicas_runs(storage: Storage) -> None:
    calls: Counter[str] = Counter()
    await _crashed_run(storage, calls)
    await storage.update_run("fenced", "r", {"owner": "replica-gone:crashed-execution"})
    survivor = Stepstream(workflows=[build(calls)], storage=storage, executor_id="replica-b")
    assert await survivor.restart_active_runs() == []
    taken = await survivor.restart_active_runs(all_executors=True)
    assert [(r.status, r.result) for r in taken] == [("success", 25)]
    stored = await storage.load_run("fenced", "r")
    assert stored is not None and stored.owner is not None and stored.owner.startswith("replica-b:")
    await storage.close()


def test_executor_ids_cannot_contain_the_separator() -> None:
    with pytest.raises(Exception, match="executor_id must not contain ':', got 'a:b'"):
        Stepstream(storage=InMemoryStorage(), executor_id="a:b")


async def _crashed_run(storage: Storage, calls: Counter[str]) -> None:
    """A run whose process died after `first` was stored: status running, owned by a dead token."""
    app = Stepstream(workflows=[build(calls)], storage=storage)
    run = await app.get_workflow("fenced").create_run("r")
    await run.start(input_data=1)
    await storage.update_run("fenced", "r", {"status": "running", "result": None, "owner": "dead-process"})
    await storage.delete_steps("fenced", "r", ["slow", "last"])
    calls.clear()


class BarrierLoads:
    """Wraps a storage so that two callers of `load_run` both read before either goes on:
    the two replicas then see the same (dead) owner and race on the claim."""

    def __init__(self, inner: Storage, parties: int = 2):
        self.inner = inner
        self.barrier = asyncio.Barrier(parties)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def load_run(self, workflow_id: str, run_id: str) -> Any:
        record = await self.inner.load_run(workflow_id, run_id)
        await self.barrier.wait()
        return record


async def test_two_replicas_reading_the_same_crashed_run_restart_it_once(storage: Storage) -> None:
    calls: Counter[str] = Counter()
    await _crashed_run(storage, calls)
    shared: Any = BarrierLoads(storage)
    run_a = await _bound(build(calls), storage).create_run("r")
    run_b = await _bound(build(calls), storage).create_run("r")
    run_a.workflow.bind_storage(shared)
    run_b.workflow.bind_storage(shared)
    first, second = await asyncio.gather(run_a.restart(), run_b.restart(), return_exceptions=True)
    outcomes = sorted([first, second], key=lambda o: isinstance(o, BaseException))
    assert not isinstance(outcomes[0], BaseException)
    assert outcomes[0].status == "success" and outcomes[0].result == 25
    assert isinstance(outcomes[1], ResumeAlreadyClaimedError)
    assert "was restarted by another caller first; nothing ran here" in str(outcomes[1])
    assert calls == Counter({"slow": 1, "last": 1})
    await storage.close()


async def test_each_replica_recovers_only_its_own_runs_at_boot(storage: Storage) -> None:
    calls: Counter[str] = Counter()
    await _crashed_run(storage, calls)
    await storage.update_run("fenced", "r", {"owner": "replica-a:crashed-execution"})
    replica_a = Stepstream(workflows=[build(calls)], storage=storage, executor_id="replica-a")
    replica_b = Stepstream(workflows=[build(calls)], storage=storage, executor_id="replica-b")
    from_a, from_b = await asyncio.gather(replica_a.restart_active_runs(), replica_b.restart_active_runs())
    assert [(r.status, r.result) for r in from_a] == [("success", 25)]
    assert from_b == []  # replica-b leaves replica-a's runs alone
    assert calls == Counter({"slow": 1, "last": 1})
    assert await replica_b.restart_active_runs(all_executors=True) == []  # nothing left to take over
    stored = await storage.load_run("fenced", "r")
    assert stored is not None and stored.status == "success" and stored.result == 25
    await storage.close()


def _bound(wf: Workflow, storage: Storage) -> Workflow:
    wf.bind_storage(storage)
    return wf


async def test_cancel_from_another_process_stops_a_running_executor(storage: Storage) -> None:
    calls: Counter[str] = Counter()
    gate = asyncio.Event()
    runner = _bound(build(calls, gate), storage)
    other = _bound(build(calls), storage)  # another process, same storage
    run = await runner.create_run("r")
    started = asyncio.ensure_future(run.start(input_data=1))
    while calls["slow"] == 0:
        await asyncio.sleep(0.001)
    await (await other.create_run("r")).cancel()
    record = await storage.load_run("fenced", "r")
    assert record is not None
    assert record.status == "canceled"
    gate.set()  # the step finishes, but its write is refused: the run is no longer this executor's
    result = await started
    assert result.status == "canceled"
    assert calls == Counter({"first": 1, "slow": 1})  # `last` never ran
    stored = await storage.load_run("fenced", "r")
    assert stored is not None and stored.status == "canceled"
    assert list(stored.steps) == ["first"]  # the fenced step wrote nothing
    # the log ends as the run ended, for an observer anywhere: the cancel wrote the closing events
    observed = (await other.create_run("r")).observe_stream()
    types = [event.type async for event in observed]
    assert types[0] == "workflow-start" and types[-2:] == ["workflow-canceled", "workflow-finish"]
    assert types.count("workflow-finish") == 1
    assert (await observed.result).status == "canceled"
    await storage.close()


async def test_a_run_deleted_while_it_runs_stops_and_says_so(storage: Storage) -> None:
    calls: Counter[str] = Counter()
    gate = asyncio.Event()
    runner = _bound(build(calls, gate), storage)
    run = await runner.create_run("r")
    started = asyncio.ensure_future(run.start(input_data=1))
    while calls["slow"] == 0:
        await asyncio.sleep(0.001)
    assert await _bound(build(calls), storage).delete_run("r")  # another process deletes it
    gate.set()
    with pytest.raises(RunStateError, match=r"^Run 'r' of workflow 'fenced' was deleted while it ran"):
        await started
    assert calls == Counter({"first": 1, "slow": 1})
    assert await storage.load_run("fenced", "r") is None  # nothing written back
    await storage.close()


async def test_cancel_of_a_suspended_run_ends_its_log(storage: Storage) -> None:
    """A suspended run canceled through storage gets its closing events after the suspension's."""

    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return 1

    wf = _bound(create_workflow("ask-cancel").then(create_step("ask", execute=ask)).commit(), storage)
    run = await wf.create_run("s")
    assert (await run.start(input_data={})).status == "suspended"
    await run.cancel()
    page = await storage.read_events("ask-cancel", "s")
    assert page is not None
    finishes = [(e.data["type"], e.data["payload"].get("workflowStatus")) for e in page.events][-3:]
    assert finishes == [("workflow-finish", "suspended"), ("workflow-canceled", None), ("workflow-finish", "canceled")]
    await run.cancel()  # nothing left to cancel: nothing more is written
    again = await storage.read_events("ask-cancel", "s")
    assert again is not None and len(again.events) == len(page.events)
    await storage.close()


async def test_an_execution_taken_over_by_a_restart_stops_without_writing(storage: Storage) -> None:
    calls: Counter[str] = Counter()
    gate = asyncio.Event()
    slow_runner = _bound(build(calls, gate), storage)
    run = await slow_runner.create_run("r")
    started = asyncio.ensure_future(run.start(input_data=1))
    while calls["slow"] == 0:
        await asyncio.sleep(0.001)
    # Another replica wrongly believes this process died and restarts the run.
    restarted = await (await _bound(build(calls), storage).create_run("r")).restart()
    assert restarted.status == "success" and restarted.result == 25
    gate.set()
    with pytest.raises(RunStateError, match=r"was taken over by another execution .* stopped without writing anything more"):
        await started
    stored = await storage.load_run("fenced", "r")
    assert stored is not None and stored.status == "success" and stored.result == 25
    assert calls == Counter({"first": 1, "slow": 2, "last": 1})
    await storage.close()
