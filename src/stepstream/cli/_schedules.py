"""`stepstream schedules list|show|pause|resume|run`: cron schedules from the command line.

`list`, `show`, `pause` and `resume` work from storage alone (no workflow code
runs); `run` fires a schedule now, so it needs the app (`--app`) and runs the
workflow in this process until it settles. With `--url` every command goes to a
running server's `/api/schedules` routes instead (`run` then waits there for the run).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..app import Stepstream
from ..errors import StepstreamError
from ..schedules import Schedule, TriggerPage
from ..storage.base import Storage
from ._app import CliError
from ._backend import Fired
from ._execute import Output, settle
from ._inspect import dump, when
from ._render import make_console

if TYPE_CHECKING:
    from ._commands import Where

T = TypeVar("T")


class ScheduleSource(Protocol):
    """What the commands need of schedules: `app.schedules`, or `RemoteSchedules` over `--url`."""

    async def list(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]: ...
    async def get(self, id: str) -> Schedule | None: ...
    async def pause(self, id: str) -> Schedule: ...
    async def resume(self, id: str) -> Schedule: ...
    async def triggers(self, id: str, *, page: int | None = None, per_page: int | None = None) -> TriggerPage: ...


async def _on_schedules(
    with_storage: Callable[[str | None, str | None, Callable[[Storage], Awaitable[T]]], Awaitable[T]],
    where: Where,
    work: Callable[[ScheduleSource], Awaitable[T]],
) -> T:
    """Runs `work` on the server's schedules (`--url`), else on those of the app's storage
    (or of the storage alone)."""
    if where.url:
        from ._remote import RemoteSchedules

        backend = where.remote()
        return await backend.session(lambda: work(RemoteSchedules(backend.client)))

    async def on(storage: Storage) -> T:
        try:
            return await work(Stepstream(workflows=(), storage=storage).schedules)
        except StepstreamError as exc:
            raise CliError(str(exc)) from None

    return await with_storage(where.app_spec, where.storage_url, on)


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
    where_options: Decorator,
    json_option: Decorator,
    run_async: Callable[[Callable[[], Any]], Any],
    with_storage: Callable[..., Awaitable[Any]],
) -> None:
    """Adds the `schedules` commands to the CLI group (the shared options come from `_commands`)."""

    @group.group("schedules")
    def schedules_group() -> None:
        """Cron schedules: list, show, pause, resume, run."""

    def on(where: Where, work: Callable[[ScheduleSource], Awaitable[T]]) -> T:
        result: T = run_async(lambda: _on_schedules(with_storage, where, work))
        return result

    @schedules_group.command("list")
    @click.argument("workflow_id", required=False, metavar="[WORKFLOW]")
    @click.option("--status", type=click.Choice(["active", "paused"]), help="Only schedules with this status.")
    @where_options
    @json_option
    def schedules_list(workflow_id: str | None, status: str | None, json_lines: bool, where: Where) -> None:
        """Lists the schedules, oldest first."""
        rows = on(where, lambda s: s.list(workflow_id=workflow_id, status=status))
        click.echo(dump([r.to_dict() for r in rows])) if json_lines else print_schedules(make_console(), rows)

    @schedules_group.command("show")
    @click.argument("schedule_id", metavar="SCHEDULE")
    @click.option("--triggers", "limit", default=10, show_default=True, type=click.IntRange(min=0), help="Latest fires to show.")
    @where_options
    @json_option
    def schedules_show(schedule_id: str, limit: int, json_lines: bool, where: Where) -> None:
        """Shows a schedule and its latest fires (the audit trail, newest first)."""
        schedule, triggers = on(where, lambda s: _with_triggers(s, schedule_id, limit))
        if json_lines:
            click.echo(dump({**schedule.to_dict(), "triggers": triggers}))
        else:
            print_schedule(make_console(), schedule, triggers)

    _status_commands(schedules_group, where_options, on)

    @schedules_group.command("run")
    @click.argument("schedule_id", metavar="SCHEDULE")
    @where_options
    def schedules_run(schedule_id: str, where: Where) -> None:
        """Fires a schedule now, even paused, and runs the workflow here (or, with `--url`, on the
        server) until it settles."""
        settled(schedule_id, _fire(schedule_id, where, run_async))


def _status_commands(group: click.Group, where_options: Decorator, on: Callable[[Where, Callable[[ScheduleSource], Any]], Any]) -> None:
    """`pause` and `resume`: one status change each."""

    def status_command(verb: str, help_text: str, done: Callable[[Schedule], str]) -> None:
        @group.command(verb, help=help_text)
        @click.argument("schedule_id", metavar="SCHEDULE")
        @where_options
        def command(schedule_id: str, where: Where) -> None:
            schedule = on(where, lambda s: getattr(s, verb)(schedule_id))
            click.echo(done(schedule))

    status_command("pause", "Stops a schedule firing (`run` still fires it).", lambda s: f"Paused schedule {s.id}")
    status_command(
        "resume",
        "Fires a paused schedule again, from its next slot after now.",
        lambda s: f"Resumed schedule {s.id}; next fire {when(s.next_fire_at)}",
    )


async def _with_triggers(s: ScheduleSource, schedule_id: str, limit: int) -> tuple[Schedule, list[dict[str, Any]]]:
    """A schedule and its latest `limit` fires."""
    page = await s.triggers(schedule_id, page=0, per_page=limit)
    found = await s.get(schedule_id)
    assert found is not None
    return found, [t.to_dict() for t in page.triggers]


def _fire(schedule_id: str, where: Where, run_async: Callable[[Callable[[], Any]], Any]) -> Fired:
    """Fires the schedule now and waits for its run, here or on the server (`--url`)."""
    backend = where.backend()
    fired: Fired = run_async(lambda: backend.session(lambda: backend.fire(schedule_id)))
    return fired


def settled(schedule_id: str, fired: Fired) -> None:
    """`Fired schedule ...: run ... <status>`, then `run`'s exit code: 0 success, 1 failed or
    canceled, 2 suspended (with the `stepstream resume ...` command on stderr)."""
    click.echo(f"Fired schedule {schedule_id}: run {fired.run_id} {fired.status}")
    out = Output(json_lines=False, interactive=False, shape=fired.shape, resume_prefix=fired.resume_prefix)
    raise SystemExit(settle(fired.run_id, fired.status, fired.suspended, fired.error, out))
