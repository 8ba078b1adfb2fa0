"""Stream events (Mastra's chunks): `{type, runId, from, payload}`."""

from __future__ import annotations

from typing import Any, Final, Literal

from ._schema import to_json

WORKFLOW_START: Final = "workflow-start"
STEP_START: Final = "workflow-step-start"
STEP_OUTPUT: Final = "workflow-step-output"
STEP_PROGRESS: Final = "workflow-step-progress"
STEP_WAITING: Final = "workflow-step-waiting"
STEP_SUSPENDED: Final = "workflow-step-suspended"
STEP_RESULT: Final = "workflow-step-result"
STEP_FINISH: Final = "workflow-step-finish"
WORKFLOW_CANCELED: Final = "workflow-canceled"
WORKFLOW_PAUSED: Final = "workflow-paused"
WORKFLOW_FINISH: Final = "workflow-finish"

EventSource = Literal["WORKFLOW", "USER"]


class WorkflowEvent:
    """One event of a run's stream.

    `payload` is already in wire form (JSON-ready). Custom chunks written with
    `ctx.writer.custom(obj)` keep their own shape: `raw` holds the object and
    `to_dict()` returns it unchanged.
    """

    __slots__ = ("from_", "payload", "raw", "run_id", "type")

    def __init__(
        self,
        type: str,
        run_id: str,
        payload: dict[str, Any] | None,
        from_: EventSource = "WORKFLOW",
        raw: dict[str, Any] | None = None,
    ):
        self.type = type
        self.run_id = run_id
        self.payload = payload if payload is not None else {}
        self.from_: EventSource = from_
        self.raw = raw

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON for the chunk."""
        if self.raw is not None:
            out = dict(to_json(self.raw))
            out.setdefault("from", "WORKFLOW")
            out.setdefault("runId", self.run_id)
            return out
        return {"type": self.type, "runId": self.run_id, "from": self.from_, "payload": to_json(self.payload)}

    def __repr__(self) -> str:
        return f"WorkflowEvent({self.type!r}, payload={self.payload!r})"


EMPTY_USAGE: Final[dict[str, int]] = {
    "inputTokens": 0,
    "outputTokens": 0,
    "totalTokens": 0,
    "cachedInputTokens": 0,
    "cacheCreationInputTokens": 0,
    "reasoningTokens": 0,
}
