"""Shared type aliases: statuses and ids."""

from __future__ import annotations

from typing import Literal, NewType

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
