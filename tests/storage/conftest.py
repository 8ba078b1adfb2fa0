"""PostgreSQL for the storage tests: one server, a fresh schema per test.

DSN from STEPSTREAM_TEST_POSTGRES_DSN (default postgresql://postgres@127.0.0.1:5432/postgres).
An unreachable server skips the PostgreSQL tests, except under CI=true, where it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """A reachable PostgreSQL DSN, or a skip (a failure under CI=true)."""
    dsn = os.environ.get("STEPSTREAM_TEST_POSTGRES_DSN", DEFAULT_DSN)
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=3):
            pass
    except Exception as exc:
        message = f"PostgreSQL at {dsn} is unreachable: {' '.join(str(exc).split())}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}\nCI=true requires the PostgreSQL storage tests to run.", pytrace=False)
        pytest.skip(
            f"{message}; start PostgreSQL (e.g. `pg_ctlcluster <version> main start`) or set "
            "STEPSTREAM_TEST_POSTGRES_DSN to a reachable server to run these tests"
        )
    return dsn


@pytest.fixture
def pg_schema(pg_dsn: str) -> Iterator[str]:
    """A new, empty schema, dropped (with everything in it) after the test."""
    import psycopg

    schema = f"stepstream_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
