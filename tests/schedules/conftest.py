"""A small scheduled workflow and an app on a fake clock for the schedule tests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, Workflow, create_step, create_workflow
from stepstream.schedules import Schedule
from stepstream.storage import InMemoryStorage, Storage
from stepstream.testing import FakeClock

T0 = int(datetime(2027, 1, 4, 12, 0, tzinfo=UTC).timestamp() * 1000)  # a Monday, 12:00:00 UTC


class Report(BaseModel):
    team: str


async def _greet(ctx: StepContext[Report, Any]) -> dict[str, str]:
    return {"greeting": f"hello {ctx.input_data.team}"}


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """A UTC date as epoch milliseconds."""
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


def report_workflow(id: str = "report", schedule: Any = None) -> Workflow:
    """`{team}` in, `{greeting}` out, optionally on a schedule."""
    step = create_step(id="greet", execute=_greet, input_schema=Report, output_schema=dict)
    return create_workflow(id=id, input_schema=Report, output_schema=dict, schedule=schedule).then(step).commit()


def fake_app(*workflows: Workflow, storage: Storage | None = None, start: int = T0, **config: Any) -> tuple[Stepstream, FakeClock]:
    clock = FakeClock(start)
    options: Any = {"clock": clock, **config}
    return Stepstream(workflows=list(workflows), storage=storage or InMemoryStorage(), scheduler=options), clock


async def settle(app: Stepstream) -> None:
    """Lets the scheduler loop act on the fake time, and the runs it started finish (no sleeping)."""
    for _ in range(3):
        for _ in range(50):
            await asyncio.sleep(0)
        runs = list(app.scheduler.active_runs)
        if runs:
            await asyncio.wait(runs)


async def trigger_dicts(app: Stepstream, schedule_id: str) -> list[dict[str, Any]]:
    page = await app.schedules.triggers(schedule_id)
    return [t.to_dict() for t in page.triggers]


async def stored(app: Stepstream, schedule_id: str) -> Schedule:
    found = await app.schedules.get(schedule_id)
    assert found is not None
    return found


def statuses(listing: Mapping[str, Any]) -> dict[str, str]:
    return {run["runId"]: run["status"] for run in listing["runs"]}
