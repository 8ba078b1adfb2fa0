"""A real server on loopback for the client tests (the server tests' fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stepstream.client import Client
from stepstream.storage import SQLiteStorage

from ..server.conftest import Served, db_path, serve
from ..server.flows import make_app

__all__ = ["db_path"]

TOKEN = "client-token"


@pytest.fixture
async def served(db_path: str) -> AsyncIterator[Served]:
    s = await serve(make_app(SQLiteStorage(db_path)), auth_token=TOKEN)
    yield s
    await s.stop()


@pytest.fixture
async def client(served: Served) -> AsyncIterator[Client]:
    async with Client(served.url, token=TOKEN) as c:
        yield c
