"""A real uvicorn server on loopback (port 0) serving the test workflows, and an httpx client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from stepstream import Stepstream
from stepstream.storage import SQLiteStorage

from ..storage.conftest import pg_dsn, pg_schema
from .flows import make_app

__all__ = ["pg_dsn", "pg_schema"]


class Served:
    """A running server: its base URL and the app behind it."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], app: Stepstream):
        self.server = server
        self.task = task
        self.app = app
        sock = server.servers[0].sockets[0]
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve(app: Stepstream, **options: Any) -> Served:
    """Starts uvicorn in this event loop on an OS-chosen port."""
    from stepstream.server import create_app

    config = uvicorn.Config(create_app(app, **options), host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return Served(server, task, app)


ServeFactory = Callable[..., Any]


@asynccontextmanager
async def http_to(app: Stepstream) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client of a server started for `app`, stopped when left."""
    served = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            yield client
    finally:
        await served.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "runs.db")


@pytest.fixture
async def served(db_path: str) -> AsyncIterator[Served]:
    s = await serve(make_app(SQLiteStorage(db_path)))
    yield s
    await s.stop()


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
        yield client
