"""Transcripts of conformance scenarios: the recording protocol and the normalizer.

A scenario exists twice: ``scenarios/NAME.mjs`` ran on Mastra's engine and left its transcript in
``golden/NAME.json``; ``scenarios/NAME.py`` does the same with stepstream through :class:`Log`.
Both transcripts are normalized by :func:`normalize` before they are compared:

- ids (``runId``, ``stepCallId``, ``traceId``, ``spanId``) and timestamps are dropped at any depth;
- an error is reduced to its message, up to the first colon or line break;
- ``workflow-finish`` keeps only ``metadata.errorMessage`` (empty metadata is dropped);
- ``data-*`` chunks are compared whole (minus ids and timestamps);
- a step record keeps ``status``, ``output``, ``suspendPayload``, ``resumePayload`` and ``error``;
- with ``order="per-step"`` events are grouped by step id (stable), so concurrent steps may interleave.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from stepstream import WorkflowResult, WorkflowStream

TIME_KEYS = frozenset({"startedAt", "endedAt", "suspendedAt", "resumedAt", "createdAt", "updatedAt", "timestamp"})
ID_KEYS = frozenset({"runId", "stepCallId", "traceId", "spanId"})
STEP_KEYS = ("status", "output", "suspendPayload", "resumePayload")
RESULT_KEYS = ("result", "suspended", "suspendPayload")


def message_head(message: Any) -> str:
    """The part of an error message that must match: up to the first colon or line break."""
    return re.split(r"[:\n]", str(message), maxsplit=1)[0].strip()


def strip(value: Any) -> Any:
    """Drops id and timestamp keys at any depth."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in TIME_KEYS and k not in ID_KEYS}
    if isinstance(value, (list, tuple)):
        return [strip(v) for v in value]
    return value


def _error(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    message = value.get("message", "") if isinstance(value, dict) else value
    return {"message": message_head(message)}


def normalize_event(event: dict[str, Any]) -> dict[str, Any]:
    """One stream event in comparable form."""
    kind = event.get("type") or ""
    if kind.startswith("data-"):
        chunk: dict[str, Any] = strip(event)
        return chunk
    payload = dict(event.get("payload") or {})
    if "error" in payload:
        payload["error"] = _error(payload["error"])
    if kind == "workflow-finish":
        meta = payload.get("metadata") or {}
        payload["metadata"] = {"errorMessage": meta["errorMessage"]} if "errorMessage" in meta else {}
    if not payload.get("metadata"):
        payload.pop("metadata", None)
    return {"type": kind, "from": event.get("from"), "payload": strip(payload)}


def normalize_step(record: dict[str, Any]) -> dict[str, Any]:
    """One step record of a result in comparable form."""
    out = {k: record[k] for k in STEP_KEYS if k in record}
    if record.get("error") is not None:
        out["error"] = _error(record["error"])
    step: dict[str, Any] = strip(out)
    return step


def normalize_result(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """A run result (its wire form) in comparable form."""
    if result is None:
        return None
    out: dict[str, Any] = {"status": result.get("status")}
    for key in RESULT_KEYS:
        if key in result:
            out[key] = strip(result[key])
    if result.get("error") is not None:
        out["error"] = _error(result["error"])
    steps = result.get("steps") or {}
    out["steps"] = {sid: strip(rec) if sid == "input" else normalize_step(rec) for sid, rec in steps.items()}
    return out


def _step_key(event: dict[str, Any]) -> str:
    payload = event.get("payload") or {}
    return str(payload.get("id") or payload.get("stepName") or "")


def normalize(records: list[dict[str, Any]], order: str = "exact") -> list[dict[str, Any]]:
    """A whole transcript in comparable form (round-tripped through JSON, as on the wire)."""
    out = []
    for record in records:
        record = dict(record)
        if "events" in record:
            events = [normalize_event(e) for e in record["events"]]
            if order == "per-step":
                events.sort(key=_step_key)
            record["events"] = events
        if "result" in record:
            record["result"] = normalize_result(record["result"])
        if record.get("action") == "error":
            record["message"] = message_head(record["message"])
        out.append(record)
    comparable: list[dict[str, Any]] = json.loads(json.dumps(out))
    return comparable


def diff(expected: Any, actual: Any, context: int = 3) -> str:
    """A unified diff of two normalized transcripts, Mastra's first."""
    a = json.dumps(expected, indent=1, sort_keys=True).splitlines()
    b = json.dumps(actual, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "mastra", "stepstream", lineterm="", n=context))


class Log:
    """The Python side of the transcript protocol (``log`` in a scenario)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def stream(self, stream: WorkflowStream) -> WorkflowResult:
        """Reads a run's stream to its end, then its result; returns the result."""
        events = [event.to_dict() async for event in stream]
        result = await stream.result
        self.records.append({"action": "stream", "events": events, "result": result.to_dict()})
        return result

    def result(self, result: WorkflowResult) -> WorkflowResult:
        """Records a run result; returns it."""
        self.records.append({"action": "result", "result": result.to_dict()})
        return result

    def error(self, err: BaseException | str) -> None:
        """Records an error's message."""
        self.records.append({"action": "error", "message": str(err)})

    def note(self, value: Any) -> None:
        """Records any JSON value as it is."""
        self.records.append({"action": "note", "value": value})
