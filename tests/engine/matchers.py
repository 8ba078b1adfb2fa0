"""Matchers shared by the engine tests."""

from __future__ import annotations

from typing import Any

from stepstream.results import WorkflowState


class _Millis:
    """Equals any Unix epoch timestamp in milliseconds (Mastra's `T`)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is int and other > 1_600_000_000_000

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "T"


T = _Millis()


def without_where(message: str) -> str:
    """A validation message without its last line, which must name the run (and the step or workflow)."""
    head, sep, tail = message.rpartition("\n(")
    assert sep and tail.endswith(")") and ", run '" in tail, f"no '(... run ...)' line naming the run in {message!r}"
    return head


def wire(state: WorkflowState | None) -> dict[str, Any] | None:
    """A `get_run()` answer as Mastra's JSON (None stays None)."""
    return None if state is None else state.to_dict()
