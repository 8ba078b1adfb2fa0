"""Hooks the engine calls for tracing. `make_tracer` returns None when tracing is off,
so the engine's only cost is one `is not None` check per step."""

from __future__ import annotations

from typing import Any

from ..results import StepResult


class RunTracer:
    """Receives the engine's tracing hooks for one execution of a run."""

    trace_id: str | None = None
    span_id: str | None = None

    def step_started(self, name: str, payload: Any, prefix: str) -> Any:
        """Opens a step span; returns a handle passed to `step_ended`."""
        return None

    def step_ended(self, handle: Any, record: StepResult) -> None:
        """Closes a step span with the record's status."""

    def sleep_started(self, name: str, node: Any, seconds: float) -> Any:
        """Opens a sleep span."""
        return None

    def span_ended(self, handle: Any, status: str) -> None:
        """Closes a span opened by another hook."""

    def conditional(self, prefix: str, count: int, selected: list[str]) -> None:
        """Records a conditional's evaluation."""

    def loop_iteration(self, name: str, kind: str, iteration: int) -> None:
        """Records one loop condition check."""

    def run_ended(self, status: str, result: Any, error: Any) -> None:
        """Closes the run span."""


def make_tracer(**kwargs: Any) -> RunTracer | None:
    """A tracer for one execution, or None when no tracing is configured."""
    return None
