"""The record a settled step attempt writes (a bail is recorded as a success, as in Mastra)."""

from __future__ import annotations

from typing import Any

from ..results import StepResult
from ._state import _Attempt


def settled_record(
    status: str,
    att: _Attempt,
    now: int,
    *,
    started: int,
    resume_payload: Any,
    resumed_at: int | None,
    suspended_at: int | None,
    metadata: dict[str, Any] | None,
) -> StepResult:
    """The record of a settled step (a bail is recorded as a success, as in Mastra)."""
    record = _build_record(status, att, now, started, resume_payload, resumed_at, suspended_at, metadata)
    record.json_ready = True  # the attempt's payload, output and suspend payload are JSON already
    return record


def _build_record(
    status: str,
    att: _Attempt,
    now: int,
    started: int,
    resume_payload: Any,
    resumed_at: int | None,
    suspended_at: int | None,
    metadata: dict[str, Any] | None,
) -> StepResult:
    if status in ("success", "bailed"):
        return StepResult(
            "success",
            att.payload,
            att.value,
            started_at=started,
            ended_at=now,
            resume_payload=resume_payload,
            resumed_at=resumed_at,
            suspended_at=suspended_at,
            metadata=metadata,
        )
    if status == "suspended":
        return StepResult(
            "suspended",
            att.payload,
            suspend_payload=att.value,
            started_at=started,
            suspended_at=now,
            resume_payload=resume_payload,
            resumed_at=resumed_at,
            metadata=metadata,
        )
    if status == "failed":
        return StepResult("failed", att.payload, error=att.value, started_at=started, ended_at=now, metadata=metadata)
    return StepResult("canceled", att.payload, started_at=started, ended_at=now, metadata=metadata)
