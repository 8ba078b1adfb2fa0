"""`stepstream schedules list|show|pause|resume|run` in a subprocess, on a SQLite file."""

from __future__ import annotations

import asyncio
import json

from stepstream import Stepstream

from ..schedules.conftest import report_workflow
from .conftest import APP as FLOWS
from .conftest import Cli, fire_suspending_schedule, one_error_line
from .flows import tour
from .scheduled import DAILY

APP = "tests.cli.scheduled:app"


def _store_schedules(storage_url: str) -> str:
    """Stores the declared schedule (as a starting scheduler does) and an imperative one; its id."""

    async def main() -> str:
        app = Stepstream(workflows=[report_workflow(schedule=DAILY)], storage=storage_url)
        async with app:
            await app.scheduler.start()
            await app.scheduler.stop()
            created = await app.schedules.create(id="hourly", workflow_id="report", cron="0 * * * *", input_data={"team": "dev"})
            return created.id

    return asyncio.run(main())


def test_list_show_pause_resume_run(cli: Cli, storage_url: str) -> None:
    assert cli("schedules", "list").stdout.strip() == "No schedules."
    hourly = _store_schedules(storage_url)
    listed = json.loads(cli("schedules", "list", "--json").stdout)
    assert [(s["id"], s["cron"], s["status"]) for s in listed] == [("wf_report", "0 9 * * *", "active"), (hourly, "0 * * * *", "active")]
    table = cli("schedules", "list", "report").stdout
    assert "wf_report" in table and "Europe/Paris" in table and hourly in table
    paused = cli("schedules", "pause", hourly)
    assert paused.returncode == 0 and paused.stdout.strip() == f"Paused schedule {hourly}"
    assert [s["id"] for s in json.loads(cli("schedules", "list", "--status", "paused", "--json").stdout)] == [hourly]
    fired = cli("schedules", "run", hourly, "--app", APP)
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.startswith(f"Fired schedule {hourly}: run sched_{hourly}_") and fired.stdout.strip().endswith(" success")
    shown = json.loads(cli("schedules", "show", hourly, "--json").stdout)
    assert shown["status"] == "paused" and [(t["triggerKind"], t["outcome"]) for t in shown["triggers"]] == [("manual", "published")]
    assert "manual" in cli("schedules", "show", hourly).stdout
    resumed = cli("schedules", "resume", hourly)
    assert resumed.returncode == 0 and resumed.stdout.startswith(f"Resumed schedule {hourly}; next fire ")
    assert json.loads(cli("schedules", "show", hourly, "--json").stdout)["status"] == "active"


def test_errors_are_one_line(cli: Cli, storage_url: str) -> None:
    one_error_line(cli("schedules", "pause", "schedule_nope"), "Schedule 'schedule_nope' not found")
    one_error_line(cli("schedules", "show", "schedule_nope"), "Schedule 'schedule_nope' not found")
    one_error_line(cli("schedules", "run", "schedule_nope"), "No app given")
    one_error_line(cli("schedules", "run", "schedule_nope", "--app", APP), "Schedule 'schedule_nope' not found")


def test_run_of_a_schedule_whose_run_suspends_exits_2_with_the_resume_command(cli: Cli, storage_url: str) -> None:
    async def store() -> str:
        app = Stepstream(workflows=[tour], storage=storage_url)
        async with app:
            return (await app.schedules.create(id="tours", workflow_id="tour", cron="0 9 * * *", input_data={"item": "map"})).id

    fire_suspending_schedule(cli, asyncio.run(store()), "--app", FLOWS)
