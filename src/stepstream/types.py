"""Shared type aliases: statuses and ids; the tracing policy type."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntFlag
from typing import Any, Literal, NewType, TypedDict

RunId = NewType("RunId", str)
StepId = NewType("StepId", str)

RunStatus = Literal[
    "pending",  # created, not started
    "running",  # executing (or interrupted by a crash: restart() continues it)
    "waiting",  # sleeping in a sleep / sleep_until node
    "suspended",  # a step suspended; resume() continues it
    "success",  # finished; `result` holds the output
    "failed",  # a step failed; `error` holds the serialized error
    "canceled",  # cancel() or abort() stopped it
    "tripwire",  # a guard stopped it
    "paused",  # stopped after one step (per-step execution)
]
"""Status of a workflow run."""

StepStatus = Literal["running", "waiting", "success", "failed", "suspended", "bailed", "canceled", "skipped", "paused"]
"""Status of one step record."""

TERMINAL_STATUSES: frozenset[str] = frozenset({"success", "failed", "canceled", "tripwire"})


class InternalSpans(IntFlag):
    """Mastra's `InternalSpans` bits for a `tracing_policy`: span kinds marked internal.

    stepstream emits workflow spans only, so `WORKFLOW` (or `ALL`) is the bit that
    matters: the run's spans are then not recorded (spans opened by step code nest
    under the caller's span instead). The other bits are accepted for Mastra parity."""

    NONE = 0
    WORKFLOW = 1
    AGENT = 2
    TOOL = 4
    MODEL = 8
    ALL = 15


class TracingPolicy(TypedDict, total=False):
    """`tracing_policy` of a workflow (`options`) or of one run (`create_run`)."""

    internal: int


def check_tracing_policy(value: Any, where: str) -> TracingPolicy | None:
    """The policy, validated; raises `ValueError` naming `where` and the problem."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: tracing_policy must be a dict like {{'internal': InternalSpans.WORKFLOW}}, got {type(value).__name__}")
    unknown = set(value) - {"internal"}
    if unknown:
        raise ValueError(f"{where}: tracing_policy has unknown keys {sorted(unknown)}; known: ['internal']")
    internal = value.get("internal", 0)
    if isinstance(internal, bool) or not isinstance(internal, int) or not 0 <= internal <= InternalSpans.ALL:
        raise ValueError(f"{where}: tracing_policy['internal'] must be an InternalSpans value (0..15), got {internal!r}")
    return {"internal": int(internal)}
