"""The quality gates run as tests, so CI (which runs the README's test command) enforces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", "src", "tests", "bench", "examples")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_is_clean_on_the_package_and_the_tests() -> None:
    proc = _run("mypy", "--strict", "src", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_package_ships_py_typed_and_its_migrations() -> None:
    package = ROOT / "src" / "stepstream"
    assert (package / "py.typed").is_file()
    migrations = ["0001_init.sql", "0002_owner.sql", "0003_schedules.sql", "0004_events.sql", "0005_payloads.sql"]
    sqlite = [
        *migrations,
        "0006_steps_by_seq.sql",
        "0007_foreach_items.sql",
        "0008_events_with_steps.sql",
        "0009_values_apart.sql",
        "0010_short_event_forms.sql",
    ]
    postgres = [*migrations, "0006_foreach_items.sql"]
    assert sorted(p.name for p in (package / "storage" / "migrations" / "sqlite").glob("*.sql")) == sqlite
    assert sorted(p.name for p in (package / "storage" / "migrations" / "postgres").glob("*.sql")) == postgres
