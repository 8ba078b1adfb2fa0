"""Contract checks for the schedule methods of a `Storage` (part of `CHECKS`).

They skip a backend whose `supports_schedules` is False. The racing checks
claim one slot from many coroutines, instances and processes at once: exactly
one claim may win, which is what makes a slot fire exactly once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from dataclasses import fields
from typing import Any

from ..storage.base import Schedule, ScheduleTrigger, Storage
from ._target import ContractSkip, ContractTarget, in_processes, open_storage, require_processes

_T0 = 1_700_000_000_000


def _schedule(schedule_id: str = "schedule_nightly", **overrides: Any) -> Schedule:
    values: dict[str, Any] = {
        "id": schedule_id,
        "workflow_id": "contract-wf",
        "cron": "0 30 2 * * *",
        "timezone": "Europe/Paris",
        "status": "active",
        "next_fire_at": _T0 + 60_000,
        "input_data": {"team": "öps ✓ 日本", "n": [1, None, {"k": True}]},
        "initial_state": {"count": 0},
        "request_context": {"tenant": "acme"},
        "resource_id": "user-1",
        "metadata": {"owner": "billing", "tags": ["a"]},
        "catch_up": "latest",
        "created_at": _T0,
        "updated_at": _T0 + 1,
    }
    values.update(overrides)
    return Schedule(**values)


def _assert_same(got: Schedule | None, want: Schedule, *, ignore: tuple[str, ...] = ()) -> None:
    assert got is not None, f"schedule {want.id} is missing"
    for f in fields(Schedule):
        if f.name not in ignore:
            assert getattr(got, f.name) == getattr(want, f.name), f"{f.name}: {getattr(got, f.name)!r} != {getattr(want, f.name)!r}"


async def _with_storage(target: ContractTarget, body: Callable[[Storage], Coroutine[Any, Any, None]]) -> None:
    storage = await open_storage(target)
    try:
        if not storage.supports_schedules:
            raise ContractSkip(f"{type(storage).__name__} does not store schedules")
        await body(storage)
    finally:
        await storage.close()


async def check_schedules_round_trip_and_filter(target: ContractTarget) -> None:
    """Insert-only creation; every field round-trips; list filters and orders; due rows and the next fire time."""

    async def body(storage: Storage) -> None:
        first = _schedule()
        assert await storage.create_schedule(first)
        assert not await storage.create_schedule(_schedule(cron="* * * * *")), "create_schedule must be insert-only"
        _assert_same(await storage.load_schedule(first.id), first)
        bare = Schedule(
            id="wf_bare", workflow_id="other-wf", cron="* * * * *", next_fire_at=_T0 + 5, created_at=_T0 + 2, updated_at=_T0 + 2
        )
        paused = _schedule("schedule_paused", status="paused", next_fire_at=_T0, created_at=_T0 + 3)
        assert await storage.create_schedule(bare) and await storage.create_schedule(paused)
        _assert_same(await storage.load_schedule("wf_bare"), bare)
        assert await storage.load_schedule("missing") is None
        assert [s.id for s in await storage.list_schedules()] == [first.id, "wf_bare", "schedule_paused"]
        assert [s.id for s in await storage.list_schedules(workflow_id="contract-wf")] == [first.id, "schedule_paused"]
        assert [s.id for s in await storage.list_schedules(status="paused")] == ["schedule_paused"]
        assert await storage.list_schedules(workflow_id="other-wf", status="paused") == []
        assert [s.id for s in await storage.list_due_schedules(_T0 + 60_000, 10)] == ["wf_bare", first.id]
        assert [s.id for s in await storage.list_due_schedules(_T0 + 60_000, 1)] == ["wf_bare"]
        assert await storage.list_due_schedules(_T0 + 4, 10) == [], "paused rows and future rows are never due"
        assert await storage.next_schedule_fire_at() == _T0 + 5

    await _with_storage(target, body)


async def check_schedule_updates(target: ContractTarget) -> None:
    """update_schedule changes the given fields and stamps updated_at; None for a missing row."""

    async def body(storage: Storage) -> None:
        original = _schedule()
        assert await storage.create_schedule(original)
        updated = await storage.update_schedule(
            original.id, {"status": "paused", "input_data": {"team": "dev"}, "timezone": None, "metadata": None, "catch_up": None}
        )
        assert updated is not None and updated.status == "paused" and updated.input_data == {"team": "dev"}
        assert updated.timezone is None and updated.metadata is None and updated.catch_up is None
        assert updated.updated_at > original.updated_at
        _assert_same(await storage.load_schedule(original.id), updated)
        assert updated.cron == original.cron and updated.initial_state == original.initial_state
        assert await storage.next_schedule_fire_at() is None, "a paused schedule has no next fire"
        assert await storage.update_schedule("missing", {"status": "active"}) is None
        try:
            await storage.update_schedule(original.id, {"nope": 1})  # type: ignore[typeddict-unknown-key]
        except ValueError:
            pass
        else:
            raise AssertionError("update_schedule with an unknown field must raise ValueError")
        _assert_same(await storage.load_schedule(original.id), updated)

    await _with_storage(target, body)


async def check_schedule_fire_claim_is_compare_and_set(target: ContractTarget) -> None:
    """claim_schedule_fire moves the next fire time only from the expected one, and only while active."""

    async def body(storage: Storage) -> None:
        s = _schedule(next_fire_at=_T0)
        assert await storage.create_schedule(s)
        assert not await storage.claim_schedule_fire(s.id, _T0 - 1, _T0 + 1000), "a stale expected time must lose"
        assert await storage.claim_schedule_fire(s.id, _T0, _T0 + 1000, fired_at=_T0 + 3, run_id=f"sched_{s.id}_{_T0}")
        assert not await storage.claim_schedule_fire(s.id, _T0, _T0 + 1000), "the same slot twice must lose"
        got = await storage.load_schedule(s.id)
        assert got is not None and (got.next_fire_at, got.last_fire_at, got.last_run_id) == (_T0 + 1000, _T0 + 3, f"sched_{s.id}_{_T0}")
        assert await storage.claim_schedule_fire(s.id, _T0 + 1000, _T0 + 5000), "a claim without fired_at (skipped slots)"
        got = await storage.load_schedule(s.id)
        assert got is not None and (got.next_fire_at, got.last_run_id) == (_T0 + 5000, f"sched_{s.id}_{_T0}")
        await storage.update_schedule(s.id, {"status": "paused"})
        assert not await storage.claim_schedule_fire(s.id, _T0 + 5000, _T0 + 9000), "a paused schedule must not be claimed"
        assert not await storage.claim_schedule_fire("missing", _T0, _T0 + 1)

    await _with_storage(target, body)


async def check_schedule_triggers_newest_first_and_paginated(target: ContractTarget) -> None:
    """Audit rows come back newest first (ties in insertion order reversed), filtered, paginated, and go with their schedule."""

    async def body(storage: Storage) -> None:
        assert await storage.create_schedule(_schedule())
        assert await storage.create_schedule(_schedule("schedule_other"))
        rows = [
            ScheduleTrigger("schedule_nightly", f"sched_schedule_nightly_{i}", _T0 + i, _T0 + (i // 2) * 10, "published") for i in range(7)
        ]
        rows.append(ScheduleTrigger("schedule_nightly", None, _T0, _T0 + 30, "skipped", metadata={"missedFrom": _T0, "until": _T0 + 30}))
        rows.append(ScheduleTrigger("schedule_nightly", "r-manual", _T0, _T0 + 30, "failed", "manual", error="boom ✗"))
        for row in rows:
            await storage.record_trigger(row)
        await storage.record_trigger(ScheduleTrigger("schedule_other", "x", _T0, _T0, "published"))
        page, total = await storage.list_triggers("schedule_nightly")
        assert total == len(rows)
        expected = sorted(range(len(rows)), key=lambda i: (rows[i].actual_fire_at, i), reverse=True)
        assert [t.id for t in page] == [rows[i].id for i in expected]
        assert page[[t.id for t in page].index(rows[-2].id)] == rows[-2], "every field round-trips"
        assert page[[t.id for t in page].index(rows[-1].id)] == rows[-1]
        second, total = await storage.list_triggers("schedule_nightly", page=1, per_page=3)
        assert total == len(rows) and [t.id for t in second] == [rows[i].id for i in expected[3:6]]
        empty, total = await storage.list_triggers("schedule_nightly", page=9, per_page=3)
        assert empty == [] and total == len(rows)
        window, total = await storage.list_triggers("schedule_nightly", from_fire_at=_T0 + 20, to_fire_at=_T0 + 30)
        assert total == 2 and [t.actual_fire_at for t in window] == [_T0 + 20, _T0 + 20]
        assert await storage.delete_schedule("schedule_nightly")
        assert not await storage.delete_schedule("schedule_nightly")
        assert await storage.list_triggers("schedule_nightly") == ([], 0), "deleting a schedule deletes its audit trail"
        assert (await storage.list_triggers("schedule_other"))[1] == 1

    await _with_storage(target, body)


async def _claim_slot(storage: Storage, schedule_id: str = "schedule_nightly", slot: int = _T0) -> bool:
    return await storage.claim_schedule_fire(schedule_id, slot, slot + 1000, fired_at=slot, run_id=f"sched_{schedule_id}_{slot}")


async def check_racing_schedule_claims_on_one_instance(target: ContractTarget) -> None:
    """Concurrent claims of one slot on one instance: exactly one wins, for every slot."""

    async def body(storage: Storage) -> None:
        assert await storage.create_schedule(_schedule(next_fire_at=_T0))
        for slot in range(3):
            at = _T0 + slot * 1000
            wins = await asyncio.gather(*(_claim_slot(storage, slot=at) for _ in range(target.claimers)))
            assert wins.count(True) == 1, f"slot {slot}: {wins.count(True)} claims won"

    await _with_storage(target, body)


async def check_racing_schedule_claims_across_instances(target: ContractTarget) -> None:
    """Separate instances on one database claim one slot: exactly one wins."""
    if not target.shared_instances:
        raise ContractSkip("instances of this backend do not share a database")

    async def body(first: Storage) -> None:
        others = [await open_storage(target) for _ in range(target.claimers - 1)]
        try:
            assert await first.create_schedule(_schedule(next_fire_at=_T0))
            for slot in range(3):
                at = _T0 + slot * 1000
                wins = await asyncio.gather(*(_claim_slot(s, slot=at) for s in [first, *others]))
                assert wins.count(True) == 1, f"slot {slot}: {wins.count(True)} claims won"
        finally:
            for storage in others:
                await storage.close()

    await _with_storage(target, body)


async def check_racing_schedule_claims_across_processes(target: ContractTarget) -> None:
    """Separate processes on one database claim one slot: exactly one wins."""
    require_processes(target)

    async def body(storage: Storage) -> None:
        assert await storage.create_schedule(_schedule(next_fire_at=_T0))
        wins = await asyncio.to_thread(in_processes, target.make_storage, functools.partial(_claim_slot), target.processes)
        assert all(isinstance(w, bool) for w in wins), f"a child process failed: {wins}"
        assert wins.count(True) == 1, f"{wins.count(True)} of {len(wins)} processes won the claim"
        got = await storage.load_schedule("schedule_nightly")
        assert got is not None and got.next_fire_at == _T0 + 1000

    await _with_storage(target, body)


SCHEDULE_CHECKS = {name.removeprefix("check_"): fn for name, fn in list(globals().items()) if name.startswith("check_") and callable(fn)}
"""The schedule checks, by name, in definition order."""
