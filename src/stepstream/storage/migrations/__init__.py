"""Versioned, append-only SQL migrations, shipped as package data.

Files are `<dialect>/NNNN_name.sql`; the number is the schema version it brings
the database to. A released file is never edited: changes go in a new file.
Each backend applies the pending files in order, each in one transaction with
the row it adds to `stepstream_schema_version`.
"""

from __future__ import annotations

import re
from importlib.resources import files

VERSION_TABLE = "stepstream_schema_version"

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def load_migrations(dialect: str) -> list[tuple[int, str, str]]:
    """`(version, file name, sql)` for every migration of a dialect, oldest first."""
    found: list[tuple[int, str, str]] = []
    for entry in files(__name__).joinpath(dialect).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"stepstream {dialect} migrations are not numbered 1..n: {[n for _, n, _ in found]}")
    return found


def latest_version(dialect: str) -> int:
    """The schema version this code brings a database to."""
    return len(load_migrations(dialect))
