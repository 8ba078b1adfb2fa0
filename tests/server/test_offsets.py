"""Stream records carry their log offsets only for a client that asks (`X-Stepstream-Offsets`):
Mastra's clients, which never ask, read Mastra's bytes unchanged."""

from __future__ import annotations

import json

import httpx

from .wire import records

CHAIN = "/api/workflows/chain"
APPROVAL = "/api/workflows/approval"
ASK = {"x-stepstream-offsets": "1"}


def _numbered(body: str) -> list[tuple[int | None, dict[str, object]]]:
    """(offset, record) for each record of a body read with the offsets header."""
    out: list[tuple[int | None, dict[str, object]]] = []
    for part in body.split("\x1e")[:-1]:
        head, marked, data = part.partition("\x1f")
        out.append((int(head), json.loads(data)) if marked else (None, json.loads(part)))
    return out


async def test_without_the_header_the_records_are_mastras(http: httpx.AsyncClient) -> None:
    body = (await http.post(f"{CHAIN}/stream?runId=plain", json={"inputData": {"n": 1}})).text
    assert "\x1f" not in body and records(body)[-1]["type"] == "workflow-finish"


async def test_start_resume_and_time_travel_streams_number_their_records(http: httpx.AsyncClient) -> None:
    started = _numbered((await http.post(f"{APPROVAL}/stream?runId=n1", json={"inputData": {"value": "v"}}, headers=ASK)).text)
    assert [o for o, _ in started] == list(range(len(started)))
    resumed = (await http.post(f"{APPROVAL}/resume-stream?runId=n1", json={"resumeData": {"approved": True}}, headers=ASK)).text
    numbered = _numbered(resumed)
    assert [o for o, _ in numbered] == list(range(len(started), len(started) + len(numbered)))
    observed = records((await http.post(f"{APPROVAL}/observe?runId=n1")).text)
    assert observed == [r for _, r in started + numbered]  # the offsets are the log's
    traveled = _numbered((await http.post(f"{APPROVAL}/time-travel-stream?runId=n1", json={"step": "shout"}, headers=ASK)).text)
    assert traveled[0][0] == len(observed) and traveled[-1][1]["type"] == "workflow-finish"


async def test_a_refusal_has_no_offset(http: httpx.AsyncClient) -> None:
    refused = _numbered((await http.post(f"{CHAIN}/stream?runId=bad", json={"inputData": {"n": "x"}}, headers=ASK)).text)
    assert [o for o, _ in refused] == [None, None] and refused[-1][1]["payload"]["workflowStatus"] == "failed"  # type: ignore[index]
