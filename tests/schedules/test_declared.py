"""Schedules declared on a workflow: checked at definition, reconciled with storage at start."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import ScheduleError
from stepstream.schedules import Schedule, declared_row_id
from stepstream.storage import InMemoryStorage

from .conftest import T0, fake_app, report_workflow, stored

MINUTE = 60_000
DAILY: dict[str, Any] = {"cron": "0 9 * * *", "timezone": "Europe/Paris", "input_data": {"team": "ops"}}


@pytest.mark.parametrize(
    ("schedule", "field", "message"),
    [
        ({**DAILY, "cron": "0 9 * * * * * *"}, "cron", "schedule 'wf_report': field 'cron': .*expected 5, 6 or 7 fields"),
        ({**DAILY, "cron": "0 9 32 * *"}, "cron", "schedule 'wf_report': field 'cron': .*Bad day-of-month"),
        ({**DAILY, "timezone": "Paris"}, "timezone", "schedule 'wf_report': field 'timezone': Invalid timezone 'Paris'"),
        (
            {**DAILY, "input_data": {"team": ["x"]}},
            "input_data",
            "schedule 'wf_report': invalid input_data: \n- team: Input should be a valid string",
        ),
        ({"cron": "0 9 * * *"}, "input_data", "schedule 'wf_report': invalid input_data: \n- team: Field required"),
        ({**DAILY, "inputData": {}}, "inputData", "unknown fields \\['inputData'\\]"),
        ({"timezone": "UTC"}, "cron", "field 'cron' is required"),
        ({**DAILY, "catch_up": "every"}, "catch_up", "field 'catch_up' must be 'skip' or 'latest'"),
        ([{**DAILY, "id": "a"}, DAILY], "id", "schedule #1: field 'id' is required on every entry of a list"),
        ([{**DAILY, "id": "a"}, {**DAILY, "id": "a"}], "id", "schedule #1: id 'a' is used twice"),
        ([{**DAILY, "id": "a"}, {**DAILY, "id": "b", "cron": "nope"}], "cron", "schedule 'wf_report__b': field 'cron'"),
        ("0 9 * * *", "schedule", "schedule must be a mapping or a list of mappings"),
    ],
)
def test_bad_declarations_fail_at_definition_naming_schedule_and_field(schedule: Any, field: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as info:
        report_workflow(schedule=schedule)
    assert info.value.field == field
    assert "Workflow 'report'" in str(info.value)


def test_row_ids_follow_mastra() -> None:
    assert declared_row_id("daily-report") == "wf_daily-report"
    assert declared_row_id("daily-report", "eu") == "wf_daily-report__eu"
    assert declared_row_id("a_b", "x__y/z é") == "wf_a%5Fb__x%5F%5Fy%2Fz%20%C3%A9"
    assert [d.row_id for d in report_workflow(schedule=DAILY).schedules] == ["wf_report"]
    assert [d.row_id for d in report_workflow(schedule={**DAILY, "id": "one"}).schedules] == ["wf_report__one"]
    both = report_workflow(schedule=[{**DAILY, "id": "eu"}, {**DAILY, "id": "us", "timezone": "America/New_York"}])
    assert [d.row_id for d in both.schedules] == ["wf_report__eu", "wf_report__us"]


async def test_start_creates_declared_rows() -> None:
    app, _ = fake_app(
        report_workflow(schedule=[{**DAILY, "id": "eu", "metadata": {"k": 1}}, {**DAILY, "id": "us", "timezone": "America/New_York"}])
    )
    await app.scheduler.start()
    await app.scheduler.stop()
    eu, us = await app.schedules.list()
    assert (eu.id, eu.next_fire_at, eu.metadata, eu.input_data) == ("wf_report__eu", T0 + 20 * 60 * MINUTE, {"k": 1}, {"team": "ops"})
    assert (us.id, us.next_fire_at) == ("wf_report__us", T0 + 2 * 60 * MINUTE)  # 09:00 EST = 14:00 UTC


async def test_restart_patches_changed_declarations_and_keeps_pause() -> None:
    storage = InMemoryStorage()
    first, _ = fake_app(report_workflow(schedule={**DAILY, "id": "a", "metadata": {"v": 1}}), storage=storage)
    await first.scheduler.start()
    await first.scheduler.stop()
    await first.schedules.pause("wf_report__a")
    before = await stored(first, "wf_report__a")
    # A new build: same cron, new input and metadata -> patched, next fire and pause kept.
    second, _ = fake_app(
        report_workflow(schedule={**DAILY, "id": "a", "metadata": {"v": 2}, "input_data": {"team": "dev"}}),
        storage=storage,
        start=T0 + MINUTE,
    )
    await second.scheduler.start()
    await second.scheduler.stop()
    after = await stored(second, "wf_report__a")
    assert (after.metadata, after.input_data, after.status, after.next_fire_at) == (
        {"v": 2},
        {"team": "dev"},
        "paused",
        before.next_fire_at,
    )
    # A new cron -> the next fire is recomputed from now; still paused.
    third, _ = fake_app(report_workflow(schedule={**DAILY, "id": "a", "cron": "0 10 * * *"}), storage=storage, start=T0 + MINUTE)
    await third.scheduler.start()
    await third.scheduler.stop()
    changed = await stored(third, "wf_report__a")
    assert (changed.cron, changed.next_fire_at, changed.status, changed.metadata) == ("0 10 * * *", T0 + 21 * 60 * MINUTE, "paused", None)


async def test_removed_declarations_are_deleted_but_other_rows_kept() -> None:
    storage = InMemoryStorage()
    first, _ = fake_app(report_workflow(schedule=[{**DAILY, "id": "a"}, {**DAILY, "id": "b"}]), storage=storage)
    await first.scheduler.start()
    await first.scheduler.stop()
    imperative = await first.schedules.create(id="manual", workflow_id="report", cron="0 8 * * *", input_data={"team": "m"})
    foreign = Schedule(id="wf_elsewhere", workflow_id="elsewhere", cron="0 8 * * *", next_fire_at=T0, created_at=T0 + 1)
    await storage.create_schedule(foreign)
    second, _ = fake_app(report_workflow(schedule=[{**DAILY, "id": "a"}]), storage=storage)
    await second.scheduler.start()
    await second.scheduler.stop()
    assert {s.id for s in await second.schedules.list()} == {"wf_report__a", imperative.id, "wf_elsewhere"}
    third, _ = fake_app(report_workflow(), storage=storage)
    await third.scheduler.start()
    await third.scheduler.stop()
    assert {s.id for s in await third.schedules.list()} == {imperative.id, "wf_elsewhere"}


async def test_replicas_starting_together_create_each_row_once() -> None:
    import asyncio

    storage = InMemoryStorage()
    apps = [fake_app(report_workflow(schedule=DAILY), storage=storage)[0] for _ in range(4)]
    await asyncio.gather(*(a.scheduler.start() for a in apps))
    await asyncio.gather(*(a.scheduler.stop() for a in apps))
    assert [s.id for s in await storage.list_schedules()] == ["wf_report"]
