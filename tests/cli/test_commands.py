"""Every `stepstream` command through a subprocess (not a terminal): JSON lines, exit codes,
the printed resume command, stored runs, and one clear error line for bad input."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import APP, ROOT, Cli, cli_env, json_lines, one_error_line

TOUR_INPUT = '{"item": "book"}'
VALID_STATUSES = "'pending', 'running', 'waiting', 'suspended', 'success', 'failed', 'canceled', 'tripwire', 'paused'"


def start_suspended(cli: Cli) -> tuple[str, str]:
    """Runs `tour` up to its suspension; returns the run id and the printed resume command."""
    proc = cli("run", APP, "tour", "--input", TOUR_INPUT, "--json")
    assert proc.returncode == 2, proc.stderr
    events = json_lines(proc.stdout)
    run_id = events[0]["runId"]
    assert events[-1]["type"] == "workflow-finish" and events[-1]["payload"]["workflowStatus"] == "suspended"
    command = proc.stderr.strip().splitlines()[-1].strip()
    assert run_id in proc.stderr and command.startswith(f"stepstream resume {run_id} ")
    return run_id, command


def status_of(cli: Cli, run_id: str) -> str:
    proc = cli("runs", "show", run_id, "--json")
    assert proc.returncode == 0, proc.stderr
    status: str = json.loads(proc.stdout)["status"]
    return status


def test_run_prints_events_as_json_lines_and_exits_0_on_success(cli: Cli) -> None:
    proc = cli("run", APP, "quick", "--input", TOUR_INPUT, "--json")
    assert proc.returncode == 0, proc.stderr
    events = json_lines(proc.stdout)
    assert [e["type"] for e in events] == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-output",
        "workflow-step-result",
        "workflow-finish",
    ]
    assert events[2]["payload"]["output"] == {"checking": "book"}
    assert events[3]["payload"]["output"] == {"n": 4}
    assert {e["runId"] for e in events} == {events[0]["runId"]}


def test_run_exits_1_on_failure_naming_the_error(cli: Cli) -> None:
    proc = cli("run", APP, "broken", "--input", TOUR_INPUT, "--json")
    assert proc.returncode == 1
    assert json_lines(proc.stdout)[-1]["payload"]["workflowStatus"] == "failed"
    assert "boom: the warehouse is closed" in proc.stderr


def test_run_without_json_prints_one_line_per_step(cli: Cli) -> None:
    proc = cli("run", APP, "tour", "--input", TOUR_INPUT)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stdout.splitlines()
    for started, ended in [("▸ check", "✓ check"), ("▸ price", "✓ price"), ("▸ boxing.pack", "✓ boxing.pack"), ("▸ double", "✓ double")]:
        assert any(line.strip() == started for line in lines), proc.stdout
        assert any(line.strip().startswith(ended + " ") and line.strip().endswith("s") for line in lines), proc.stdout
    assert any('│ {"checking": "book"}' in line for line in lines)
    assert any("⏸ approve suspended" in line for line in lines)
    assert any('payload: {"question": "ship it?"' in line for line in lines)


def test_suspended_run_prints_the_exact_resume_command_which_finishes_it(cli: Cli, storage_url: str) -> None:
    run_id, command = start_suspended(cli)
    args = shlex.split(command)
    assert args[:3] == ["stepstream", "resume", run_id]
    assert args[args.index("--step") + 1] == "approve" and args[args.index("--app") + 1] == APP
    args[args.index("--data") + 1] = json.dumps({"approved": True, "amount": 3})
    proc = cli(*args[1:], "--json")
    assert proc.returncode == 0, proc.stderr
    finish = json_lines(proc.stdout)[-1]
    assert finish["payload"]["workflowStatus"] == "success"
    shown = json.loads(cli("runs", "show", run_id, "--json").stdout)
    assert shown["status"] == "success" and shown["result"] == {"item": "book:True:3"}


def test_resume_refuses_bad_data_and_the_run_stays_resumable(cli: Cli) -> None:
    run_id, _ = start_suspended(cli)
    one_error_line(cli("resume", run_id, "--app", APP, "--data", '{"approved": true, "amount": 500}'), "Invalid resume data", "amount")
    one_error_line(cli("resume", run_id, "--app", APP, "--data", '{"approved": tru'), "--data is not valid JSON")
    one_error_line(cli("resume", run_id, "--app", APP, "--step", "nope", "--data", "{}"), '"nope" was not suspended', "approve")
    one_error_line(cli("resume", "no-such-run", "--app", APP, "--data", "{}"), "Run 'no-such-run' not found")
    one_error_line(cli("resume", run_id, "--app", APP), "--data is required")
    assert status_of(cli, run_id) == "suspended"
    proc = cli("resume", run_id, "--app", APP, "--data", '{"approved": false, "amount": 1}')
    assert proc.returncode == 0, proc.stderr
    assert "✓ success" in proc.stdout and "book:False:1" in proc.stdout
    one_error_line(cli("resume", run_id, "--app", APP, "--data", "{}"), "is not suspended (status: success)")


def test_bad_apps_workflows_and_input_get_one_clear_line(cli: Cli) -> None:
    one_error_line(cli("run", "no_such_module:app", "tour"), "no module named 'no_such_module'")
    one_error_line(cli("run", "tests.cli.flows:nope", "tour"), "has no attribute 'nope'")
    one_error_line(cli("run", "tests.cli.flows:not_an_app", "tour"), "is a Workflow, not a Stepstream")
    one_error_line(cli("run", "tests.cli.flows", "tour"), "must be module:attribute")
    one_error_line(cli("run", APP, "nope"), "Workflow 'nope' not found", "tour")
    one_error_line(cli("run", APP, "tour", "--input", "{item"), "--input is not valid JSON")
    one_error_line(cli("run", APP, "tour", "--input", '{"items": 1}'), "Invalid input data", "item")
    one_error_line(cli("run", "tour"), "No app given")
    one_error_line(cli("runs", "show", "nope"), "Run 'nope' not found")
    one_error_line(cli("cancel", "nope", "--app", APP), "Run 'nope' not found")
    one_error_line(cli("run", APP, "quick", "--storage", "mysql://x"), "Unknown storage URL")


def test_app_can_come_from_the_environment(cli: Cli, storage_url: str) -> None:
    env = cli_env(storage_url) | {"STEPSTREAM_APP": APP}
    proc = cli("run", "quick", "--input", TOUR_INPUT, "--json", env=env)
    assert proc.returncode == 0, proc.stderr


def test_runs_list_filters_by_workflow_and_status_with_or_without_the_app(cli: Cli) -> None:
    suspended, _ = start_suspended(cli)
    assert cli("run", APP, "quick", "--input", TOUR_INPUT).returncode == 0
    assert cli("run", APP, "broken", "--input", TOUR_INPUT).returncode == 1
    every = json.loads(cli("runs", "list", "--json").stdout)
    assert sorted(r["workflowName"] for r in every) == ["broken", "quick", "tour"]
    only = json.loads(cli("runs", "list", "tour", "--json", "--app", APP).stdout)
    assert [(r["runId"], r["status"]) for r in only] == [(suspended, "suspended")]
    failed = json.loads(cli("runs", "list", "--status", "failed", "--json").stdout)
    assert [r["workflowName"] for r in failed] == ["broken"]
    table = cli("runs", "list").stdout
    assert suspended in table and "suspended" in table and "broken" in table


def test_runs_list_refuses_an_unknown_status_and_an_unknown_workflow_of_the_app(cli: Cli) -> None:
    for args in (["--status", "bogus"], ["--status", "bogus", "--app", APP]):
        proc = cli("runs", "list", *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stdout
        assert proc.stderr.splitlines()[-1] == f"Error: Invalid value for '--status': 'bogus' is not one of {VALID_STATUSES}."
    one_error_line(cli("runs", "list", "nope", "--app", APP), "Workflow 'nope' not found", "batch, broken, quick, tour")
    assert cli("runs", "list", "nope").stdout.strip() == "No runs."  # without an app, no workflow is known


def test_runs_show_prints_steps_and_result(cli: Cli) -> None:
    run_id, _ = start_suspended(cli)
    proc = cli("runs", "show", run_id)
    assert proc.returncode == 0, proc.stderr
    assert run_id in proc.stdout and "suspended at approve" in proc.stdout
    assert any(line.split()[:2] == ["boxing.pack", "success"] for line in proc.stdout.splitlines())
    assert '"question": "ship it?"' in proc.stdout
    state = json.loads(cli("runs", "show", run_id, "--json", "--app", APP).stdout)
    assert state["steps"]["double"]["output"] == [0, 2, 4, 6]


def test_cancel_ends_a_suspended_run(cli: Cli) -> None:
    run_id, _ = start_suspended(cli)
    proc = cli("cancel", run_id, "--app", APP)
    assert proc.returncode == 0, proc.stderr
    assert f"Canceled run {run_id}" in proc.stdout
    assert status_of(cli, run_id) == "canceled"
    shown = cli("runs", "show", run_id).stdout
    assert "canceled" in shown and "suspended at" not in shown  # its step record stays `suspended`
    one_error_line(cli("cancel", run_id, "--app", APP), "has already ended (status: canceled)")
    one_error_line(cli("resume", run_id, "--app", APP, "--data", "{}"), "is not suspended (status: canceled)")


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("stepstream")
    assert script.is_file(), "pip install -e '.[dev]' installs the stepstream script"


def test_runs_watch_follows_a_run_from_another_process(cli: Cli, storage_url: str) -> None:
    runner = subprocess.Popen(
        [sys.executable, "-m", "stepstream.cli", "run", APP, "batch", "--input", "[1, 2, 3, 4, 5]", "--run-id", "watched", "--json"],
        cwd=ROOT,
        env=cli_env(storage_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while cli("runs", "show", "watched").returncode != 0:
        assert time.monotonic() < deadline and runner.poll() is None, runner.communicate()
        time.sleep(0.1)
    watched = cli("runs", "watch", "watched", "--app", APP, "--json")
    ran, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0 and watched.returncode == 0, watched.stderr
    assert [e["type"] for e in json_lines(watched.stdout)] == [e["type"] for e in json_lines(ran)]
    assert json_lines(watched.stdout)[-1]["payload"]["workflowStatus"] == "success"
    again = cli("runs", "watch", "watched", "--app", APP, "--offset", "1")
    assert again.returncode == 0 and "✓ success" in again.stdout and "[2, 3, 4, 5, 6]" in again.stdout


def test_runs_watch_of_a_suspended_run_exits_2_with_the_resume_command(cli: Cli) -> None:
    run_id, command = start_suspended(cli)
    proc = cli("runs", "watch", run_id, "--app", APP, "--json")
    assert proc.returncode == 2 and command in proc.stderr
    one_error_line(cli("runs", "watch", "nope", "--app", APP), "Run 'nope' not found")
