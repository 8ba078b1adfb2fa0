"""`--url`: every command against a running `stepstream serve` on loopback, through the Python
client. The command line's own storage is a fresh empty file, so only the server can answer."""

from __future__ import annotations

import json
import shlex

from tests.cli.conftest import Cli, cli_env, json_lines, one_error_line


def suspended_run(cli: Cli, url: str, item: str) -> tuple[str, list[str]]:
    """Starts `tour` over `--url` (it suspends at `approve`): its run id and the printed resume command."""
    proc = cli("run", "tour", "--input", f'{{"item": "{item}"}}', "--url", url)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "⏸ approve suspended" in proc.stdout and "✓ boxing.pack" in proc.stdout
    command = shlex.split(proc.stderr.splitlines()[-1])
    return command[2], command


def test_run_suspends_and_the_printed_resume_command_finishes_it(cli: Cli, server_url: str) -> None:
    run_id, command = suspended_run(cli, server_url, "abc")
    assert command == [
        "stepstream", "resume", run_id, "--url", server_url, "--step", "approve", "--data", '{"approved": false, "amount": 1}',
    ]  # fmt: skip
    assert "suspended" in cli("runs", "show", run_id, "--url", server_url).stdout
    proc = cli(*command[1:-1], '{"approved": true, "amount": 5}')
    assert proc.returncode == 0, proc.stderr
    assert "✓ approve" in proc.stdout and "abc:True:5" in proc.stdout
    shown = json.loads(cli("runs", "show", run_id, "--url", server_url, "--json").stdout)
    assert shown["status"] == "success" and shown["result"] == {"item": "abc:True:5"}


def test_json_lines_and_exit_codes_match_the_local_ones(cli: Cli, server_url: str) -> None:
    ok = cli("run", "quick", "--input", '{"item": "abc"}', "--url", server_url, "--json")
    events = json_lines(ok.stdout)
    assert ok.returncode == 0 and events[0]["type"] == "workflow-start" and events[-1]["type"] == "workflow-finish"
    assert events[-1]["payload"]["finalWorkflowResult"] == {"n": 3}
    failed = cli("run", "broken", "--input", '{"item": "abc"}', "--url", server_url, "--json")
    assert failed.returncode == 1 and "boom: the warehouse is closed" in failed.stderr
    listed = json.loads(cli("runs", "list", "quick", "--url", server_url, "--json").stdout)
    assert events[0]["runId"] in [r["runId"] for r in listed] and {r["workflowName"] for r in listed} == {"quick"}


def test_watch_and_cancel_over_url(cli: Cli, server_url: str) -> None:
    run_id, _ = suspended_run(cli, server_url, "pen")
    watched = cli("runs", "watch", run_id, "--url", server_url)
    assert watched.returncode == 2 and "⏸ approve suspended" in watched.stdout
    canceled = cli("cancel", run_id, "--url", server_url)
    assert canceled.returncode == 0 and f"Canceled run {run_id} of workflow tour" in canceled.stdout
    shown = cli("runs", "show", run_id, "--url", server_url).stdout
    assert "canceled" in shown and "suspended at" not in shown  # its step record stays `suspended`
    one_error_line(cli("cancel", run_id, "--url", server_url), "has already ended", "canceled")


def test_bad_input_over_url_is_one_line_and_loses_nothing(cli: Cli, server_url: str) -> None:
    one_error_line(cli("run", "nope", "--url", server_url), "Workflow 'nope' not found", "tour")
    one_error_line(cli("run", "quick", "--input", '{"item":', "--url", server_url), "--input is not valid JSON")
    one_error_line(cli("run", "quick", "--input", '{"itm": 1}', "--url", server_url), "Invalid input data", "item")
    one_error_line(cli("resume", "no-such-run", "--url", server_url, "--data", "{}"), "Run 'no-such-run' not found")
    one_error_line(cli("runs", "show", "no-such-run", "--url", server_url), "Run 'no-such-run' not found")
    one_error_line(cli("runs", "list", "nope", "--url", server_url), "Workflow 'nope' not found")
    bogus = cli("runs", "list", "--status", "bogus", "--url", server_url)
    assert bogus.returncode == 2 and "Error: Invalid value for '--status': 'bogus' is not one of 'pending'," in bogus.stderr
    run_id, _ = suspended_run(cli, server_url, "cup")
    refused = cli("resume", run_id, "--url", server_url, "--data", '{"approved": true, "amount": 500}')
    one_error_line(refused, "Invalid resume data", "amount", "less than or equal to 100")
    one_error_line(cli("resume", run_id, "--url", server_url, "--step", "nope", "--data", "{}"), "nope", "approve")
    assert "suspended" in cli("runs", "show", run_id, "--url", server_url).stdout  # still resumable
    assert cli("resume", run_id, "--url", server_url, "--data", '{"approved": false, "amount": 1}').returncode == 0


def test_the_url_may_come_from_the_environment_and_an_unreachable_server_is_named(cli: Cli, server_url: str, storage_url: str) -> None:
    env = cli_env(storage_url) | {"STEPSTREAM_URL": server_url}
    proc = cli("run", "quick", "--input", '{"item": "env"}', "--json", env=env)
    assert proc.returncode == 0 and json_lines(proc.stdout)[-1]["payload"]["finalWorkflowResult"] == {"n": 3}
    one_error_line(cli("runs", "list", "--url", "http://127.0.0.1:9"), "Server http://127.0.0.1:9 did not answer")


def test_run_ids_that_need_encoding_work_over_url(cli: Cli, server_url: str) -> None:
    for run_id in ("r%41x", "what?now #2"):
        proc = cli("run", "tour", "--input", '{"item": "odd"}', "--run-id", run_id, "--url", server_url)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        command = shlex.split(proc.stderr.splitlines()[-1])
        assert command[:3] == ["stepstream", "resume", run_id]
        one_error_line(cli("run", "tour", "--run-id", run_id, "--url", server_url), "already exists")
        shown = json.loads(cli("runs", "show", run_id, "--url", server_url, "--json").stdout)
        assert (shown["runId"], shown["status"]) == (run_id, "suspended")
        assert cli("runs", "watch", run_id, "--url", server_url).returncode == 2
        resumed = cli(*command[1:-1], '{"approved": true, "amount": 2}')
        assert resumed.returncode == 0 and "odd:True:2" in resumed.stdout, resumed.stderr
        assert json.loads(cli("runs", "show", run_id, "--url", server_url, "--json").stdout)["status"] == "success"
        other = run_id + " again"
        assert cli("run", "tour", "--input", '{"item": "odd"}', "--run-id", other, "--url", server_url).returncode == 2
        canceled = cli("cancel", other, "--url", server_url)
        assert canceled.returncode == 0 and f"Canceled run {other} of workflow tour" in canceled.stdout
        assert json.loads(cli("runs", "show", other, "--url", server_url, "--json").stdout)["status"] == "canceled"
