"""`stepstream run`, `resume` and `runs watch`: follow a run, show it, settle the exit code.

In a terminal, a suspended step shows its payload and the command asks for the resume
data (field by field, from the step's resume schema), then resumes, until the run
ends. Elsewhere it exits 0 on success, 1 on failure and 2 when suspended, printing
the run id and the `stepstream resume` command that continues it. Runs are seen
through small protocols (`RunLike`, `EventStream`), which `Run` satisfies.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from rich.console import Console
from rich.markup import escape

from ..errors import StepstreamError, ValidationError
from ..events import WorkflowEvent
from ..results import WorkflowResult, WorkflowState
from ._app import EXIT_FAILED, EXIT_SUCCESS, EXIT_SUSPENDED, CliError, one_line
from ._prompt import ask_resume_data
from ._render import LiveView, json_line, make_console
from ._shape import Shape

T = TypeVar("T")


class EventStream(Protocol):
    """A run's event stream."""

    def __aiter__(self) -> AsyncIterator[WorkflowEvent]: ...

    @property
    def result(self) -> Awaitable[WorkflowResult]: ...


class RunLike(Protocol):
    """What the command line does with a run."""

    @property
    def run_id(self) -> str: ...

    def resume_stream(self, resume_data: Any = None, step: Any = None) -> EventStream: ...


class RunSource(Protocol):
    """Where a run's stored state is read (its workflow)."""

    async def get_run(self, run_id: str) -> WorkflowState | None: ...


@dataclass
class Output:
    """How a command shows a run: live view or JSON lines; asks for resume data or not."""

    json_lines: bool
    interactive: bool
    shape: Shape
    resume_prefix: list[str] = field(default_factory=list)  # `--app ...` / `--url ...` for the printed command
    console: Console = field(default_factory=make_console)
    err: Console = field(default_factory=lambda: make_console(stderr=True))


async def follow(stream: EventStream, out: Output) -> WorkflowResult:
    """Shows every event of `stream` and returns its result."""
    if out.json_lines:
        async for event in stream:
            sys.stdout.write(json_line(event) + "\n")
            sys.stdout.flush()
        return await stream.result
    with LiveView(out.console, out.shape.concurrent()) as view:
        async for event in stream:
            view.show(event)
        result = await stream.result
        view.finished(result.status, result.to_dict().get("result"), result.error)
    return result


async def drive(run: RunLike, source: RunSource, first: Awaitable[WorkflowResult], out: Output) -> int:
    """Follows the run to its end (from `first`, a `follow(...)` or `ask_and_resume(...)`); in a
    terminal, asks for resume data at each suspension. Returns the exit code."""
    try:
        result = await first
        while result.status == "suspended" and out.interactive:
            result = await ask_and_resume(run, result.suspended[0] if result.suspended else [], out)
        return settle(run.run_id, result.status, result.suspended, result.error, out)
    except (KeyboardInterrupt, EOFError, asyncio.CancelledError):  # Ctrl-C or end of input at the prompt
        out.console.print()
        state = await source.get_run(run.run_id)
        return settle(run.run_id, state.status if state else "suspended", state.suspended if state else [], None, out)
    except StepstreamError as exc:  # refused input, unknown step, a run that is not suspended...
        raise CliError(str(exc)) from None


async def ask_and_resume(run: RunLike, path: list[str], out: Output) -> WorkflowResult:
    """Shows the suspended step, asks for its resume data, and resumes; asks again while the
    resume refuses the data (the run stays suspended)."""
    form = out.shape.resume_form(path)
    out.console.print(f"[yellow]Step {escape('.'.join(path))} is waiting for resume data[/]")
    while True:
        data = await in_daemon_thread(lambda: ask_resume_data(out.console, form))
        try:
            return await follow(run.resume_stream(resume_data=data, step=".".join(path) or None), out)
        except ValidationError as exc:
            out.console.print(f"[red]✗ {escape(one_line(str(exc)))}[/]")


async def in_daemon_thread(ask: Callable[[], T]) -> T:
    """Runs a blocking prompt off the event loop, in a thread that never delays exit (Ctrl-C at the
    prompt cancels the awaiting task while the thread still sits in `input()`)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle_future(value: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def target() -> None:
        try:
            value, error = ask(), None
        except BaseException as exc:
            value, error = None, exc
        loop.call_soon_threadsafe(settle_future, value, error)

    threading.Thread(target=target, name="stepstream-prompt", daemon=True).start()
    return await future


def settle(run_id: str, status: str, suspended: list[list[str]], error: Any, out: Output) -> int:
    """The exit code for a run's status; for a suspended run, says how to resume it."""
    if status == "success":
        return EXIT_SUCCESS
    if status == "suspended":
        path = suspended[0] if suspended else []
        out.err.print(
            f"Run {run_id} is suspended at {'.'.join(path)}; resume it with:\n  {resume_command(run_id, path, out)}", markup=False
        )
        return EXIT_SUSPENDED
    if out.json_lines:
        message = error.get("message") if isinstance(error, dict) else error
        out.err.print(f"Run {run_id} {status}" + (f": {message}" if message else ""), markup=False)
    return EXIT_FAILED


def resume_command(run_id: str, path: list[str], out: Output) -> str:
    """The exact `stepstream resume ...` line for a suspended run, with a `--data` skeleton."""
    parts = ["stepstream", "resume", run_id, *out.resume_prefix]
    if path:
        parts += ["--step", ".".join(path)]
    parts += ["--data", json.dumps(out.shape.resume_form(path).skeleton)]
    return shlex.join(parts)
