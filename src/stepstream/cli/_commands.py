"""The `stepstream` command group (Click): run, resume, cancel, runs list|show|watch, schedules, dev, serve."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_args

import click

from .._version import __version__
from ..app import Stepstream, default_storage
from ..errors import StepstreamError
from ..storage.base import Storage
from ..types import RunStatus
from ._app import CliError, get_workflow, load_app, open_storage, parse_json
from ._backend import LocalBackend, local_backend
from ._execute import Output, ask_and_resume, drive, follow
from ._inspect import dump, print_run, print_runs, stored_run, stored_runs
from ._render import make_console
from ._schedules import register as register_schedules

if TYPE_CHECKING:
    from ._remote import RemoteBackend

T = TypeVar("T")

app_option = click.option(
    "--app", "app_spec", envvar="STEPSTREAM_APP", metavar="MODULE:ATTR", help="The Stepstream app [env STEPSTREAM_APP]."
)
storage_option = click.option(
    "--storage",
    "storage_url",
    envvar="STEPSTREAM_STORAGE_URL",
    metavar="URL",
    help="sqlite:///path, postgresql://... [env STEPSTREAM_STORAGE_URL].",
)
json_option = click.option("--json", "json_lines", is_flag=True, help="Print events (or records) as JSON.")


@dataclass
class Where:
    """Where a command's runs are: the app on its storage, or the server at `url`."""

    app_spec: str | None
    storage_url: str | None
    url: str | None
    token: str | None

    def backend(self, app_spec: str | None = None) -> LocalBackend | RemoteBackend:
        """The server at `url` when given, else the app (`app_spec` or `--app`) on its storage."""
        return self.remote() if self.url else local_backend(app_spec or self.app_spec, self.storage_url)

    def remote(self) -> RemoteBackend:
        from ._remote import RemoteBackend  # needs httpx, imported only for --url

        assert self.url is not None
        return RemoteBackend(self.url, self.token)


def where_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--app`, `--storage`, and `--url` (a running server instead) with its `--token`, passed to
    the command as one `where: Where`."""

    @functools.wraps(command)
    def with_where(*args: Any, app_spec: str | None, storage_url: str | None, url: str | None, token: str | None, **kwargs: Any) -> Any:
        return command(*args, where=Where(app_spec, storage_url, url, token), **kwargs)

    url_option = click.option("--url", envvar="STEPSTREAM_URL", metavar="URL", help="A running stepstream server [env STEPSTREAM_URL].")
    token_option = click.option(
        "--token", envvar="STEPSTREAM_TOKEN", metavar="TOKEN", help="The server's bearer token [env STEPSTREAM_TOKEN]."
    )
    return app_option(storage_option(url_option(token_option(with_where))))


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Runs a command's coroutine; Ctrl-C ends it quietly with exit code 130, and a library
    error no step of the command caught (storage that cannot be opened or reached, ...)
    is one `Error:` line, as every other failure of the command line."""
    try:
        return asyncio.run(make())
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except StepstreamError as exc:
        raise CliError(str(exc)) from None


async def with_app(app: Stepstream, work: Callable[[], Awaitable[T]]) -> T:
    """Prepares the app's storage, does the work, closes the storage."""
    async with app:
        return await work()


def split_app(names: tuple[str, ...], app_spec: str | None, what: str) -> tuple[str | None, str]:
    """`[APP] NAME`: APP may come from --app / STEPSTREAM_APP instead."""
    if len(names) == 2:
        return names[0], names[1]
    if len(names) == 1:
        return app_spec, names[0]
    raise click.UsageError(f"Expected [APP] {what}, got {len(names)} arguments")


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stepstream")
def cli() -> None:
    """stepstream: run Mastra-style workflows, look at their runs, resume them, serve them."""


@cli.command("run")
@click.argument("names", nargs=-1, metavar="[APP] WORKFLOW")
@click.option("--input", "input_json", metavar="JSON", help="The run's input data as JSON.")
@click.option("--run-id", help="Use this run id instead of a new one.")
@where_options
@json_option
def run_cmd(
    names: tuple[str, ...],
    input_json: str | None,
    run_id: str | None,
    json_lines: bool,
    where: Where,
) -> None:
    """Starts a run and shows it live; in a terminal, asks for resume data when a step suspends.

    Exits 0 on success, 1 on failure, 2 when the run is left suspended."""
    spec, workflow_id = split_app(names, where.app_spec, "WORKFLOW")
    input_data = parse_json(input_json, "--input")
    backend = where.backend(spec)

    async def work() -> int:
        wf, shape = await backend.workflow(workflow_id)
        if run_id is not None and await wf.get_run(run_id) is not None:
            raise CliError(f"Run {run_id!r} already exists in workflow {workflow_id!r}")
        out = Output(json_lines, is_terminal() and not json_lines, shape, backend.resume_prefix)
        run = await wf.create_run(run_id)
        return await drive(run, wf, follow(run.stream(input_data=input_data), out), out)

    raise SystemExit(run_async(lambda: backend.session(work)))


@cli.command("resume")
@click.argument("run_id", metavar="RUN")
@click.option("--step", help="The suspended step to resume (id or outer.inner path); by default the only one.")
@click.option("--data", "data_json", metavar="JSON", help="The resume data as JSON (asked for in a terminal when left out).")
@click.option("--workflow", "workflow_id", help="The run's workflow (found by run id when left out).")
@where_options
@json_option
def resume_cmd(
    run_id: str,
    step: str | None,
    data_json: str | None,
    workflow_id: str | None,
    json_lines: bool,
    where: Where,
) -> None:
    """Resumes a suspended run with data and shows it to its end (exit codes as `run`)."""
    data = parse_json(data_json, "--data")
    interactive = is_terminal() and not json_lines
    if data_json is None and not interactive:
        raise CliError("--data is required when not in a terminal")
    backend = where.backend()

    async def work() -> int:
        wf, shape, state = await backend.find_run(run_id, workflow_id)
        if state.status != "suspended":
            raise CliError(f"Run {run_id!r} is not suspended (status: {state.status})")
        out = Output(json_lines, interactive, shape, backend.resume_prefix)
        run = await wf.create_run(run_id)
        if data_json is None:  # in a terminal: ask for it
            path = step.split(".") if step else next(iter(state.suspended), [])
            return await drive(run, wf, ask_and_resume(run, path, out), out)
        return await drive(run, wf, follow(run.resume_stream(resume_data=data, step=step), out), out)

    raise SystemExit(run_async(lambda: backend.session(work)))


@cli.command("cancel")
@click.argument("run_id", metavar="RUN")
@click.option("--workflow", "workflow_id", help="The run's workflow (found by run id when left out).")
@where_options
def cancel_cmd(run_id: str, workflow_id: str | None, where: Where) -> None:
    """Cancels a run (a suspended or waiting one at once; a running one at its next step)."""
    backend = where.backend()

    async def work() -> None:
        wf, _, state = await backend.find_run(run_id, workflow_id)
        if state.status in ("success", "failed", "canceled", "tripwire"):
            raise CliError(f"Run {run_id!r} has already ended (status: {state.status})")
        await (await wf.create_run(run_id)).cancel()
        click.echo(f"Canceled run {run_id} of workflow {state.workflow_id}")

    run_async(lambda: backend.session(work))


@cli.group("runs")
def runs_group() -> None:
    """Stored runs: list, show, watch."""


async def with_storage(
    app_spec: str | None, storage_url: str | None, work: Callable[[Storage], Awaitable[T]], workflow_id: str | None = None
) -> T:
    """Runs `work` on the app's storage, or on the storage alone when no app is given. With an
    app, a named `workflow_id` must be one of its workflows (else a `CliError` listing them)."""
    if app_spec:
        app = load_app(app_spec, storage_url)
        if workflow_id is not None:
            get_workflow(app, workflow_id)
        return await with_app(app, lambda: work(app.storage))
    storage = open_storage(storage_url) if storage_url else default_storage()
    await storage.setup()
    try:
        return await work(storage)
    finally:
        await storage.close()


@runs_group.command("list")
@click.argument("workflow_id", required=False, metavar="[WORKFLOW]")
@click.option("--status", type=click.Choice(get_args(RunStatus)), help="Only runs with this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many runs, newest first.")
@where_options
@json_option
def runs_list(
    workflow_id: str | None,
    status: str | None,
    limit: int,
    json_lines: bool,
    where: Where,
) -> None:
    """Lists stored runs, newest first."""
    if where.url:
        remote = where.remote()
        runs = run_async(lambda: remote.session(lambda: remote.runs(workflow_id, status, limit)))
    else:
        runs = run_async(
            lambda: with_storage(
                where.app_spec, where.storage_url, lambda storage: stored_runs(storage, workflow_id, status, limit), workflow_id
            )
        )
    click.echo(dump(runs)) if json_lines else print_runs(make_console(), runs)


@runs_group.command("show")
@click.argument("run_id", metavar="RUN")
@click.option("--workflow", "workflow_id", help="The run's workflow (found by run id when left out).")
@where_options
@json_option
def runs_show(
    run_id: str,
    workflow_id: str | None,
    json_lines: bool,
    where: Where,
) -> None:
    """Shows a stored run: status, input, each step, result or error."""
    if where.url:
        remote = where.remote()
        state = run_async(lambda: remote.session(lambda: remote.find_run(run_id, workflow_id)))[2]
    else:
        state = run_async(lambda: with_storage(where.app_spec, where.storage_url, lambda storage: stored_run(storage, run_id, workflow_id)))
    click.echo(dump(state.to_dict())) if json_lines else print_run(make_console(), state)


@runs_group.command("watch")
@click.argument("run_id", metavar="RUN")
@click.option("--workflow", "workflow_id", help="The run's workflow (found by run id when left out).")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0), help="Start at this event (0-based).")
@where_options
@json_option
def runs_watch(
    run_id: str,
    workflow_id: str | None,
    offset: int,
    json_lines: bool,
    where: Where,
) -> None:
    """Follows a run from any process sharing its storage: its events so far, then live ones,
    until it settles (exit codes as `run`; a suspended run is not resumed here)."""
    backend = where.backend()

    async def work() -> int:
        wf, shape, _ = await backend.find_run(run_id, workflow_id)
        out = Output(json_lines, False, shape, backend.resume_prefix)
        run = await wf.create_run(run_id)
        return await drive(run, wf, follow(run.observe_stream(offset), out), out)

    raise SystemExit(run_async(lambda: backend.session(work)))


register_schedules(cli, where_options, json_option, run_async, with_storage)


@cli.command("dev")
@click.argument("app_arg", required=False, metavar="[APP]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=4111, show_default=True, type=click.IntRange(min=0), help="API port (0: any free port).")
@click.option("--studio-port", default=3000, show_default=True, type=click.IntRange(min=0), help="Studio port (0: any free port).")
@click.option("--no-studio", is_flag=True, help="Serve the API alone.")
@click.option("--no-reload", is_flag=True, help="Do not restart when the code changes.")
@app_option
@storage_option
def dev_cmd(
    app_arg: str | None,
    host: str,
    port: int,
    studio_port: int,
    no_studio: bool,
    no_reload: bool,
    app_spec: str | None,
    storage_url: str | None,
) -> None:
    """Serves the app for development: reload on code changes, and Mastra Studio beside the API."""
    from ._serve import serve

    serve(app_arg or app_spec, storage_url, host=host, port=port, reload=not no_reload, studio_port=None if no_studio else studio_port)


@cli.command("serve")
@click.argument("app_arg", required=False, metavar="[APP]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=4111, show_default=True, type=click.IntRange(min=0), help="API port (0: any free port).")
@app_option
@storage_option
def serve_cmd(app_arg: str | None, host: str, port: int, app_spec: str | None, storage_url: str | None) -> None:
    """Serves the app's HTTP API for production (no reload, no Studio)."""
    from ._serve import serve

    serve(app_arg or app_spec, storage_url, host=host, port=port, reload=False, studio_port=None)


@cli.command("worker")
@click.argument("app_arg", required=False, metavar="[APP]")
@click.option("--task-queue", help="The Temporal task queue to poll (default: the app's TemporalExecutor's).")
@click.option("--module", "modules", multiple=True, metavar="MODULE", help="A flow module to pass through Temporal's sandbox (repeatable).")
@app_option
@storage_option
def worker_cmd(
    app_arg: str | None, task_queue: str | None, modules: tuple[str, ...], app_spec: str | None, storage_url: str | None
) -> None:
    """Runs a Temporal worker for the app (its executor must be a TemporalExecutor): it walks
    the app's runs and runs their steps, beside any number of other workers."""
    from ._worker import worker

    worker(app_arg or app_spec, storage_url, task_queue=task_queue, modules=modules)
