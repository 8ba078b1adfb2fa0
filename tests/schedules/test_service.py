"""`app.schedules`: imperative schedules, pause/resume/run, the audit trail, refused input."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import ScheduleError, ScheduleNotFoundError, WorkflowNotFoundError

from .conftest import T0, fake_app, report_workflow, settle, statuses, stored, trigger_dicts

MINUTE = 60_000


async def test_an_imperative_schedule_fires() -> None:
    app, clock = fake_app(report_workflow())
    await app.scheduler.start()
    s = await app.schedules.create(
        workflow_id="report", cron="*/2 * * * *", timezone="UTC", input_data={"team": "dev"}, metadata={"by": "ops"}
    )
    assert s.id.startswith("schedule_") and len(s.id) == len("schedule_") + 36
    assert s.to_dict() == {
        "id": s.id,
        "workflowId": "report",
        "cron": "*/2 * * * *",
        "timezone": "UTC",
        "status": "active",
        "nextFireAt": T0 + 2 * MINUTE,
        "inputData": {"team": "dev"},
        "metadata": {"by": "ops"},
        "createdAt": T0,
        "updatedAt": T0,
    }
    for _ in range(3):
        await clock.advance(2 * MINUTE)
        await settle(app)
    await app.scheduler.stop()
    expected = [f"sched_{s.id}_{T0 + k * 2 * MINUTE}" for k in (3, 2, 1)]
    assert [r["runId"] for r in await trigger_dicts(app, s.id)] == expected
    assert statuses(await app.get_workflow("report").list_runs()) == dict.fromkeys(expected, "success")


async def test_ids_are_slugs_and_unique() -> None:
    app, _ = fake_app(report_workflow())
    s = await app.schedules.create(id="  Nightly Report (EU)! ", workflow_id="report", cron="0 0 * * *", input_data={"team": "a"})
    assert s.id == "schedule_nightly-report-eu"
    assert (await app.schedules.get("schedule_nightly-report-eu")) == s
    with pytest.raises(ScheduleError, match="already exists") as info:
        await app.schedules.create(id="schedule_nightly-report-eu", workflow_id="report", cron="0 1 * * *", input_data={"team": "a"})
    assert info.value.code == "SCHEDULE_ID_EXISTS"
    with pytest.raises(ScheduleError, match="empty after normalization"):
        await app.schedules.create(id="!!!", workflow_id="report", cron="0 1 * * *", input_data={"team": "a"})


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"cron": "0 25 * * *"}, "cron", "field 'cron': Invalid cron expression '0 25 \\* \\* \\*': Bad hour"),
        ({"timezone": "Europe/Pariss"}, "timezone", "field 'timezone': Invalid timezone 'Europe/Pariss'"),
        ({"input_data": {"team": 3}}, "input_data", "invalid input_data: \n- team: Input should be a valid string"),
        ({"input_data": None}, "input_data", "invalid input_data: \n- team: Field required"),
        ({"status": "running"}, "status", "field 'status' must be 'active' or 'paused'"),
        ({"catch_up": "all"}, "catch_up", "field 'catch_up' must be 'skip' or 'latest'"),
        ({"metadata": ["x"]}, "metadata", "field 'metadata' must be a mapping"),
    ],
)
async def test_bad_schedules_are_refused_naming_the_field(kwargs: dict[str, Any], field: str, message: str) -> None:
    app, _ = fake_app(report_workflow())
    args: dict[str, Any] = {"workflow_id": "report", "cron": "0 9 * * *", "timezone": "UTC", "input_data": {"team": "a"}, **kwargs}
    with pytest.raises(ScheduleError, match=message) as info:
        await app.schedules.create(id="bad", **args)
    assert info.value.field == field
    assert "schedule_bad" in str(info.value)
    assert await app.schedules.list() == [], "nothing stored"


async def test_an_unknown_workflow_is_refused() -> None:
    app, _ = fake_app(report_workflow())
    with pytest.raises(WorkflowNotFoundError, match="'nope' not found"):
        await app.schedules.create(workflow_id="nope", cron="* * * * *")


async def test_list_get_update_delete() -> None:
    app, clock = fake_app(report_workflow(), report_workflow("other"))
    a = await app.schedules.create(id="a", workflow_id="report", cron="0 9 * * *", timezone="UTC", input_data={"team": "a"})
    await clock.advance(1)
    b = await app.schedules.create(
        id="b", workflow_id="other", cron="0 10 * * *", timezone="UTC", input_data={"team": "b"}, status="paused"
    )
    assert [s.id for s in await app.schedules.list()] == [a.id, b.id]
    assert [s.id for s in await app.schedules.list(workflow_id="other")] == [b.id]
    assert [s.id for s in await app.schedules.list(status="active")] == [a.id]
    with pytest.raises(ScheduleError, match="filter 'status' must be 'active' or 'paused', got 'bogus'"):
        await app.schedules.list(status="bogus")  # (it listed nothing, as if none matched)
    await clock.advance(MINUTE)
    moved = await app.schedules.update(a.id, cron="30 12 * * *", input_data={"team": "aa"}, metadata={"v": 2})
    assert (moved.cron, moved.next_fire_at, moved.input_data, moved.metadata) == ("30 12 * * *", T0 + 30 * MINUTE, {"team": "aa"}, {"v": 2})
    renamed = await app.schedules.update(a.id, request_context={"tenant": "t"}, resource_id="user-9")
    assert renamed.next_fire_at == moved.next_fire_at, "only a new cron or zone recomputes the next fire"
    assert renamed.to_dict()["requestContext"] == {"tenant": "t"} and renamed.to_dict()["resourceId"] == "user-9"
    with pytest.raises(ScheduleError, match="invalid input_data"):
        await app.schedules.update(a.id, input_data={"wrong": 1})
    with pytest.raises(ScheduleError, match="field 'timezone'"):
        await app.schedules.update(a.id, timezone="Nowhere/Land")
    assert (await stored(app, a.id)) == renamed, "a refused update changes nothing"
    assert await app.schedules.delete(a.id)
    assert not await app.schedules.delete(a.id)
    assert await app.schedules.get(a.id) is None
    for call in (
        app.schedules.update(a.id, cron="* * * * *"),
        app.schedules.pause(a.id),
        app.schedules.run(a.id),
        app.schedules.triggers(a.id),
    ):
        with pytest.raises(ScheduleNotFoundError, match="schedule_a' not found"):
            await call


async def test_pause_stops_fires_and_resume_does_not_back_fill() -> None:
    app, clock = fake_app(report_workflow())
    await app.scheduler.start()
    s = await app.schedules.create(workflow_id="report", cron="* * * * *", timezone="UTC", input_data={"team": "p"})
    await clock.advance(MINUTE)
    await settle(app)
    paused = await app.schedules.pause(s.id)
    assert paused.status == "paused" and (await app.schedules.pause(s.id)) == paused
    for _ in range(5):
        await clock.advance(MINUTE)
        await settle(app)
    assert len(await trigger_dicts(app, s.id)) == 1, "no fire while paused"
    resumed = await app.schedules.resume(s.id)
    assert resumed.status == "active" and resumed.next_fire_at == T0 + 7 * MINUTE
    await clock.advance(MINUTE)
    await settle(app)
    await app.scheduler.stop()
    assert [r["scheduledFireAt"] for r in await trigger_dicts(app, s.id)] == [T0 + 7 * MINUTE, T0 + MINUTE]


async def test_run_fires_now_even_while_paused_and_keeps_the_next_fire() -> None:
    app, clock = fake_app(report_workflow())
    s = await app.schedules.create(workflow_id="report", cron="0 9 * * *", timezone="UTC", input_data={"team": "m"}, status="paused")
    await clock.advance(1234)
    run_id = await app.schedules.run(s.id)
    assert run_id == f"sched_{s.id}_{T0 + 1234}"
    await settle(app)
    assert statuses(await app.get_workflow("report").list_runs()) == {run_id: "success"}
    [row] = await trigger_dicts(app, s.id)
    assert {k: row[k] for k in ("runId", "triggerKind", "outcome", "scheduledFireAt")} == {
        "runId": run_id,
        "triggerKind": "manual",
        "outcome": "published",
        "scheduledFireAt": T0 + 1234,
    }
    after = await stored(app, s.id)
    assert (after.status, after.next_fire_at) == ("paused", s.next_fire_at)


async def test_run_that_cannot_start_raises_and_is_audited() -> None:
    app, _ = fake_app(report_workflow())
    s = await app.schedules.create(workflow_id="report", cron="0 9 * * *", input_data={"team": "m"})
    await app.schedules.run(s.id)
    with pytest.raises(ScheduleError, match=r"could not start: run .* already exists"):
        await app.schedules.run(s.id)  # same millisecond on the fake clock: same run id
    assert [r["outcome"] for r in await trigger_dicts(app, s.id)] == ["failed", "published"]


async def test_triggers_are_newest_first_and_paginated() -> None:
    app, clock = fake_app(report_workflow())
    s = await app.schedules.create(workflow_id="report", cron="0 9 * * *", input_data={"team": "m"})
    ids = []
    for _ in range(5):
        await clock.advance(10)
        ids.append(await app.schedules.run(s.id))
    await settle(app)
    page = await app.schedules.triggers(s.id, page=1, per_page=2)
    assert [t.run_id for t in page.triggers] == [ids[2], ids[1]]
    assert page.to_dict()["total"] == 5 and page.to_dict()["hasMore"] is True
    last = await app.schedules.triggers(s.id, page=2, per_page=2)
    assert [t.run_id for t in last.triggers] == [ids[0]] and last.to_dict()["hasMore"] is False
    window = await app.schedules.triggers(s.id, from_fire_at=T0 + 20, to_fire_at=T0 + 40)
    assert [t.run_id for t in window.triggers] == [ids[2], ids[1]]
