"""The execution plan: what a claim decided, as data, for `drive` to walk.

`start`, `resume`, `restart` and `time_travel` each decide against storage (a
compare-and-set claim with a new owner token) what one execution of a run is: its
input, state, request context, the stored step records it continues from, the steps a
resume targets, the time-travel target, the stored resume labels and the owner token.
That decision is an `ExecutionPlan`; walking it is the executor's job (`Run._drive`
in-process; a distributed executor ships `plan.to_dict()` to where the walk runs and
rebuilds it with `ExecutionPlan.from_dict()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._schema import to_json
from ..results import StepResult
from ._state import Target


@dataclass(frozen=True)
class ResumeTarget:
    """A step a resume acts on: its path from the top level, the resume data, the foreach item."""

    path: tuple[str, ...]
    resume_data: Any = None
    foreach_index: int | None = None


@dataclass(frozen=True)
class TimeTravel:
    """Where time travel re-runs from: the target step (its path below it), and its input."""

    step: str
    input: Any
    rest: tuple[str, ...] = ()


@dataclass
class ExecutionPlan:
    """One execution of one run, as the claim decided it (all JSON data but the records)."""

    workflow_id: str
    run_id: str
    #: the workflow input, in JSON form
    input: Any
    state: dict[str, Any]
    request_context: dict[str, Any]
    #: stored step records the walk continues from (keys `outer.inner` inside nested workflows)
    records: dict[str, StepResult] = field(default_factory=dict)
    #: True for resume, restart and time travel: steps with a stored success are not run again
    replay: bool = False
    targets: tuple[ResumeTarget, ...] = ()
    time_travel: TimeTravel | None = None
    #: the run's stored resume labels (kept for steps that stay suspended)
    stored_labels: dict[str, Any] = field(default_factory=dict)
    #: the token the claim took the run with; every write is conditional on it
    owner: str | None = None
    restarting: bool = False
    #: a cancel landed before the start ran: end canceled, run nothing
    canceled: bool = False
    per_step: bool = False
    #: the offset the execution's first event gets in the run's event log
    next_offset: int = 0
    #: the stored trace context a restart or resume continues
    tracing_context: dict[str, Any] | None = None

    def walk_targets(self) -> dict[str, Target] | None:
        """The targets as the walk keys them (by the top-level step of their path)."""
        if not self.targets:
            return None
        out: dict[str, Target] = {}
        for t in self.targets:
            out.setdefault(t.path[0], Target(list(t.path[1:]), t.resume_data, t.foreach_index))
        return out

    def walk_time_travel(self) -> tuple[str, Any, list[str]] | None:
        travel = self.time_travel
        return None if travel is None else (travel.step, travel.input, list(travel.rest))

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON (step records in Mastra's shape)."""
        return {
            "workflowId": self.workflow_id,
            "runId": self.run_id,
            "input": to_json(self.input),
            "state": to_json(self.state),
            "requestContext": to_json(self.request_context),
            "records": {key: record.to_dict() for key, record in self.records.items()},
            "replay": self.replay,
            "targets": [
                {"path": list(t.path), "resumeData": to_json(t.resume_data), "foreachIndex": t.foreach_index} for t in self.targets
            ],
            "timeTravel": None
            if self.time_travel is None
            else {"step": self.time_travel.step, "input": to_json(self.time_travel.input), "rest": list(self.time_travel.rest)},
            "storedLabels": to_json(self.stored_labels),
            "owner": self.owner,
            "restarting": self.restarting,
            "canceled": self.canceled,
            "perStep": self.per_step,
            "nextOffset": self.next_offset,
            "tracingContext": self.tracing_context,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutionPlan:
        travel = data.get("timeTravel")
        return cls(
            workflow_id=data["workflowId"],
            run_id=data["runId"],
            input=data.get("input"),
            state=dict(data.get("state") or {}),
            request_context=dict(data.get("requestContext") or {}),
            records={key: StepResult.from_dict(raw) for key, raw in (data.get("records") or {}).items()},
            replay=bool(data.get("replay")),
            targets=tuple(ResumeTarget(tuple(t["path"]), t.get("resumeData"), t.get("foreachIndex")) for t in data.get("targets") or ()),
            time_travel=None if travel is None else TimeTravel(travel["step"], travel.get("input"), tuple(travel.get("rest") or ())),
            stored_labels=dict(data.get("storedLabels") or {}),
            owner=data.get("owner"),
            restarting=bool(data.get("restarting")),
            canceled=bool(data.get("canceled")),
            per_step=bool(data.get("perStep")),
            next_offset=int(data.get("nextOffset") or 0),
            tracing_context=data.get("tracingContext"),
        )
