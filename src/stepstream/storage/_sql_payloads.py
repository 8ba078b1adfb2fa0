"""The payload methods of SQLiteStorage and PostgresStorage (mixins; each storage
supplies `_run`). One table, `stepstream_payloads` (migration 0005): content-addressed
blobs, inserted with ON CONFLICT DO NOTHING, so storing a digest twice writes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .base import now_ms

if TYPE_CHECKING:
    import psycopg

    Conn = psycopg.AsyncConnection[Any]

T = TypeVar("T")

PAYLOADS = "stepstream_payloads"


class SQLitePayloads:
    """Payload storage on SQLite."""

    supports_payloads = True

    async def _run(self, fn: Callable[[sqlite3.Connection], T], what: str) -> T:
        raise NotImplementedError  # pragma: no cover - provided by SQLiteStorage

    async def save_payload(self, digest: str, data: bytes) -> None:
        sql = f"INSERT INTO {PAYLOADS} (digest, data, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
        row = (digest, bytes(data), now_ms())
        await self._run(lambda conn: conn.execute(sql, row), "save_payload")

    async def load_payload(self, digest: str) -> bytes | None:
        sql = f"SELECT data FROM {PAYLOADS} WHERE digest = ?"
        found = await self._run(lambda conn: conn.execute(sql, (digest,)).fetchone(), "load_payload")
        return None if found is None else bytes(found[0])

    async def delete_payloads(self, created_before: int) -> int:
        sql = f"DELETE FROM {PAYLOADS} WHERE created_at < ?"
        return int(await self._run(lambda conn: conn.execute(sql, (created_before,)).rowcount, "delete_payloads"))


class PostgresPayloads:
    """Payload storage on PostgreSQL."""

    supports_payloads = True

    async def _run(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError  # pragma: no cover - provided by PostgresStorage

    async def save_payload(self, digest: str, data: bytes) -> None:
        async def fn(conn: Conn) -> None:
            sql = f"INSERT INTO {PAYLOADS} (digest, data, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
            await conn.execute(sql, (digest, bytes(data), now_ms()))

        await self._run("save_payload", fn)

    async def load_payload(self, digest: str) -> bytes | None:
        async def fn(conn: Conn) -> Any:
            return await (await conn.execute(f"SELECT data FROM {PAYLOADS} WHERE digest = %s", (digest,))).fetchone()

        found = await self._run("load_payload", fn)
        return None if found is None else bytes(found[0])

    async def delete_payloads(self, created_before: int) -> int:
        async def fn(conn: Conn) -> int:
            return (await conn.execute(f"DELETE FROM {PAYLOADS} WHERE created_at < %s", (created_before,))).rowcount

        return await self._run("delete_payloads", fn)
