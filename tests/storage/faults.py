"""Fault injection for the SQL backends: triggers that make writes to one table fail."""

from __future__ import annotations

import sqlite3

import psycopg

from stepstream.storage import Storage
from stepstream.storage.postgres import PostgresStorage
from stepstream.storage.sqlite import SQLiteStorage
from stepstream.testing import FaultTable

_SQLITE = {
    "runs": ["CREATE TRIGGER stepstream_fault_runs BEFORE UPDATE ON stepstream_runs BEGIN SELECT RAISE(ABORT, 'injected fault'); END"],
    "steps": [
        "CREATE TRIGGER stepstream_fault_ins BEFORE INSERT ON stepstream_steps BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
        "CREATE TRIGGER stepstream_fault_upd BEFORE UPDATE ON stepstream_steps BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
    ],
}
_PG_EVENTS = {"runs": "UPDATE", "steps": "INSERT OR UPDATE"}


async def sqlite_fault(storage: Storage, table: FaultTable) -> None:
    """Installs the triggers through the storage's own connection (works for ":memory:" too)."""
    assert isinstance(storage, SQLiteStorage)
    for statement in _SQLITE[table]:

        def inject(conn: sqlite3.Connection, s: str = statement) -> sqlite3.Cursor:
            return conn.execute(s)

        await storage._run(inject, "inject fault")


async def postgres_fault(storage: Storage, table: FaultTable) -> None:
    """Installs a raising trigger in the storage's schema from a separate connection."""
    assert isinstance(storage, PostgresStorage)
    async with await psycopg.AsyncConnection.connect(storage._conninfo(), autocommit=True) as conn:
        await conn.execute(
            "CREATE OR REPLACE FUNCTION stepstream_fault() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$"
        )
        await conn.execute(
            f"CREATE TRIGGER stepstream_fault BEFORE {_PG_EVENTS[table]} ON stepstream_{table} "
            "FOR EACH ROW EXECUTE FUNCTION stepstream_fault()"
        )
