"""PostgresStorage faults and guarantees the contract does not cover."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from stepstream.errors import StorageError
from stepstream.results import StepResult
from stepstream.storage.base import RunRecord
from stepstream.storage.migrations import VERSION_TABLE, latest_version
from stepstream.storage.postgres import PostgresStorage

RECORD = StepResult("success", {"prompt": "p" * 200}, {"text": "o" * 200}, started_at=1, ended_at=2)


@pytest.fixture
async def storage(pg_dsn: str, pg_schema: str) -> AsyncIterator[PostgresStorage]:
    s = PostgresStorage(pg_dsn, schema=pg_schema, connect_timeout=5)
    await s.setup()
    yield s
    await s.close()


async def _query(dsn: str, schema: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True, options=f"-c search_path={schema}") as conn:
        cur = await conn.execute(sql, params)
        return await cur.fetchall() if cur.description else []


async def _tables(dsn: str, schema: str) -> list[str]:
    rows = await _query(dsn, schema, "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
    return sorted(r[0] for r in rows)


# -- schemas that are not ours ------------------------------------------------------------


async def test_newer_schema_version_is_refused_and_left_alone(pg_dsn: str, pg_schema: str) -> None:
    first = PostgresStorage(pg_dsn, schema=pg_schema)
    assert await first.create_run(RunRecord("wf", "r1", state={"keep": True}))
    await first.close()
    newer = latest_version("postgres") + 1
    await _query(pg_dsn, pg_schema, f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (%s, 0)", (newer,))
    before = await _tables(pg_dsn, pg_schema)
    storage = PostgresStorage(pg_dsn, schema=pg_schema)
    with pytest.raises(StorageError, match=f"schema version {newer}, newer than") as info:
        await storage.load_run("wf", "r1")
    assert pg_schema in str(info.value) and "127.0.0.1" in str(info.value)
    await storage.close()
    assert await _tables(pg_dsn, pg_schema) == before
    assert await _query(pg_dsn, pg_schema, f"SELECT version FROM {VERSION_TABLE} ORDER BY version") == [
        (v,) for v in [*range(1, newer)]
    ] + [(newer,)]
    assert await _query(pg_dsn, pg_schema, "SELECT run_id, state::text FROM stepstream_runs") == [("r1", '{"keep":true}')]


async def test_our_table_names_without_version_table_are_refused(pg_dsn: str, pg_schema: str) -> None:
    await _query(pg_dsn, pg_schema, "CREATE TABLE stepstream_runs (id int)")
    storage = PostgresStorage(pg_dsn, schema=pg_schema)
    with pytest.raises(StorageError, match="no stepstream_schema_version"):
        await storage.setup()
    await storage.close()
    assert await _tables(pg_dsn, pg_schema) == ["stepstream_runs"]


async def test_unreachable_server_raises_storage_error_without_password() -> None:
    storage = PostgresStorage("postgresql://postgres:s3cret-pw@127.0.0.1:1/postgres", connect_timeout=0.5)
    with pytest.raises(StorageError) as info:
        await storage.setup()
    assert "127.0.0.1:1" in str(info.value) and "s3cret-pw" not in str(info.value)
    await storage.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"user": "no_such_role_x"}, 'role "no_such_role_x" does not exist'),
        ({"dbname": "no_such_database_x"}, 'database "no_such_database_x" does not exist'),
        ({"port": "1"}, "Connection refused"),
    ],
)
async def test_connection_errors_carry_the_servers_reason(pg_dsn: str, change: dict[str, str], reason: str) -> None:
    """Before: the pool retried for connect_timeout, then said only "pool initialization incomplete"."""
    dsn = make_conninfo(pg_dsn, **change)
    storage = PostgresStorage(dsn, connect_timeout=10)
    with pytest.raises(StorageError, match="cannot connect to PostgreSQL") as info:
        await storage.setup()
    assert reason in str(info.value)
    await storage.close()


def test_schema_name_is_validated() -> None:
    with pytest.raises(ValueError, match="lowercase SQL identifier"):
        PostgresStorage("postgresql://x", schema="Bad; DROP")


# -- migrations ----------------------------------------------------------------------------


async def test_migrations_are_idempotent_and_concurrent_setups_apply_once(pg_dsn: str, pg_schema: str) -> None:
    storages = [PostgresStorage(pg_dsn, schema=pg_schema) for _ in range(5)]
    try:
        await asyncio.gather(*(s.setup() for s in storages))
        await storages[0].setup()
    finally:
        for s in storages:
            await s.close()
    reopened = PostgresStorage(pg_dsn, schema=pg_schema)
    assert await reopened.create_run(RunRecord("wf", "r1"))
    await reopened.close()
    rows = await _query(pg_dsn, pg_schema, f"SELECT version FROM {VERSION_TABLE} ORDER BY version")
    assert rows == [(v,) for v in range(1, latest_version("postgres") + 1)]


async def test_schema_is_created_when_missing(pg_dsn: str) -> None:
    schema = f"stepstream_test_{uuid.uuid4().hex[:12]}"
    storage = PostgresStorage(pg_dsn, schema=schema)
    try:
        assert await storage.create_run(RunRecord("wf", "r1"))
        assert "stepstream_runs" in await _tables(pg_dsn, schema)
    finally:
        await storage.close()
        await _query(pg_dsn, "public", f"DROP SCHEMA IF EXISTS {schema} CASCADE")


async def test_without_schema_uses_the_connection_default(pg_dsn: str) -> None:
    """No `schema`: the tables go where the DSN's search_path points (here a fresh database's public)."""
    database = f"stepstream_test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as conn:
        await conn.execute(f"CREATE DATABASE {database}")
    try:
        dsn = make_conninfo("", **{**conninfo_to_dict(pg_dsn), "dbname": database})
        storage = PostgresStorage(dsn)
        try:
            assert await storage.create_run(RunRecord("wf", "r1"))
            assert (await storage.list_runs())[1] == 1
        finally:
            await storage.close()
        assert "stepstream_runs" in await _tables(dsn, "public")
    finally:
        async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as conn:
            await conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


# -- behaviour ---------------------------------------------------------------------------------


async def test_closed_storage_raises_storage_error(storage: PostgresStorage) -> None:
    await storage.close()
    with pytest.raises(StorageError, match="closed"):
        await storage.load_run("wf", "r1")


async def test_json_keeps_key_order_and_nan_becomes_null(storage: PostgresStorage) -> None:
    assert await storage.create_run(RunRecord("wf", "r1", state={"z": 1, "a": 2, "m": 3}))
    await storage.save_step("wf", "r1", "s", StepResult("success", output={"x": float("nan"), "b": 1, "a": 2}))
    loaded = await storage.load_run("wf", "r1")
    assert loaded is not None
    assert list(loaded.state) == ["z", "a", "m"]
    assert list(loaded.steps["s"].output.items()) == [("x", None), ("b", 1), ("a", 2)]


async def test_driver_error_surfaces_as_storage_error(storage: PostgresStorage, pg_dsn: str, pg_schema: str) -> None:
    assert await storage.create_run(RunRecord("wf", "r1"))
    await _query(pg_dsn, pg_schema, "ALTER TABLE stepstream_steps ADD CONSTRAINT short_keys CHECK (length(key) < 10)")
    with pytest.raises(StorageError, match="save_step failed"):
        await storage.save_step("wf", "r1", "a-very-long-key", RECORD, {"status": "failed"})
    loaded = await storage.load_run("wf", "r1")
    assert loaded is not None and loaded.steps == {} and loaded.status == "pending"


# -- write size ------------------------------------------------------------------------------


async def _run_xmin(dsn: str, schema: str) -> str:
    rows = await _query(dsn, schema, "SELECT xmin::text FROM stepstream_runs WHERE run_id = 'r1'")
    return str(rows[0][0])


async def test_bytes_written_per_step_do_not_grow_with_the_run(storage: PostgresStorage, pg_dsn: str, pg_schema: str) -> None:
    """Each save_step sends one step's JSON and leaves the run row alone (its xmin does not move)."""
    sizes: dict[int, list[int]] = {}
    for steps in (10, 1000):
        await storage.delete_run("wf", "r1")
        assert await storage.create_run(RunRecord("wf", "r1", state={"big": "s" * 20_000}))
        xmin = await _run_xmin(pg_dsn, pg_schema)
        sizes[steps] = []
        for i in range(steps):
            await storage.save_step("wf", "r1", f"step-{i:05d}", RECORD)
            sizes[steps].append(storage._last_write_size)
        assert await _run_xmin(pg_dsn, pg_schema) == xmin, "a save_step without changes rewrote the run row"
        rows = await _query(
            pg_dsn, pg_schema, "SELECT count(*), min(length(record::text)), max(length(record::text)) FROM stepstream_steps"
        )
        assert rows == [(steps, sizes[steps][0], sizes[steps][0])]
    assert set(sizes[10]) == set(sizes[1000]) and len(set(sizes[1000])) == 1
    await storage.save_step("wf", "r1", "last", RECORD, {"status": "success"})
    assert storage._last_write_size == sizes[10][0] + len("success") + len("wf") + len("r1")
