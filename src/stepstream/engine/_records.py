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
    if status in ("success", "bailed"):
        record = StepResult(
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
    elif status == "suspended":
        record = StepResult(
            "suspended",
            att.payload,
            suspend_payload=att.value,
            started_at=started,
            suspended_at=now,
            resume_payload=resume_payload,
            resumed_at=resumed_at,
            metadata=metadata,
        )
    elif status == "failed":
        record = StepResult("failed", att.payload, error=att.value, started_at=started, ended_at=now, metadata=metadata)
    else:
        record = StepResult("canceled", att.payload, started_at=started, ended_at=now, metadata=metadata)
    record.json_ready = True  # the attempt's payload, output and suspend payload are JSON already
    return record
