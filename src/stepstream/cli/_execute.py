"""`stepstream run` and `stepstream resume`: drive a run, show it, and settle the exit code.

In a terminal, a suspended step shows its payload and the command asks for the resume
data (field by field, from the step's resume schema), then resumes, until the run
ends. Elsewhere it exits 0 on success, 1 on failure and 2 when suspended, printing
the run id and the `stepstream resume` command that continues it.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape

from ..engine.run import Run
from ..engine.stream import WorkflowStream
from ..errors import StepstreamError, ValidationError
from ..results import WorkflowResult
from ..workflow.builder import Workflow
from ._app import EXIT_FAILED, EXIT_SUCCESS, EXIT_SUSPENDED, CliError, one_line
from ._prompt import ask_resume_data, find_step
from ._render import LiveView, concurrent_paths, json_line, make_console

T = TypeVar("T")


@dataclass
class Output:
    """Where and how a command shows a run: live view, JSON lines, or plain lines."""

    json_lines: bool
    interactive: bool
    console: Console = field(default_factory=make_console)
    err: Console = field(default_factory=lambda: make_console(stderr=True))
    resume_hint: Callable[[str, list[str]], str] | None = None


async def follow(stream: WorkflowStream, out: Output, workflow: Workflow) -> WorkflowResult:
    """Shows every event of `stream` and returns its result."""
    if out.json_lines:
        async for event in stream:
            sys.stdout.write(json_line(event) + "\n")
            sys.stdout.flush()
        return await stream.result
    with LiveView(out.console, concurrent_paths(workflow)) as view:
        async for event in stream:
            view.show(event)
        result = await stream.result
        view.finished(result.status, result.to_dict().get("result"), result.error)
    return result


async def drive(run: Run, workflow: Workflow, first: Awaitable[WorkflowResult], out: Output) -> int:
    """Follows the run to its end (from `first`, a `follow(...)` or `ask_and_resume(...)`); in a
    terminal, asks for resume data at each suspension. Returns the exit code."""
    try:
        result = await first
        while result.status == "suspended" and out.interactive:
            result = await ask_and_resume(run, workflow, result.suspended[0] if result.suspended else [], out)
        return settle(run.run_id, result.status, result.suspended, result.error, out)
    except (KeyboardInterrupt, EOFError, asyncio.CancelledError):  # Ctrl-C or end of input at the prompt
        out.console.print()
        state = await workflow.get_run(run.run_id)
        return settle(run.run_id, state.status if state else "suspended", state.suspended if state else [], None, out)
    except StepstreamError as exc:  # refused input, unknown step, a run that is not suspended...
        raise CliError(str(exc)) from None


async def ask_and_resume(run: Run, workflow: Workflow, path: list[str], out: Output) -> WorkflowResult:
    """Shows the suspended step, asks for its resume data and resumes."""
    step = find_step(workflow, path)
    out.console.print(f"[yellow]Step {escape('.'.join(path))} is waiting for resume data[/]")
    return await resume_interactively(run, workflow, path, step.resume_schema if step else None, out)


async def resume_interactively(run: Run, workflow: Workflow, path: list[str], schema: Any, out: Output) -> WorkflowResult:
    """Asks for the data and resumes; asks again while the resume refuses it (the run stays suspended)."""
    while True:
        data = await in_daemon_thread(lambda: ask_resume_data(out.console, schema))
        try:
            return await follow(run.resume_stream(resume_data=data, step=".".join(path) or None), out, workflow)
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
        hint = out.resume_hint(run_id, path) if out.resume_hint else ""
        out.err.print(f"Run {run_id} is suspended at {'.'.join(path)}; resume it with:\n  {hint}", markup=False)
        return EXIT_SUSPENDED
    if out.json_lines:
        message = error.get("message") if isinstance(error, dict) else error
        out.err.print(f"Run {run_id} {status}" + (f": {message}" if message else ""), markup=False)
    return EXIT_FAILED


def resume_command(app_spec: str, storage_url: str | None, workflow: Workflow) -> Callable[[str, list[str]], str]:
    """Builds the exact `stepstream resume ...` line for a suspended run."""

    def hint(run_id: str, path: list[str]) -> str:
        step = find_step(workflow, path) if path else None
        parts = ["stepstream", "resume", run_id, "--app", app_spec]
        if storage_url:
            parts += ["--storage", storage_url]
        if path:
            parts += ["--step", ".".join(path)]
        parts += ["--data", json.dumps(skeleton(step.resume_schema if step else None))]
        return shlex.join(parts)

    return hint


def skeleton(schema: Any) -> Any:
    """A placeholder value of the resume schema's shape, to edit before running the command."""
    from pydantic import TypeAdapter

    if schema is None:
        return {}
    json_schema = TypeAdapter(schema).json_schema()
    blanks = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}
    if json_schema.get("type") != "object" or "properties" not in json_schema:
        return blanks.get(str(json_schema.get("type")), None)
    return {name: blanks.get(str(prop.get("type")), None) for name, prop in json_schema["properties"].items()}
