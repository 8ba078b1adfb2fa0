"""An app with a scheduled workflow, for `stepstream schedules` (storage from STEPSTREAM_STORAGE_URL)."""

from __future__ import annotations

from typing import Any

from stepstream import Stepstream

from ..schedules.conftest import report_workflow

DAILY: dict[str, Any] = {"cron": "0 9 * * *", "timezone": "Europe/Paris", "input_data": {"team": "ops"}}


def make_app() -> Stepstream:
    """The app on the default storage (STEPSTREAM_STORAGE_URL in the CLI's environment)."""
    return Stepstream(workflows=[report_workflow(schedule=DAILY)])


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first use, so importing DAILY opens no storage
        return make_app()
    raise AttributeError(name)
