"""The storage contract on every backend that ships with stepstream."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from stepstream.storage import InMemoryStorage, Storage
from stepstream.storage.postgres import PostgresStorage
from stepstream.storage.sqlite import SQLiteStorage
from stepstream.testing import FaultTable, StorageContract, StorageMaker

from .faults import postgres_fault, sqlite_fault


class TestInMemoryContract(StorageContract):
    shared_instances = False
    serializes = False

    @pytest.fixture
    def make_storage(self) -> StorageMaker:
        return InMemoryStorage


class TestSQLiteFileContract(StorageContract):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageMaker:
        return functools.partial(SQLiteStorage, tmp_path / "runs.db")

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        await sqlite_fault(storage, table)


class TestSQLiteMemoryContract(StorageContract):
    shared_instances = False

    @pytest.fixture
    def make_storage(self) -> StorageMaker:
        return functools.partial(SQLiteStorage, ":memory:")

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        await sqlite_fault(storage, table)


class TestPostgresContract(StorageContract):
    @pytest.fixture
    def make_storage(self, pg_dsn: str, pg_schema: str) -> StorageMaker:
        return functools.partial(PostgresStorage, pg_dsn, schema=pg_schema, connect_timeout=5)

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        await postgres_fault(storage, table)
