"""The client's schedule calls over real HTTP on loopback: the same `Schedule` and `TriggerPage`
as `app.schedules`, and the same exception classes for the server's refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stepstream import Stepstream
from stepstream.client import Client
from stepstream.errors import ScheduleError, ScheduleNotFoundError, ValidationError
from stepstream.schedules import Schedule, TriggerPage
from stepstream.storage import SQLiteStorage

from ..schedules.conftest import report_workflow
from ..server.conftest import Served, serve
from ..server.test_schedules import _eventually

TOKEN = "schedule-token"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    app = Stepstream(workflows=[report_workflow(), report_workflow("other")], storage=SQLiteStorage(tmp_path / "runs.db"))
    s = await serve(app, auth_token=TOKEN)
    yield s
    await s.stop()


@pytest.fixture
async def client(served: Served) -> AsyncIterator[Client]:
    async with Client(served.url, token=TOKEN) as c:
        yield c


async def test_create_read_update_delete_match_the_local_schedules(client: Client, served: Served) -> None:
    made = await client.create_schedule(
        id="nightly", workflow_id="report", cron="0 2 * * *", timezone="Europe/Paris", input_data={"team": "ops"}, metadata={"k": 1}
    )
    assert isinstance(made, Schedule)
    assert made == await served.app.schedules.get(made.id)
    other = await client.create_schedule(
        workflow_id="other", cron="*/5 * * * *", input_data={"team": "qa"}, status="paused", catch_up="latest"
    )
    assert [s.id for s in await client.list_schedules()] == [made.id, other.id]
    assert await client.list_schedules(workflow_id="other") == [await served.app.schedules.get(other.id)]
    assert [s.id for s in await client.list_schedules(status="paused")] == [other.id]
    changed = await client.update_schedule(made.id, cron="0 3 * * *", metadata={"k": 2})
    assert (changed.cron, changed.metadata, changed.timezone, changed.input_data) == (
        "0 3 * * *",
        {"k": 2},
        "Europe/Paris",
        {"team": "ops"},
    )
    assert changed == await served.app.schedules.get(made.id)
    assert await client.get_schedule("schedule_nope") is None
    assert await client.delete_schedule(other.id) is True
    assert await client.delete_schedule(other.id) is False
    assert await served.app.schedules.get(other.id) is None


async def test_pause_resume_run_and_the_audit_trail(client: Client, served: Served) -> None:
    made = await client.create_schedule(workflow_id="report", cron="0 2 * * *", input_data={"team": "dev"})
    paused = await client.pause_schedule(made.id)
    assert paused.status == "paused" and (await served.app.schedules.get(made.id)) == paused
    run_id = await client.run_schedule(made.id)
    assert run_id.startswith(f"sched_{made.id}_")

    async def finished() -> bool:
        state = await served.app.get_workflow("report").get_run(run_id)
        return state is not None and state.status == "success"

    assert await _eventually(finished)
    page = await client.schedule_triggers(made.id)
    assert isinstance(page, TriggerPage)
    assert page.to_dict() == (await served.app.schedules.triggers(made.id)).to_dict()
    assert [(t.run_id, t.trigger_kind, t.outcome) for t in page.triggers] == [(run_id, "manual", "published")]
    second = await client.run_schedule(made.id)
    assert await _eventually(lambda: _has_run(client, made.id, second))
    first_page = await client.schedule_triggers(made.id, page=0, per_page=1)
    assert (first_page.total, first_page.page, first_page.per_page, len(first_page.triggers)) == (2, 0, 1, 1)
    assert first_page.to_dict()["hasMore"] is True
    resumed = await client.resume_schedule(made.id)
    assert resumed.status == "active" and resumed == await served.app.schedules.get(made.id)


async def _has_run(client: Client, schedule_id: str, run_id: str) -> bool:
    return run_id in [t.run_id for t in (await client.schedule_triggers(schedule_id)).triggers]


async def test_refusals_arrive_as_the_local_exception_classes(client: Client) -> None:
    for call in (client.pause_schedule, client.resume_schedule, client.run_schedule, client.schedule_triggers):
        with pytest.raises(ScheduleNotFoundError, match="Schedule 'schedule_nope' not found") as found:
            await call("schedule_nope")
        assert found.value.field == "id" and found.value.code == "SCHEDULE_NOT_FOUND"
    with pytest.raises(ScheduleNotFoundError):
        await client.update_schedule("schedule_nope", cron="0 1 * * *")
    with pytest.raises(ScheduleError, match="cron") as bad:
        await client.create_schedule(workflow_id="report", cron="not a cron")
    assert bad.value.field == "cron" and not isinstance(bad.value, ScheduleNotFoundError)
    await client.create_schedule(id="taken", workflow_id="report", cron="0 1 * * *", input_data={"team": "ops"})
    with pytest.raises(ScheduleError, match="already exists") as taken:
        await client.create_schedule(id="taken", workflow_id="report", cron="0 1 * * *", input_data={"team": "ops"})
    assert taken.value.code == "SCHEDULE_ID_EXISTS"
    with pytest.raises(ValidationError, match="Invalid query parameters") as query:
        await client.list_schedules(status="sleeping")
    assert [field for field, _ in query.value.issues] == ["status"]
