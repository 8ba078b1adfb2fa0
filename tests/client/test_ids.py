"""Ids the client puts in a URL path are percent-encoded whole: a run or workflow id holding `%`,
`?`, `#` or a space still names its own run on a real server (not another path, nor a query)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.client import Client, RemoteRun, RemoteWorkflow
from stepstream.storage import SQLiteStorage

from ..server.conftest import serve

ODD_IDS = ["r%41x", "what?now", "tag#1", "two words", "100% sure?#x"]


async def suspended_run(wf: RemoteWorkflow, run_id: str) -> RemoteRun:
    """Streams a run of `approval` named `run_id` until it suspends; it is found under its id."""
    run = await wf.create_run(run_id)
    assert run.run_id == run_id
    stream = run.stream(input_data={"value": "hi"})
    assert {e.run_id async for e in stream} == {run_id}
    assert (await stream.result).status == "suspended"
    shown = await wf.get_run(run_id)
    assert shown is not None and (shown["runId"], shown["status"]) == (run_id, "suspended")
    assert (await run.fetch_result()).suspended == [["approve"]]
    return run


async def test_every_run_verb_works_on_run_ids_that_need_encoding(client: Client) -> None:
    wf = client.get_workflow("approval")
    for run_id in ODD_IDS:
        run = await suspended_run(wf, run_id)
        done = await run.resume(resume_data={"approved": True}, step="approve")
        assert done.status == "success" and done.result == {"value": "HI approved=True"}
        again = await wf.create_run(run_id)
        assert (await again.fetch_result()).status == "success"
        assert await wf.delete_run(run_id) is True
        assert await wf.get_run(run_id) is None
        canceled = await wf.create_run(run_id)
        await canceled.start(input_data={"value": "c"})
        await canceled.cancel()
        assert (await canceled.fetch_result()).status == "canceled"
    listed = await wf.list_runs()
    assert {r["runId"] for r in listed["runs"]} == set(ODD_IDS)


class Note(BaseModel):
    text: str


async def _ask(ctx: StepContext) -> Note:
    if ctx.resume_data is None:
        await ctx.suspend({"question": ctx.input_data.text})
    return Note(text=f"{ctx.input_data.text}: {ctx.resume_data.text}")


@pytest.mark.parametrize(("workflow_id", "run_id"), [("notes 100%?#", "r%41x"), ("team/notes", "r/1")])
async def test_a_workflow_id_that_needs_encoding(db_path: str, workflow_id: str, run_id: str) -> None:
    ask = create_step(id="ask", input_schema=Note, output_schema=Note, resume_schema=Note, execute=_ask)
    wf = create_workflow(id=workflow_id, input_schema=Note, output_schema=Note).then(ask).commit()
    served = await serve(Stepstream(workflows=[wf], storage=SQLiteStorage(db_path)))
    try:
        async with Client(served.url) as client:
            remote = client.get_workflow(wf.id)
            assert (await remote.details())["name"] == wf.id
            run = await remote.create_run(run_id)
            assert (await run.start(input_data={"text": "why?"})).status == "suspended"
            assert (await remote.get_run(run_id) or {}).get("status") == "suspended"
            assert (await run.resume(resume_data={"text": "because"})).result == {"text": "why?: because"}
            assert [r["runId"] for r in (await remote.list_runs())["runs"]] == [run_id]
            assert await remote.delete_run(run_id) is True
    finally:
        await served.stop()
