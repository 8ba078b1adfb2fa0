"""`RunQuery`: the one spelling of the run-listing filters, from the workflow API to storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stepstream import RunQuery, Stepstream, create_step, create_workflow
from stepstream.storage import InMemoryStorage


async def test_a_workflow_lists_by_keywords_or_by_one_query() -> None:
    wf = create_workflow(id="listed").then(create_step("s", execute=lambda ctx: ctx.input_data)).commit()
    other = create_workflow(id="other").then(create_step("s", execute=lambda ctx: ctx.input_data)).commit()
    app = Stepstream(workflows=[wf, other], storage=InMemoryStorage())
    for i in range(3):
        await (await wf.create_run(f"r{i}")).start(input_data=i)
    await (await other.create_run("o")).start(input_data=0)

    by_keywords = await wf.list_runs(status="success", page=0, per_page=2)
    # a query naming another workflow still lists this one's runs
    by_query = await wf.list_runs(RunQuery(workflow_id="other", status="success", page=0, per_page=2))
    assert by_keywords == by_query
    listed = [r["runId"] for r in by_query["runs"]]
    assert by_query["total"] == 3 and len(set(listed)) == 2 and set(listed) <= {"r0", "r1", "r2"}
    with pytest.raises(ValueError, match="not both"):
        await wf.list_runs(RunQuery(), status="success")
    with pytest.raises(ValueError, match="page must be >= 0"):
        await wf.list_runs(page=-1, per_page=1)
    runs, total = await app.storage.list_runs(RunQuery(status=("success", "failed")))
    assert total == 4 and {r.run_id for r in runs} == {"r0", "r1", "r2", "o"}


def test_the_api_parameters_round_trip_and_offset_is_a_page() -> None:
    since = datetime(2026, 1, 2, tzinfo=UTC)
    query = RunQuery(status="suspended", from_date=since, resource_id="u1", page=2, per_page=10)
    params = query.to_api_params()
    assert params == {"status": "suspended", "fromDate": since.isoformat(), "toDate": None, "resourceId": "u1", "page": 2, "perPage": 10}
    parsed = {**params, "fromDate": since}
    assert RunQuery.from_api_params("wf", parsed) == RunQuery("wf", "suspended", since, None, "u1", 2, 10)
    assert RunQuery.from_api_params("wf", {"offset": 25, "limit": 10}) == RunQuery("wf", page=2, per_page=10)
    assert RunQuery.from_api_params("wf", {"status": "", "resourceId": ""}) == RunQuery("wf")
    with pytest.raises(ValueError, match="one status"):
        RunQuery(status=("a", "b")).to_api_params()


def test_the_window_pages_only_with_both_page_and_size() -> None:
    assert RunQuery(page=3, per_page=20).window == (20, 60)
    assert RunQuery(page=3).window is None and RunQuery(per_page=3).window is None
    assert RunQuery(status=[]).statuses == [] and RunQuery().statuses is None
