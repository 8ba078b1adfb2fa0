"""Ids holding `/`: the client encodes each as one path segment (`a%2Fb`), and the server keeps
an encoded `/` inside its segment, so every run route finds the run (as Mastra's router does)."""

from __future__ import annotations

import httpx
from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.client import Client
from stepstream.storage import SQLiteStorage

from ..server.conftest import serve

SLASHED = ["a/b", "x/cancel", "/lead", "trail/", "a//b", "deep/a%2Fb/c"]


async def test_every_run_route_finds_a_run_id_holding_a_slash(client: Client) -> None:
    wf = client.get_workflow("approval")
    for run_id in SLASHED:
        run = await wf.create_run(run_id)
        stream = run.stream(input_data={"value": "hi"})
        assert {e.run_id async for e in stream} == {run_id}
        assert (await stream.result).status == "suspended"
        shown = await wf.get_run(run_id)
        assert shown is not None and (shown["runId"], shown["status"]) == (run_id, "suspended")
        assert (await run.fetch_result()).suspended == [["approve"]]
        await run.cancel()
        assert run.status == "canceled" and (await wf.get_run(run_id) or {}).get("status") == "canceled"
        assert await wf.delete_run(run_id) is True
        assert await wf.get_run(run_id) is None
        assert await wf.delete_run(run_id) is False


async def test_a_decoded_slash_is_still_two_segments(client: Client) -> None:
    """`runs/a/b` (not encoded) is another path, as in Mastra: only `a%2Fb` names run `a/b`."""
    await (await client.get_workflow("approval").create_run("a/b")).start(input_data={"value": "v"})
    http: httpx.AsyncClient = client._t.http
    assert (await http.get("/api/workflows/approval/runs/a%2Fb")).status_code == 200
    assert (await http.get("/api/workflows/approval/runs/a%2fb")).status_code == 200
    assert (await http.get("/api/workflows/approval/runs/a/b")).status_code == 404


class Note(BaseModel):
    text: str


async def test_a_workflow_id_holding_a_slash(db_path: str) -> None:
    async def ask(ctx: StepContext) -> Note:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return Note(text=f"{ctx.input_data.text}: {ctx.resume_data.text}")

    step = create_step(id="ask", input_schema=Note, output_schema=Note, resume_schema=Note, execute=ask)
    wf = create_workflow(id="team/notes", input_schema=Note, output_schema=Note).then(step).commit()
    served = await serve(Stepstream(workflows=[wf], storage=SQLiteStorage(db_path)))
    try:
        async with Client(served.url) as client:
            remote = client.get_workflow(wf.id)
            assert (await remote.details())["name"] == wf.id
            run = await remote.create_run("r/1")
            assert (await run.start(input_data={"text": "why"})).status == "suspended"
            assert (await run.resume(resume_data={"text": "because"})).result == {"text": "why: because"}
            assert [r["runId"] for r in (await remote.list_runs())["runs"]] == ["r/1"]
            assert await remote.delete_run("r/1") is True
    finally:
        await served.stop()
