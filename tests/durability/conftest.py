"""Storage URLs for the cross-process tests: a SQLite file, and PostgreSQL when reachable."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

FLOWS = Path(__file__).with_name("flows.py")
PG_DSN = os.environ.get("STEPSTREAM_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_database() -> Iterator[str]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dev dependency
        pytest.fail("psycopg is not installed: pip install -e '.[dev]'")
    name = "ss_dur_" + uuid.uuid4().hex[:12]
    try:
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_DSN} under CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_DSN} ({exc}); start it or set STEPSTREAM_TEST_POSTGRES_DSN")
    base = PG_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
    else:
        yield from _pg_database()


def run_flow(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs flows.py in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, str(FLOWS), *args], capture_output=True, text=True, env=full_env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"flows.py {args} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc
