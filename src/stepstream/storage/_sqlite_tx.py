"""SQLite transactions shared by SQLiteStorage and its schedule methods."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def write_tx(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """Runs `body` in a write transaction holding the write lock from the start."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        out = body(conn)
        conn.execute("COMMIT")
        return out
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def read_tx(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """Runs `body` in a read transaction: one consistent snapshot."""
    conn.execute("BEGIN")
    try:
        return body(conn)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
