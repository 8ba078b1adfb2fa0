"""Storage backends. `PostgresStorage` and `SQLiteStorage` are imported lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import RunChanges, RunRecord, Storage
from .memory import InMemoryStorage

if TYPE_CHECKING:
    from .postgres import PostgresStorage
    from .sqlite import SQLiteStorage

__all__ = ["InMemoryStorage", "PostgresStorage", "RunChanges", "RunRecord", "SQLiteStorage", "Storage"]


def __getattr__(name: str) -> Any:
    if name == "SQLiteStorage":
        from .sqlite import SQLiteStorage

        return SQLiteStorage
    if name == "PostgresStorage":
        from .postgres import PostgresStorage

        return PostgresStorage
    raise AttributeError(f"module 'stepstream.storage' has no attribute {name!r}")
