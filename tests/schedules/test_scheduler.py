"""The scheduler on a fake clock: when it wakes, what it fires, missed fires, DST, stopping."""

from __future__ import annotations

import asyncio

import pytest

from stepstream import ScheduleError, Stepstream
from stepstream.schedules import Cron, Schedule, plan_fire
from stepstream.storage import InMemoryStorage, RunRecord

from .conftest import T0, fake_app, ms, report_workflow, settle, statuses, stored, trigger_dicts

MINUTE = 60_000


# -- the plan of one fire (pure) ---------------------------------------------------


def test_plan_on_time_and_a_little_late_fires_the_slot() -> None:
    cron = Cron("* * * * *", "UTC")
    on_time = plan_fire(cron, T0 + MINUTE, T0 + MINUTE, "skip")
    late = plan_fire(cron, T0 + MINUTE, T0 + MINUTE + 59_999, "skip")
    assert (on_time.fire_at, on_time.next_fire_at, on_time.missed) == (T0 + MINUTE, T0 + 2 * MINUTE, False)
    assert (late.fire_at, late.next_fire_at, late.missed) == (T0 + MINUTE, T0 + 2 * MINUTE, False)


def test_plan_for_missed_slots_skips_or_fires_the_latest() -> None:
    cron = Cron("* * * * *", "UTC")
    skip = plan_fire(cron, T0 + MINUTE, T0 + 3 * MINUTE + 5, "skip")
    latest = plan_fire(cron, T0 + MINUTE, T0 + 3 * MINUTE + 5, "latest")
    assert (skip.fire_at, skip.next_fire_at, skip.missed) == (None, T0 + 4 * MINUTE, True)
    assert (latest.fire_at, latest.next_fire_at, latest.missed) == (T0 + 3 * MINUTE, T0 + 4 * MINUTE, True)


# -- waking ------------------------------------------------------------------------


async def test_sleeps_until_the_next_due_fire_and_fires_it() -> None:
    schedule = {"cron": "*/5 * * * *", "timezone": "UTC", "input_data": {"team": "ops"}}
    app, clock = fake_app(report_workflow(schedule=schedule), max_sleep_ms=3_600_000)
    await app.scheduler.start()
    await settle(app)
    assert clock.deadlines == [T0 + 5 * MINUTE], "asleep until the next slot, not polling"
    await clock.set(T0 + 5 * MINUTE)
    await settle(app)
    assert clock.deadlines == [T0 + 10 * MINUTE]
    [row] = await trigger_dicts(app, "wf_report")
    run_id = f"sched_wf_report_{T0 + 5 * MINUTE}"
    assert {k: row[k] for k in ("runId", "scheduledFireAt", "actualFireAt", "outcome", "triggerKind")} == {
        "runId": run_id,
        "scheduledFireAt": T0 + 5 * MINUTE,
        "actualFireAt": T0 + 5 * MINUTE,
        "outcome": "published",
        "triggerKind": "schedule-fire",
    }
    result = await app.get_workflow("report").get_run(run_id)
    assert result is not None and result.status == "success" and result.result == {"greeting": "hello ops"}
    saved = await stored(app, "wf_report")
    assert (saved.last_fire_at, saved.last_run_id, saved.next_fire_at) == (T0 + 5 * MINUTE, run_id, T0 + 10 * MINUTE)
    await app.scheduler.stop()
    assert not app.scheduler.is_running


async def test_tick_interval_bounds_the_sleep_and_idle_sleep_is_bounded_too() -> None:
    hourly = {"cron": "0 * * * *", "timezone": "UTC", "input_data": {"team": "a"}}
    app, clock = fake_app(report_workflow(schedule=hourly), tick_interval_ms=200)
    await app.scheduler.start()
    await settle(app)
    assert clock.deadlines == [T0 + 200]
    await app.scheduler.stop()
    daily, daily_clock = fake_app(report_workflow(schedule={"cron": "0 9 * * *", "timezone": "UTC", "input_data": {"team": "a"}}))
    await daily.scheduler.start()
    await settle(daily)
    assert daily_clock.deadlines == [T0 + 10_000], "far-off fires: checks every max_sleep_ms (10 s) for other processes' changes"
    await daily.scheduler.stop()
    idle, idle_clock = fake_app(report_workflow())
    await idle.scheduler.start()
    await settle(idle)
    assert idle_clock.deadlines == [T0 + 10_000], "no schedules: wakes every max_sleep_ms to see other processes' ones"
    await idle.scheduler.stop()


async def test_a_new_schedule_wakes_the_sleeping_scheduler() -> None:
    app, clock = fake_app(report_workflow())
    await app.scheduler.start()
    await settle(app)
    created = await app.schedules.create(workflow_id="report", cron="* * * * * *", timezone="UTC", input_data={"team": "x"})
    await settle(app)
    assert clock.deadlines == [created.next_fire_at] == [T0 + 1000]
    await clock.advance(1000)
    await settle(app)
    assert [r["outcome"] for r in await trigger_dicts(app, created.id)] == ["published"]
    await app.scheduler.stop()


@pytest.mark.parametrize("config", [{"tick_interval_ms": 0}, {"batch_size": "10"}, {"catch_up": "all"}, {"tick": 5}, "yes", True, [1]])
def test_bad_scheduler_config_is_refused(config: object) -> None:
    with pytest.raises(ScheduleError, match="scheduler config"):
        Stepstream(workflows=[report_workflow()], storage=InMemoryStorage(), scheduler=config)  # type: ignore[arg-type]


# -- missed fires ------------------------------------------------------------------


async def _after_outage(catch_up: str) -> tuple[Stepstream, list[dict[str, object]]]:
    app, clock = fake_app(
        report_workflow(schedule={"cron": "* * * * *", "timezone": "UTC", "input_data": {"team": "t"}, "catch_up": catch_up})
    )
    await app.scheduler.start()
    await settle(app)
    await app.scheduler.stop()  # the process is down for three and a half minutes
    await clock.set(T0 + 4 * MINUTE + 30_000)
    await app.scheduler.start()
    await settle(app)
    await app.scheduler.stop()
    return app, await trigger_dicts(app, "wf_report")


async def test_missed_fires_are_skipped_by_default() -> None:
    app, rows = await _after_outage("skip")
    assert [(r["outcome"], r["runId"], r["scheduledFireAt"]) for r in rows] == [("skipped", None, T0 + MINUTE)]
    assert rows[0]["metadata"] == {"missedFrom": T0 + MINUTE, "until": T0 + 4 * MINUTE + 30_000}
    assert (await app.get_workflow("report").list_runs())["total"] == 0
    assert (await stored(app, "wf_report")).next_fire_at == T0 + 5 * MINUTE


async def test_catch_up_latest_fires_once_for_the_missed_slots() -> None:
    app, rows = await _after_outage("latest")
    run_id = f"sched_wf_report_{T0 + 4 * MINUTE}"
    assert [(r["outcome"], r["runId"], r["scheduledFireAt"]) for r in rows] == [("published", run_id, T0 + 4 * MINUTE)]
    assert rows[0]["metadata"] == {"missedFrom": T0 + MINUTE}
    assert statuses(await app.get_workflow("report").list_runs()) == {run_id: "success"}
    assert (await stored(app, "wf_report")).next_fire_at == T0 + 5 * MINUTE


async def test_catch_up_latest_as_the_scheduler_default() -> None:
    app, clock = fake_app(
        report_workflow(schedule={"cron": "* * * * *", "timezone": "UTC", "input_data": {"team": "t"}}), catch_up="latest"
    )
    await app.scheduler.start()
    await settle(app)
    await app.scheduler.stop()
    await clock.set(T0 + 3 * MINUTE)
    assert await app.scheduler.tick() == 1
    await settle(app)
    assert [r["runId"] for r in await trigger_dicts(app, "wf_report")] == [f"sched_wf_report_{T0 + 3 * MINUTE}"]


# -- daylight saving time ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ((2027, 3, 27, 12), [ms(2027, 3, 28, 1, 0), ms(2027, 3, 29, 0, 30), ms(2027, 3, 30, 0, 30)]),  # spring forward: 03:00 CEST once
        ((2027, 10, 30, 12), [ms(2027, 10, 31, 0, 30), ms(2027, 11, 1, 1, 30), ms(2027, 11, 2, 1, 30)]),  # fall back: the first 02:30 only
    ],
)
async def test_daily_0230_in_paris_fires_once_a_day_across_dst(start: tuple[int, int, int, int], expected: list[int]) -> None:
    schedule = {"cron": "30 2 * * *", "timezone": "Europe/Paris", "input_data": {"team": "night"}}
    app, clock = fake_app(report_workflow(schedule=schedule), start=ms(*start))
    await app.scheduler.start()
    for _ in range(3 * 24 * 4):  # three days in 15-minute steps, as a scheduler waking at each due time would
        await clock.advance(15 * MINUTE)
        await settle(app)
    await app.scheduler.stop()
    rows = await trigger_dicts(app, "wf_report")
    assert [r["scheduledFireAt"] for r in reversed(rows)] == expected
    assert {r["outcome"] for r in rows} == {"published"}
    runs = statuses(await app.get_workflow("report").list_runs())
    assert runs == {f"sched_wf_report_{at}": "success" for at in expected}


# -- failures and fences -----------------------------------------------------------


async def test_a_run_that_cannot_start_is_audited_as_failed_and_the_schedule_moves_on() -> None:
    app, clock = fake_app(report_workflow())
    await app.storage.create_schedule(
        Schedule(id="schedule_bad", workflow_id="report", cron="* * * * *", timezone="UTC", next_fire_at=T0, input_data={"team": 5})
    )
    await clock.set(T0 + 1)
    assert await app.scheduler.tick() == 1
    [row] = await trigger_dicts(app, "schedule_bad")
    assert row["outcome"] == "failed" and row["runId"] == f"sched_schedule_bad_{T0}"
    assert "Invalid input data" in row["error"] and "team" in row["error"]
    assert (await stored(app, "schedule_bad")).next_fire_at == T0 + MINUTE


async def test_an_existing_run_id_is_never_started_twice() -> None:
    app, clock = fake_app(report_workflow())
    await app.storage.create_schedule(
        Schedule(id="schedule_x", workflow_id="report", cron="* * * * *", timezone="UTC", next_fire_at=T0, input_data={"team": "a"})
    )
    await app.storage.create_run(RunRecord("report", f"sched_schedule_x_{T0}", status="success"))
    await clock.set(T0)
    assert await app.scheduler.tick() == 1
    [row] = await trigger_dicts(app, "schedule_x")
    assert row["outcome"] == "failed" and "already exists (status 'success')" in row["error"]


async def test_a_schedule_of_a_workflow_this_process_lacks_is_left_to_others() -> None:
    app, clock = fake_app(report_workflow())
    await app.storage.create_schedule(
        Schedule(id="schedule_other", workflow_id="elsewhere", cron="* * * * *", timezone="UTC", next_fire_at=T0)
    )
    await clock.set(T0 + 5)
    assert await app.scheduler.tick() == 0
    assert (await stored(app, "schedule_other")).next_fire_at == T0, "not claimed: a replica that has the workflow fires it"
    assert await trigger_dicts(app, "schedule_other") == []


class GatedStorage(InMemoryStorage):
    """Holds scheduled runs' first write until released."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def create_run(self, record: RunRecord) -> bool:
        if record.run_id.startswith("sched_"):
            self.entered.set()
            await self.release.wait()
        return await super().create_run(record)


async def test_stop_never_abandons_a_claimed_fire() -> None:
    storage = GatedStorage()
    app, clock = fake_app(report_workflow(schedule={"cron": "* * * * *", "timezone": "UTC", "input_data": {"team": "z"}}), storage=storage)
    await app.scheduler.start()
    await settle(app)
    await clock.set(T0 + MINUTE)
    await storage.entered.wait()  # claimed, starting its run
    stopping = asyncio.ensure_future(app.scheduler.stop(wait_for_runs=True))
    for _ in range(100):
        await asyncio.sleep(0)
    assert not stopping.done(), "stop waits for the claimed fire"
    storage.release.set()
    await stopping
    run_id = f"sched_wf_report_{T0 + MINUTE}"
    assert [(r["runId"], r["outcome"]) for r in await trigger_dicts(app, "wf_report")] == [(run_id, "published")]
    assert statuses(await app.get_workflow("report").list_runs()) == {run_id: "success"}
