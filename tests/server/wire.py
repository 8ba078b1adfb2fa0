"""Reading Mastra's stream framing in tests."""

from __future__ import annotations

import json
from typing import Any

import httpx


def records(body: str) -> list[dict[str, Any]]:
    """The records of a framed body; every record, the last one too, ends with \\x1e."""
    assert body.endswith("\x1e"), body[-200:]
    return [json.loads(part) for part in body.split("\x1e")[:-1]]


def types(recs: list[dict[str, Any]]) -> list[str]:
    return [r["type"] for r in recs]


async def stream(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return records(response.text)
