"""`stepstream schedules ... --url` against a running `stepstream serve` of the scheduled app. The
command line's own storage is a fresh empty file, so only the server can answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from stepstream.client import Client

from .conftest import ROOT, Cli, cli_env, fire_suspending_schedule, one_error_line
from .served import Served

APP = "tests.cli.scheduled:app"


@pytest.fixture(scope="module")
def scheduled_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`stepstream serve` of the scheduled app (its scheduler stores the declared `wf_report`)."""
    where = tmp_path_factory.mktemp("scheduled")
    server = Served(["serve", APP, "--port", "0"], ROOT, cli_env(f"sqlite:///{where / 'server.db'}"), where / "serve.log")
    server.get("/api/schedules/wf_report")  # the scheduler has stored the declared schedule
    yield server.api
    server.stop()


def test_list_show_pause_resume_run_over_url(cli: Cli, scheduled_url: str, storage_url: str) -> None:
    url = ["--url", scheduled_url]
    assert cli("schedules", "list").stdout.strip() == "No schedules."  # the local storage has none
    listed = json.loads(cli("schedules", "list", "--json", *url).stdout)
    assert [(s["id"], s["cron"], s["timezone"], s["status"]) for s in listed] == [("wf_report", "0 9 * * *", "Europe/Paris", "active")]
    assert "wf_report" in cli("schedules", "list", "report", *url).stdout
    assert json.loads(cli("schedules", "list", "--status", "paused", "--json", *url).stdout) == []
    paused = cli("schedules", "pause", "wf_report", *url)
    assert paused.returncode == 0 and paused.stdout.strip() == "Paused schedule wf_report"
    env = {**cli_env(storage_url), "STEPSTREAM_URL": scheduled_url, "STEPSTREAM_TOKEN": "unused"}
    assert [s["id"] for s in json.loads(cli("schedules", "list", "--status", "paused", "--json", env=env).stdout)] == ["wf_report"]
    fired = cli("schedules", "run", "wf_report", *url)
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.startswith("Fired schedule wf_report: run sched_wf_report_") and fired.stdout.strip().endswith(" success")
    run_id = fired.stdout.split(": run ")[1].split()[0]
    shown = json.loads(cli("schedules", "show", "wf_report", "--json", *url).stdout)
    assert shown["status"] == "paused" and [(t["runId"], t["triggerKind"]) for t in shown["triggers"]] == [(run_id, "manual")]
    assert "manual" in cli("schedules", "show", "wf_report", *url).stdout
    state = json.loads(cli("runs", "show", run_id, "--json", *url).stdout)
    assert state["status"] == "success" and state["result"] == {"greeting": "hello ops"}
    resumed = cli("schedules", "resume", "wf_report", *url)
    assert resumed.returncode == 0 and resumed.stdout.startswith("Resumed schedule wf_report; next fire ")
    assert json.loads(cli("schedules", "show", "wf_report", "--json", *url).stdout)["status"] == "active"


def test_bad_input_over_url_is_one_line(cli: Cli, scheduled_url: str) -> None:
    url = ["--url", scheduled_url]
    for verb in ("show", "pause", "resume", "run"):
        one_error_line(cli("schedules", verb, "schedule_nope", *url), "Schedule 'schedule_nope' not found")
    one_error_line(cli("schedules", "list", "--url", "http://127.0.0.1:9"), "Server http://127.0.0.1:9 did not answer")


def test_run_over_url_of_a_schedule_whose_run_suspends_exits_2_with_the_resume_command(cli: Cli, server_url: str) -> None:
    async def store() -> str:
        async with Client(server_url) as client:
            return (await client.create_schedule(id="tours", workflow_id="tour", cron="0 9 * * *", input_data={"item": "map"})).id

    fire_suspending_schedule(cli, asyncio.run(store()), "--url", server_url)
