"""`stepstream runs list` and `runs show`: stored runs as tables (or JSON).

Both work from storage alone (`--storage`, `STEPSTREAM_STORAGE_URL`, or the default
SQLite file) when no app is given: looking at runs runs no workflow code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..engine.stored_runs import run_summary, workflow_state
from ..results import WorkflowState
from ..run_query import RunQuery
from ..storage.base import Storage
from ._app import CliError
from ._render import compact, duration

_STATUS_STYLE = {"success": "green", "failed": "red", "suspended": "yellow", "running": "cyan", "canceled": "dim", "waiting": "blue"}


async def stored_runs(storage: Storage, workflow_id: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    """Run summaries, newest first (Mastra's listWorkflowRuns items)."""
    records, _ = await storage.list_runs(RunQuery(workflow_id=workflow_id, status=status, page=0, per_page=limit))
    return [run_summary(r) for r in records]


async def stored_run(storage: Storage, run_id: str, workflow_id: str | None) -> WorkflowState:
    """One run in Mastra's WorkflowState shape, found by id in any workflow unless one is named."""
    if workflow_id is None:
        records, _ = await storage.list_runs()
        owners = [r.workflow_id for r in records if r.run_id == run_id]
        workflow_id = owners[0] if owners else None
    record = await storage.load_run(workflow_id, run_id) if workflow_id else None
    if record is None:
        raise CliError(f"Run {run_id!r} not found" + (f" in workflow {workflow_id!r}" if workflow_id else ""))
    return workflow_state(record)


def when(ms: Any) -> str:
    """A stored millisecond timestamp (or a server's ISO time) as local time, its zone named
    (beside a schedule's own time zone, an unnamed local time reads as that zone's)."""
    if isinstance(ms, str) and ms:
        moment = datetime.fromisoformat(ms.replace("Z", "+00:00"))
    elif isinstance(ms, int | float):
        moment = datetime.fromtimestamp(ms / 1000, UTC)
    else:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def styled(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{escape(status)}[/]"


def print_runs(console: Console, runs: list[dict[str, Any]]) -> None:
    """The runs as a table."""
    if not runs:
        console.print("No runs.")
        return
    table = Table("run", "workflow", "status", "created", "updated", box=None, header_style="bold")
    for r in runs:
        table.add_row(escape(r["runId"]), escape(r["workflowName"]), styled(r["status"]), when(r["createdAt"]), when(r["updatedAt"]))
    console.print(table)


def print_run(console: Console, state: WorkflowState) -> None:
    """One run: status, input, each step, and the result or error."""
    console.print(f"[bold]{escape(state.run_id)}[/]  workflow {escape(state.workflow_id)}  {styled(state.status)}")
    console.print(f"created {when(state.created_at)}  updated {when(state.updated_at)}")
    console.print(f"input: {escape(compact(state.payload, 1000))}")
    table = Table("step", "status", "took", "detail", box=None, header_style="bold")
    for step_id, record in state.steps.items():
        step = record.to_dict()
        table.add_row(escape(step_id), styled(step["status"]), duration(step), escape(step_detail(step)))
    console.print(table)
    if state.status == "suspended":  # a canceled run keeps its steps' `suspended` records
        for path in state.suspended:
            console.print(f"[yellow]suspended at {escape('.'.join(path))}[/]")
    if state.status == "success":
        console.print(f"result: {escape(compact(state.result, 2000))}")
    elif state.error:
        error = state.error
        console.print(f"[red]error: {escape(str(error.get('message') if isinstance(error, dict) else error))}[/]")


def step_detail(step: dict[str, Any]) -> str:
    """What matters about a step record in one short line."""
    if step["status"] == "suspended":
        return "payload " + compact(step.get("suspendPayload"), 120)
    if step["status"] == "failed":
        error = step.get("error")
        return str(error.get("message") if isinstance(error, dict) else error)
    if "output" in step:
        return compact(step["output"], 120)
    return ""


def dump(value: Any) -> str:
    """Indented JSON for `--json`."""
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)
