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

    `offset` is the event's place in the run's event log (from 0), or None when
    the storage keeps no log. It is not part of the wire JSON: a reader that
    reconnects passes the offset of the next event it needs (`observe_stream(offset=)`).
    """

    __slots__ = ("from_", "offset", "payload", "raw", "run_id", "type")

    def __init__(
        self,
        type: str,
        run_id: str,
        payload: dict[str, Any] | None,
        from_: EventSource = "WORKFLOW",
        raw: dict[str, Any] | None = None,
        offset: int | None = None,
    ):
        self.type = type
        self.run_id = run_id
        self.payload = payload if payload is not None else {}
        self.from_: EventSource = from_
        self.raw = raw
        self.offset = offset

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON for the chunk."""
        if self.raw is not None:
            out = dict(to_json(self.raw))
            out.setdefault("from", "WORKFLOW")
            out.setdefault("runId", self.run_id)
            return out
        return {"type": self.type, "runId": self.run_id, "from": self.from_, "payload": to_json(self.payload)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], offset: int | None = None) -> WorkflowEvent:
        """The event back from its `to_dict()` JSON (as read from a log or a server stream):
        `from_dict(d).to_dict() == d`. A chunk not in the `{type, runId, from, payload}`
        shape is a custom one and is kept whole."""
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ValueError(f"an event needs a string 'type'; got {data!r:.200}")
        run_id = data.get("runId")
        source = data.get("from")
        payload = data.get("payload")
        if data.keys() == _WIRE_KEYS and isinstance(run_id, str) and source in ("WORKFLOW", "USER") and isinstance(payload, dict):
            return cls(data["type"], run_id, payload, source, offset=offset)
        return cls(data["type"], run_id if isinstance(run_id, str) else "", None, "USER", raw=dict(data), offset=offset)

    def __repr__(self) -> str:
        where = "" if self.offset is None else f", offset={self.offset}"
        return f"WorkflowEvent({self.type!r}, payload={self.payload!r}{where})"


_WIRE_KEYS = frozenset({"type", "runId", "from", "payload"})


EMPTY_USAGE: Final[dict[str, int]] = {
    "inputTokens": 0,
    "outputTokens": 0,
    "totalTokens": 0,
    "cachedInputTokens": 0,
    "cacheCreationInputTokens": 0,
    "reasoningTokens": 0,
}
