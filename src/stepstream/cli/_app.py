"""Finding what a command works on: the app (`module:attribute`), its storage, a workflow, a run.

Every failure here is a `CliError`: one line naming the problem (unknown app, workflow,
run or step; invalid JSON), printed without a traceback and with a non-zero exit.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import click

from ..app import Stepstream, storage_from_url
from ..errors import StepstreamError
from ..results import WorkflowState
from ..storage.base import Storage
from ..workflow.builder import Workflow

#: Exit codes of `stepstream run` / `resume`.
EXIT_SUCCESS, EXIT_FAILED, EXIT_SUSPENDED = 0, 1, 2


class CliError(click.ClickException):
    """A user mistake or a failed operation: printed as one `Error: ...` line, exit 1."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


def one_line(message: str) -> str:
    """Folds a multi-line message (pydantic's list of issues) into one line."""
    head, *rest = [p.strip().removeprefix("- ") for p in message.splitlines() if p.strip()] or [""]
    return " ".join([head, "; ".join(rest)]) if rest else head


def parse_json(text: str | None, what: str) -> Any:
    """The JSON value of an option, or a `CliError` naming the option and the problem."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): {text!r}") from None


def load_app(spec: str | None, storage_url: str | None = None) -> Stepstream:
    """Imports `module:attribute` (from the current directory too) and returns the `Stepstream` it
    names. With `storage_url`, the app's workflows are bound to that storage instead."""
    if not spec:
        raise CliError("No app given: pass APP as module:attribute, or --app / STEPSTREAM_APP")
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise CliError(f"App {spec!r} must be module:attribute naming a Stepstream, e.g. myproject.flows:app")
    storage = open_storage(storage_url) if storage_url else None  # a bad URL or missing extra is named first
    if storage_url:
        os.environ["STEPSTREAM_STORAGE_URL"] = storage_url  # an app on the default storage picks it up at import
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = _import(module_name, spec)
    try:
        app = getattr(module, attr)
    except AttributeError:
        raise CliError(f"App {spec!r} not found: module {module_name!r} has no attribute {attr!r}") from None
    if not isinstance(app, Stepstream):
        raise CliError(f"App {spec!r} is a {type(app).__name__}, not a Stepstream")
    if storage is not None:
        rebind(app, storage)
    return app


def _import(module_name: str, spec: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise CliError(f"App {spec!r} not found: no module named {exc.name!r}") from None
        raise CliError(f"Importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        raise CliError(f"Importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None


def open_storage(url: str) -> Storage:
    """The storage named by a URL (`sqlite:///path`, `postgresql://...`, `memory://`); an unknown
    URL, or a backend whose extra is missing (the message names it), is a `CliError`."""
    try:
        return storage_from_url(url)
    except (StepstreamError, ImportError) as exc:
        raise CliError(str(exc)) from None


def rebind(app: Stepstream, storage: Storage) -> None:
    """Keeps the app's runs in `storage` (the command line's `--storage` wins over the app's own)."""
    app.storage = storage
    for key, wf in app.workflows.items():
        app.add_workflow(wf, key=key)


def get_workflow(app: Stepstream, workflow_id: str) -> Workflow:
    """The app's workflow, or a `CliError` listing the registered ones."""
    try:
        return app.get_workflow(workflow_id)
    except StepstreamError as exc:
        raise CliError(str(exc)) from None


async def find_run(app: Stepstream, run_id: str, workflow_id: str | None = None) -> tuple[Workflow, WorkflowState]:
    """The workflow a stored run belongs to and the run (Mastra's WorkflowState shape)."""
    workflows = [get_workflow(app, workflow_id)] if workflow_id else list({id(w): w for w in app.workflows.values()}.values())
    for wf in workflows:
        state = await wf.get_run(run_id)
        if state is not None:
            return wf, state
    where = f"workflow {workflow_id!r}" if workflow_id else "any workflow of the app"
    raise CliError(f"Run {run_id!r} not found in {where}")
