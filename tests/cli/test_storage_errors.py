"""Storage the command line cannot open, reach or load is one `Error:` line and exit 1, never a
traceback: a SQLite file in a missing directory, PostgreSQL on a closed port or without the
database, and PostgreSQL without the `postgres` extra installed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..storage.conftest import pg_dsn
from .conftest import APP, Cli, cli_env, one_error_line

__all__ = ["pg_dsn"]

COMMANDS = [
    ("runs", "list"),
    ("runs", "show", "some-run"),
    ("schedules", "list"),
    ("run", APP, "quick", "--input", '{"item": "x"}'),
    ("resume", "some-run", "--app", APP, "--data", "{}"),
    ("schedules", "run", "some-schedule", "--app", APP),
]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _each_command_fails_in_one_line(cli: Cli, storage: str, *fragments: str) -> None:
    for command in COMMANDS:
        proc = cli(*command, "--storage", storage)
        one_error_line(proc, *fragments)
        assert proc.returncode == 1, (command, proc.stderr)


def test_a_sqlite_file_that_cannot_be_opened(cli: Cli, tmp_path: Path) -> None:
    _each_command_fails_in_one_line(cli, f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}", "SQLite open failed", "missing")


def test_postgresql_on_a_closed_port(cli: Cli, closed_port: int) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port}/x"
    _each_command_fails_in_one_line(cli, url, "cannot connect to PostgreSQL", str(closed_port))


def test_postgresql_without_the_database(cli: Cli, pg_dsn: str) -> None:
    url = pg_dsn.rsplit("/", 1)[0] + "/stepstream_no_such_database"
    _each_command_fails_in_one_line(cli, url, "cannot connect to PostgreSQL", '"stepstream_no_such_database" does not exist')


def test_postgresql_without_the_postgres_extra(cli: Cli, storage_url: str, tmp_path: Path) -> None:
    """psycopg shadowed by a module that fails to import, as when the extra is not installed."""
    (tmp_path / "psycopg.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    env = cli_env(storage_url)
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    for command in COMMANDS:
        proc = cli(*command, "--storage", "postgresql://postgres@127.0.0.1:5432/x", env=env)
        line = one_error_line(proc, "needs the 'postgres' extra", "pip install 'stepstream[postgres]'")
        assert proc.returncode == 1 and "Importing" not in line, (command, line)
