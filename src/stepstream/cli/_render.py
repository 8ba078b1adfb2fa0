"""Showing a run's events: live lines in a terminal, JSON lines elsewhere.

In a terminal each step gets a line when it starts and one when it ends (with its
duration); steps of nested workflows and of `parallel`/`branch` blocks are indented,
a `foreach` step shows a progress bar while its items run, and what steps write with
`ctx.writer` is shown under them.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from ..events import WorkflowEvent

_ENDED = {"workflow-step-result", "workflow-step-suspended", "workflow-step-waiting"}


def compact(value: Any, limit: int = 200) -> str:
    """Short one-line JSON for a terminal."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def duration(payload: dict[str, Any]) -> str:
    """`0.12s` from a step payload's `startedAt` and `endedAt`/`suspendedAt` (ms)."""
    start = payload.get("startedAt")
    end = payload.get("endedAt") or payload.get("suspendedAt")
    if not isinstance(start, int | float) or not isinstance(end, int | float):
        return ""
    seconds = max(end - start, 0) / 1000
    return f"{seconds:.2f}s" if seconds < 60 else f"{int(seconds // 60)}m{seconds % 60:04.1f}s"


class LiveView:
    """Prints a run's events to a rich console as they arrive (use as a context manager)."""

    def __init__(self, console: Console, concurrent: set[str] | None = None):
        self.console = console
        self.concurrent = concurrent or set()
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True)
        self.bars: dict[str, TaskID] = {}
        self.started = time.monotonic()

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:  # bars only where they can redraw
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress.live.is_started:
            self.progress.stop()

    def indent(self, path: str) -> str:
        depth = 1 + path.count(".") + (1 if path in self.concurrent else 0)
        return "  " * depth

    def show(self, event: WorkflowEvent) -> None:
        """Renders one event."""
        payload = event.payload
        path = str(payload.get("id") or payload.get("stepName") or "")
        if event.type == "workflow-start":
            self.started = time.monotonic()
            self.print(f"[bold]▶ {escape(str(payload.get('workflowId', '')))}[/] [dim]run {escape(event.run_id)}[/]")
        elif event.type == "workflow-step-start":
            self.print(f"{self.indent(path)}[cyan]▸[/] {escape(path)}")
        elif event.type == "workflow-step-output":
            self.print(f"{self.indent(path)}  [magenta]│[/] {escape(compact(payload.get('output')))}")
        elif event.type == "workflow-step-progress":
            self.bar(path, payload)
        elif event.type in _ENDED:
            self.step_ended(path, payload)
        elif event.type == "workflow-canceled":
            self.print("[yellow]■ canceled[/]")

    def bar(self, path: str, payload: dict[str, Any]) -> None:
        total, done = payload.get("totalCount"), payload.get("completedCount")
        if path not in self.bars:
            self.bars[path] = self.progress.add_task(f"{self.indent(path)}  {escape(path)}", total=total)
        self.progress.update(self.bars[path], completed=done, total=total)

    def step_ended(self, path: str, payload: dict[str, Any]) -> None:
        if path in self.bars:
            self.progress.remove_task(self.bars.pop(path))
        status = payload.get("status")
        took = duration(payload)
        pad = self.indent(path)
        if status == "success":
            self.print(f"{pad}[green]✓[/] {escape(path)} [dim]{took}[/]")
        elif status == "suspended":
            self.print(f"{pad}[yellow]⏸[/] {escape(path)} suspended [dim]{took}[/]")
            self.print(f"{pad}  payload: {escape(compact(payload.get('suspendPayload')))}")
        elif status == "waiting":
            self.print(f"{pad}[blue]…[/] {escape(path)} waiting")
        else:
            error = payload.get("error")
            message = error.get("message") if isinstance(error, dict) else error
            self.print(f"{pad}[red]✗[/] {escape(path)} {escape(str(status))} [dim]{took}[/] {escape(str(message or ''))}")

    def finished(self, status: str, result: Any, error: Any) -> None:
        """The closing line: status, total time, output or error."""
        took = f"{time.monotonic() - self.started:.2f}s"
        if status == "success":
            self.print(f"[bold green]✓ success[/] [dim]in {took}[/]  output: {escape(compact(result, 1000))}")
        elif status == "suspended":
            self.print(f"[bold yellow]⏸ suspended[/] [dim]after {took}[/]")
        else:
            message = error.get("message") if isinstance(error, dict) else error
            self.print(f"[bold red]✗ {escape(status)}[/] [dim]after {took}[/]  {escape(str(message or ''))}")

    def print(self, markup: str) -> None:
        self.progress.console.print(markup, highlight=False, soft_wrap=True)


def make_console(stderr: bool = False) -> Console:
    """A console for the command's output; wide when not a terminal, so ids are never cut."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = 240
    return console


def json_line(event: WorkflowEvent) -> str:
    """One event as a line of Mastra's JSON."""
    return json.dumps(event.to_dict(), default=str, ensure_ascii=False)
