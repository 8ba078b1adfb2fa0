"""`stepstream schedules list|show|pause|resume|run`: cron schedules from the command line.

`list`, `show`, `pause` and `resume` work from storage alone (no workflow code
runs); `run` fires a schedule now, so it needs the app (`--app`) and runs the
workflow in this process until it settles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..app import Stepstream
from ..errors import StepstreamError
from ..schedules import Schedule, Schedules
from ..storage.base import Storage
from ._app import CliError, load_app
from ._inspect import dump, when
from ._render import make_console

T = TypeVar("T")


async def _on_schedules(
    with_storage: Callable[[str | None, str | None, Callable[[Storage], Awaitable[T]]], Awaitable[T]],
    app_spec: str | None,
    storage_url: str | None,
    work: Callable[[Schedules], Awaitable[T]],
) -> T:
    """Runs `work` on the schedules of the app's storage (or of the storage alone)."""

    async def on(storage: Storage) -> T:
        try:
            return await work(Stepstream(workflows=(), storage=storage).schedules)
        except StepstreamError as exc:
            raise CliError(str(exc)) from None

    return await with_storage(app_spec, storage_url, on)


def print_schedules(console: Console, rows: list[Schedule]) -> None:
    """The schedules as a table."""
    if not rows:
        console.print("No schedules.")
        return
    table = Table("schedule", "workflow", "cron", "zone", "status", "next fire", "last run", box=None, header_style="bold")
    for s in rows:
        status = f"[green]{s.status}[/]" if s.status == "active" else f"[yellow]{s.status}[/]"
        table.add_row(
            escape(s.id),
            escape(s.workflow_id),
            escape(s.cron),
            escape(s.timezone or "host"),
            status,
            when(s.next_fire_at),
            escape(s.last_run_id or ""),
        )
    console.print(table)


def print_schedule(console: Console, schedule: Schedule, triggers: list[dict[str, Any]]) -> None:
    """One schedule and its latest audit rows."""
    print_schedules(console, [schedule])
    if schedule.input_data is not None:
        console.print(f"input: {escape(dump(schedule.input_data))}")
    table = Table("fired", "slot", "outcome", "kind", "run", "error", box=None, header_style="bold")
    for t in triggers:
        table.add_row(
            when(t["actualFireAt"]),
            when(t["scheduledFireAt"]),
            escape(t["outcome"]),
            escape(t["triggerKind"]),
            escape(t["runId"] or ""),
            escape(t.get("error", "")),
        )
    console.print(table if triggers else "No fires yet.")


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def register(
    group: click.Group,
    app_option: Decorator,
    storage_option: Decorator,
    json_option: Decorator,
    run_async: Callable[[Callable[[], Any]], Any],
    with_storage: Callable[..., Awaitable[Any]],
) -> None:
    """Adds the `schedules` commands to the CLI group (the shared options come from `_commands`)."""

    @group.group("schedules")
    def schedules_group() -> None:
        """Cron schedules: list, show, pause, resume, run."""

    def on(app_spec: str | None, storage_url: str | None, work: Callable[[Schedules], Awaitable[T]]) -> T:
        result: T = run_async(lambda: _on_schedules(with_storage, app_spec, storage_url, work))
        return result

    @schedules_group.command("list")
    @click.argument("workflow_id", required=False, metavar="[WORKFLOW]")
    @click.option("--status", type=click.Choice(["active", "paused"]), help="Only schedules with this status.")
    @app_option
    @storage_option
    @json_option
    def schedules_list(
        workflow_id: str | None, status: str | None, app_spec: str | None, storage_url: str | None, json_lines: bool
    ) -> None:
        """Lists the schedules, oldest first."""
        rows = on(app_spec, storage_url, lambda s: s.list(workflow_id=workflow_id, status=status))
        click.echo(dump([r.to_dict() for r in rows])) if json_lines else print_schedules(make_console(), rows)

    @schedules_group.command("show")
    @click.argument("schedule_id", metavar="SCHEDULE")
    @click.option("--triggers", "limit", default=10, show_default=True, type=click.IntRange(min=0), help="Latest fires to show.")
    @app_option
    @storage_option
    @json_option
    def schedules_show(schedule_id: str, limit: int, app_spec: str | None, storage_url: str | None, json_lines: bool) -> None:
        """Shows a schedule and its latest fires (the audit trail, newest first)."""

        async def work(s: Schedules) -> tuple[Schedule, list[dict[str, Any]]]:
            page = await s.triggers(schedule_id, page=0, per_page=limit)
            found = await s.get(schedule_id)
            assert found is not None
            return found, [t.to_dict() for t in page.triggers]

        schedule, triggers = on(app_spec, storage_url, work)
        if json_lines:
            click.echo(dump({**schedule.to_dict(), "triggers": triggers}))
        else:
            print_schedule(make_console(), schedule, triggers)

    def status_command(verb: str, help_text: str, done: Callable[[Schedule], str]) -> None:
        @schedules_group.command(verb, help=help_text)
        @click.argument("schedule_id", metavar="SCHEDULE")
        @app_option
        @storage_option
        def command(schedule_id: str, app_spec: str | None, storage_url: str | None) -> None:
            schedule = on(app_spec, storage_url, lambda s: getattr(s, verb)(schedule_id))
            click.echo(done(schedule))

    status_command("pause", "Stops a schedule firing (`run` still fires it).", lambda s: f"Paused schedule {s.id}")
    status_command(
        "resume",
        "Fires a paused schedule again, from its next slot after now.",
        lambda s: f"Resumed schedule {s.id}; next fire {when(s.next_fire_at)}",
    )

    @schedules_group.command("run")
    @click.argument("schedule_id", metavar="SCHEDULE")
    @app_option
    @storage_option
    def schedules_run(schedule_id: str, app_spec: str | None, storage_url: str | None) -> None:
        """Fires a schedule now, even paused, and runs the workflow here until it settles."""
        app = load_app(app_spec, storage_url)

        async def work() -> tuple[str, str]:
            async with app:
                try:
                    run_id = await app.schedules.run(schedule_id)
                except StepstreamError as exc:
                    raise CliError(str(exc)) from None
                await app.scheduler.stop(wait_for_runs=True)
                schedule = await app.schedules.get(schedule_id)
                assert schedule is not None
                state = await app.get_workflow(schedule.workflow_id).get_run(run_id)
                return run_id, state.status if state is not None else "unknown"

        run_id, status = run_async(work)
        click.echo(f"Fired schedule {schedule_id}: run {run_id} {status}")
        if status != "success":
            raise SystemExit(1)
