"""The Python client mirrors the local API over HTTP: same result and event types, same errors."""

from __future__ import annotations

import pytest

from stepstream import (
    ResumeError,
    RunNotFoundError,
    ValidationError,
    WorkflowEvent,
    WorkflowNotFoundError,
    WorkflowResult,
)
from stepstream.client import Client, RemoteError
from stepstream.storage import InMemoryStorage

from ..server.conftest import Served
from ..server.flows import make_app


async def _local_events_and_result(input_data: dict[str, str]) -> tuple[list[str], WorkflowResult]:
    app = make_app(InMemoryStorage())
    run = await app.get_workflow("approval").create_run()
    stream = run.stream(input_data=input_data)
    kinds = [e.type async for e in stream]
    return kinds, await stream.result


async def test_stream_and_resume_stream_give_the_local_types(client: Client) -> None:
    wf = client.get_workflow("approval")
    run = await wf.create_run()
    stream = run.stream(input_data={"value": "hi"})
    events = [e async for e in stream]
    assert all(isinstance(e, WorkflowEvent) and e.run_id == run.run_id for e in events)
    result = await stream.result
    local_kinds, local = await _local_events_and_result({"value": "hi"})
    assert [e.type for e in events] == local_kinds
    assert isinstance(result, WorkflowResult)
    assert (result.status, result.suspended, result.suspend_payload) == (local.status, local.suspended, local.suspend_payload)
    assert {k: v.status for k, v in result.steps.items()} == {k: v.status for k, v in local.steps.items()}
    assert result.steps["shout"].output == {"value": "HI"}
    resumed = run.resume_stream(resume_data={"approved": True}, step="approve")
    kinds = [e.type async for e in resumed]
    assert kinds[-1] == "workflow-finish"
    final = await resumed.result
    assert final.status == "success" and final.result == {"value": "HI approved=True"}
    assert (await resumed.usage)["totalTokens"] == 0


async def test_start_resume_and_run_management(client: Client) -> None:
    wf = client.get_workflow("approval")
    run = await wf.create_run(run_id="py-1")
    assert run.run_id == "py-1"
    suspended = await run.start(input_data={"value": "a"})
    assert suspended.status == "suspended" and suspended.suspended == [["approve"]]
    assert suspended.to_dict()["suspendPayload"] == {"approve": {"reason": "needs approval"}}
    done = await run.resume(resume_data={"approved": False}, step=["approve"])
    assert done.status == "success" and done.result == {"value": "A approved=False"}
    listed = await wf.list_runs(status="success")
    assert [r["runId"] for r in listed["runs"]] == ["py-1"] and listed["total"] == 1
    stored = await wf.get_run("py-1")
    assert stored is not None and stored["status"] == "success"
    assert await wf.delete_run("py-1") is True
    assert await wf.get_run("py-1") is None
    assert await wf.delete_run("py-1") is False
    assert set(await client.list_workflows()) == {"approval", "chain", "failing"}
    assert (await wf.details())["name"] == "approval"


async def test_cancel_and_a_failed_step(client: Client) -> None:
    run = await client.get_workflow("approval").create_run()
    await run.start(input_data={"value": "c"})
    await run.cancel()
    assert (await run.fetch_result()).status == "canceled"
    failed = await (await client.get_workflow("failing").create_run()).start(input_data={"value": "x"})
    assert failed.status == "failed" and failed.error is not None and failed.error["message"] == "boom on x"


async def test_server_errors_arrive_as_the_local_exception_classes(client: Client) -> None:
    with pytest.raises(WorkflowNotFoundError):
        await client.get_workflow("nope").create_run()
    wf = client.get_workflow("approval")
    gone = await wf.create_run()
    await gone.start(input_data={"value": "g"})
    assert await wf.delete_run(gone.run_id)
    with pytest.raises(RunNotFoundError):
        await gone.resume(resume_data={"approved": True})
    with pytest.raises(RunNotFoundError):
        await gone.cancel()
    run = await wf.create_run()
    with pytest.raises(ValidationError) as invalid:
        await run.start(input_data={"value": 3})
    assert invalid.value.issues and invalid.value.issues[0][0] == "value"
    assert isinstance(invalid.value, ValueError)
    bad_stream = (await wf.create_run()).stream(input_data={})
    with pytest.raises(ValidationError):
        async for _ in bad_stream:
            pass
    with pytest.raises(ValidationError):
        await bad_stream.result
    ok = await wf.create_run()
    await ok.start(input_data={"value": "v"})
    with pytest.raises(ResumeError, match=r"was not suspended\. Available suspended steps"):
        await ok.resume(resume_data={"approved": True}, step="nope")
    with pytest.raises(ValidationError):
        await ok.resume(resume_data={"approved": []})
    await ok.resume(resume_data={"approved": True})
    with pytest.raises(ResumeError, match="This workflow run was not suspended"):
        await ok.resume(resume_data={"approved": True})


async def test_a_wrong_token_is_a_remote_error(served: Served) -> None:
    async with Client(served.url, token="wrong") as client:
        with pytest.raises(RemoteError) as info:
            await client.list_workflows()
    assert info.value.status == 401 and info.value.body == {"error": "Invalid or expired token"}
