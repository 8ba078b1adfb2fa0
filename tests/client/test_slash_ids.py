"""Ids holding `/`: the client encodes each as one path segment (`a%2Fb`), and the server keeps
an encoded `/` inside its segment, so every run route finds the run (as Mastra's router does). A workflow id holding `/`:
`test_ids.py`."""

from __future__ import annotations

import httpx

from stepstream.client import Client

from .test_ids import suspended_run

SLASHED = ["a/b", "x/cancel", "/lead", "trail/", "a//b", "deep/a%2Fb/c"]


async def test_every_run_route_finds_a_run_id_holding_a_slash(client: Client) -> None:
    wf = client.get_workflow("approval")
    for run_id in SLASHED:
        run = await suspended_run(wf, run_id)
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
