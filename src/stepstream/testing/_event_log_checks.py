"""The storage contract's checks of the event log (part of `CHECKS`, see `storage_contract`)."""

from __future__ import annotations

import asyncio
from typing import Any

from ..results import StepResult
from ..storage.base import LoggedEvent, RunRecord, Storage
from ._run_samples import WF, expect_storage_error
from ._target import ContractSkip, ContractTarget, in_processes, require_processes
from ._target import open_storage as _open


def _events(first: int, count: int, run_id: str = "run-1") -> list[LoggedEvent]:
    """Events shaped like the engine's, with text that must round-trip exactly."""
    return [
        LoggedEvent(
            first + i,
            {
                "type": "workflow-step-result",
                "runId": run_id,
                "from": "WORKFLOW",
                "payload": {"n": first + i, "text": "ü ✓ 日本 🚀", "ok": None},
            },
        )
        for i in range(count)
    ]


async def _waits(storage: Storage, run_id: str, offset: int, seconds: float) -> bool:
    """True if `wait_events` returned within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            await storage.wait_events(WF, run_id, offset)
    except TimeoutError:
        return False
    return True


async def _log(storage: Storage, run_id: str = "run-1", offset: int = 0) -> list[LoggedEvent]:
    page = await storage.read_events(WF, run_id, offset)
    assert page is not None, f"run {run_id} is missing"
    return page.events


async def check_event_log_appends_and_reads_from_an_offset(target: ContractTarget) -> None:
    """Appended events read back in offset order, from any offset, with the run's status."""
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running", owner="exec-1"))
        page = await storage.read_events(WF, "run-1")
        assert page is not None and page.events == [] and page.next_offset == 0 and page.status == "running"
        assert await storage.append_events(WF, "run-1", _events(0, 3), expected_owner="exec-1")
        assert await storage.append_events(WF, "run-1", _events(3, 1))
        assert await _log(storage) == _events(0, 4)
        assert await _log(storage, offset=2) == _events(2, 2)
        assert await _log(storage, offset=4) == []
        assert await _log(storage, offset=99) == []
        limited = await storage.read_events(WF, "run-1", 1, limit=2)
        assert limited is not None and limited.events == _events(1, 2) and limited.next_offset == 4
        counted = await storage.read_events(WF, "run-1", 0, limit=0)
        assert counted is not None and counted.events == [] and counted.next_offset == 4
        assert await storage.read_events(WF, "nope") is None
        assert not await storage.append_events(WF, "nope", _events(0, 1)), "appending to a missing run must be refused"
        assert await storage.read_events(WF, "nope") is None
    finally:
        await storage.close()


async def check_event_log_pages_cut_batches(target: ContractTarget) -> None:
    """Reads starting inside a batch, and limits that end inside one, return exactly the asked events."""
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        assert await storage.append_events(WF, "run-1", _events(0, 5))
        assert await storage.save_step(WF, "run-1", "a", StepResult("success", 1, 2), events=_events(5, 4))
        assert await storage.update_run(WF, "run-1", {"status": "waiting"}, events=_events(9, 1))
        for offset in range(11):
            for limit in (None, 0, 1, 2, 3, 6, 20):
                page = await storage.read_events(WF, "run-1", offset, limit=limit)
                expected = _events(offset, max(10 - offset, 0))
                assert page is not None and page.next_offset == 10, (offset, limit)
                assert page.events == (expected if limit is None else expected[:limit]), (offset, limit)
        # Paging through the log a few events at a time sees every event once, in order.
        seen: list[LoggedEvent] = []
        while True:
            page = await storage.read_events(WF, "run-1", len(seen), limit=3)
            assert page is not None
            if not page.events:
                break
            seen += page.events
        assert seen == _events(0, 10)
    finally:
        await storage.close()


async def check_events_of_any_shape_round_trip(target: ContractTarget) -> None:
    """Every event reads back as written, key order included: the engine's shape, another
    `from`, another run's id, custom chunks with more, fewer or reordered keys."""
    shapes: list[dict[str, Any]] = [
        {"type": "workflow-step-start", "runId": "run-1", "from": "WORKFLOW", "payload": {"id": "a", "n": [1, 2.5, None]}},
        {"type": "workflow-step-output", "runId": "run-1", "from": "USER", "payload": {"output": "ü ✓ 日本 🚀"}},
        {"type": "workflow-step-start", "runId": "other-run", "from": "WORKFLOW", "payload": {}},
        {"type": "custom", "payload": {"x": 1}, "from": "USER", "runId": "run-1"},
        {"type": "custom", "runId": "run-1", "from": "USER", "payload": {"x": 1}, "extra": True},
        {"type": "text-delta", "text": "hi", "runId": "run-1"},
        {"type": "workflow-finish", "runId": "run-1", "from": "WORKFLOW", "payload": None},
        {"type": "workflow-finish", "runId": "run-1", "from": "WORKFLOW", "payload": [1, {"a": "b"}]},
    ]
    logged = [LoggedEvent(i, data) for i, data in enumerate(shapes)]
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        assert await storage.append_events(WF, "run-1", logged[:3])
        assert await storage.save_step(WF, "run-1", "a", StepResult("success", 1, 2), events=logged[3:])
        read = await _log(storage)
        assert read == logged
        assert [list(e.data) for e in read] == [list(d) for d in shapes], "key order must round-trip"
    finally:
        await storage.close()


async def check_events_commit_with_the_write_they_ride_on(target: ContractTarget) -> None:
    """save_step and update_run write their events in the same transaction, and none when refused."""
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running", owner="exec-1"))
        step = StepResult("success", {"x": 1}, {"y": 2}, started_at=1, ended_at=2)
        assert await storage.save_step(WF, "run-1", "a", step, events=_events(0, 2))
        assert await storage.save_step(WF, "run-1", "b", step, {"state": {"k": 1}}, expected_owner="exec-1", events=_events(2, 1))
        assert await storage.update_run(WF, "run-1", {"status": "waiting"}, expected_owner="exec-1", events=_events(3, 1))
        assert await _log(storage) == _events(0, 4)
        # Refused writes: another owner, an unmet status, a missing run. Nothing of them is kept.
        assert not await storage.save_step(WF, "run-1", "c", step, expected_owner="exec-2", events=_events(4, 1))
        assert not await storage.update_run(WF, "run-1", {"status": "failed"}, expected_owner="exec-2", events=_events(4, 1))
        assert not await storage.update_run(WF, "run-1", {"status": "failed"}, expected_status=["suspended"], events=_events(4, 1))
        assert not await storage.append_events(WF, "run-1", _events(4, 1), expected_owner="exec-2")
        assert not await storage.save_step(WF, "nope", "c", step, events=_events(0, 1))
        assert await _log(storage) == _events(0, 4)
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and loaded.status == "waiting" and "c" not in loaded.steps
        page = await storage.read_events(WF, "run-1", 0)
        assert page is not None and page.status == "waiting" and page.next_offset == 4
    finally:
        await storage.close()


async def check_an_offset_is_never_written_twice(target: ContractTarget) -> None:
    """A batch reusing a taken offset raises StorageError and writes nothing, not even its step."""
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        assert await storage.append_events(WF, "run-1", _events(0, 2))
        await expect_storage_error(storage.append_events(WF, "run-1", _events(1, 2)), "append_events over offset 1")
        step = StepResult("success", 1, 2)
        await expect_storage_error(storage.save_step(WF, "run-1", "a", step, events=_events(0, 1)), "save_step over offset 0")
        assert await _log(storage) == _events(0, 2)
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and "a" not in loaded.steps, "the step of a refused batch must not be written"
    finally:
        await storage.close()


async def check_events_are_deleted_with_their_run(target: ContractTarget) -> None:
    """delete_run removes the log; a new run with the same id starts an empty one."""
    storage = await _open(target)
    try:
        for run_id in ("run-1", "run-2"):
            assert await storage.create_run(RunRecord(WF, run_id, status="running"))
            assert await storage.append_events(WF, run_id, _events(0, 3, run_id))
        assert await storage.delete_run(WF, "run-1")
        assert await storage.read_events(WF, "run-1") is None
        assert await _log(storage, "run-2") == _events(0, 3, "run-2"), "another run's log must stay"
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        page = await storage.read_events(WF, "run-1")
        assert page is not None and page.events == [] and page.next_offset == 0
        assert await storage.append_events(WF, "run-1", _events(0, 1))
    finally:
        await storage.close()


async def check_wait_events_wakes_on_an_append(target: ContractTarget) -> None:
    """wait_events returns once an event at the offset is appended, and not before."""
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        assert await storage.append_events(WF, "run-1", _events(0, 1))
        assert await _waits(storage, "run-1", 0, 5.0), "an event already at the offset"
        assert not await _waits(storage, "run-1", 1, 0.05), "nothing was appended"
        assert not await _waits(storage, "nope", 0, 0.05), "no such run"
        waiting = asyncio.ensure_future(_waits(storage, "run-1", 2, 30.0))
        await asyncio.sleep(0.01)
        assert await storage.append_events(WF, "run-1", _events(1, 1))
        await asyncio.sleep(0.01)
        assert not waiting.done(), "offset 2 is not there yet"
        assert await storage.save_step(WF, "run-1", "a", StepResult("success", 1, 2), events=_events(2, 1))
        assert await waiting
    finally:
        await storage.close()


async def check_wait_events_sees_appends_of_other_instances(target: ContractTarget) -> None:
    """A reader on one instance is woken by an append made through another."""
    if not target.shared_instances:
        raise ContractSkip("instances of this backend do not share a database")
    reader, writer = await _open(target), await _open(target)
    try:
        assert await writer.create_run(RunRecord(WF, "run-1", status="running"))
        waiting = asyncio.ensure_future(_waits(reader, "run-1", 0, 30.0))
        await asyncio.sleep(0.05)
        assert await writer.update_run(WF, "run-1", {"status": "waiting"}, events=_events(0, 2))
        assert await waiting
        assert await _log(reader) == _events(0, 2)
    finally:
        await reader.close()
        await writer.close()


async def _append_two_batches(storage: Storage) -> bool:
    """In a child process: append two batches to run-1, the second with a status change."""
    await asyncio.sleep(0.2)
    first = await storage.append_events(WF, "run-1", _events(0, 2))
    second = await storage.update_run(WF, "run-1", {"status": "success"}, events=_events(2, 1))
    return first and second


async def check_wait_events_sees_appends_of_other_processes(target: ContractTarget) -> None:
    """A reader waiting in this process sees the events another process appends."""
    require_processes(target)
    storage = await _open(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        child = asyncio.ensure_future(asyncio.to_thread(in_processes, target.make_storage, _append_two_batches, 1))
        seen: list[LoggedEvent] = []
        while len(seen) < 3:
            assert await _waits(storage, "run-1", len(seen), 90.0), "the child's append was not seen"
            seen += await _log(storage, offset=len(seen))
        assert seen == _events(0, 3)
        assert await child == [True]
        page = await storage.read_events(WF, "run-1", 3)
        assert page is not None and page.status == "success" and page.next_offset == 3
    finally:
        await storage.close()
