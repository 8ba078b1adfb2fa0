"""Reading a stored run: Mastra's `createWorkflowStateReader`.

    reader = create_workflow_state_reader(await workflow.get_run(run_id))
    step = reader.get_suspended_step()       # what to resume, and with which labels
    await (await workflow.create_run(run_id)).resume(resume_data=..., step=step.path)

The reader works on the run's stored state (Mastra's WorkflowState JSON: what
`workflow.get_run()` returns, or anything with a `to_dict()` giving it), so a
process that did not run the workflow can find what waits for input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._suspend_meta import meta_of


@dataclass(slots=True)
class SuspendedStep:
    """One suspended step of a run (Mastra's WorkflowSuspendedStep)."""

    #: the top-level step id (a nested workflow's id when the suspended step is inside it)
    step_id: str
    #: the resume path, from the top-level step to the suspended one (`resume(step=path)`)
    path: list[str]
    #: the step's position in the workflow's graph (Mastra's executionPath), when stored
    execution_path: list[int] | None = None
    #: the stored record of the top-level step (Mastra's JSON)
    step: Any = None
    payload: Any = None
    suspend_payload: Any = None
    suspend_output: Any = None
    #: the resume labels that resume this step, in Mastra's shape `{stepId, foreachIndex?}`
    resume_labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON (keys with no value are left out)."""
        out: dict[str, Any] = {"stepId": self.step_id, "path": list(self.path)}
        for key, value in (
            ("executionPath", self.execution_path),
            ("step", self.step),
            ("payload", self.payload),
            ("suspendPayload", self.suspend_payload),
            ("suspendOutput", self.suspend_output),
        ):
            if value is not None:
                out[key] = value
        out["resumeLabels"] = {k: dict(v) for k, v in self.resume_labels.items()}
        return out


def _state_dict(state: Any) -> Mapping[str, Any]:
    if isinstance(state, Mapping):
        return state
    to_dict = getattr(state, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return data
    raise TypeError(f"create_workflow_state_reader() takes a run's state (what workflow.get_run() returns), got {type(state).__name__}")


def _first(record: Any) -> Any:
    """A foreach stored per item: the first suspended item, else the first one."""
    if isinstance(record, list):
        return next((r for r in record if isinstance(r, Mapping) and r.get("status") == "suspended"), record[0] if record else None)
    return record


def _each(record: Any, key: str) -> Any:
    if isinstance(record, list):
        return [r.get(key) if isinstance(r, Mapping) else None for r in record]
    return record.get(key) if isinstance(record, Mapping) else None


class WorkflowStateReader:
    """Reads one stored run's state: status, result, step data, suspended steps, labels."""

    __slots__ = ("_state",)

    def __init__(self, state: Any):
        self._state = _state_dict(state)

    def _step(self, step_id: str) -> Any:
        steps = self._state.get("steps") or {}
        return steps.get(step_id) if isinstance(steps, Mapping) else None

    def get_status(self) -> Any:
        """The run's status."""
        return self._state.get("status")

    def get_result(self) -> Any:
        """The run's result, once it succeeded."""
        return self._state.get("result")

    def get_error(self) -> Any:
        """The run's serialized error, once it failed."""
        return self._state.get("error")

    def get_step_output(self, step_id: str) -> Any:
        """A step's output (`outer.inner` for a nested step); a list for a foreach stored per item."""
        return _each(self._step(step_id), "output")

    def get_step_payload(self, step_id: str) -> Any:
        """A step's input (`outer.inner` for a nested step); a list for a foreach stored per item."""
        return _each(self._step(step_id), "payload")

    def get_resume_label(self, label: str) -> dict[str, Any] | None:
        """One resume label `{stepId, foreachIndex?}`, or None."""
        return self.get_resume_labels().get(label)

    def get_resume_labels(self) -> dict[str, dict[str, Any]]:
        """Every resume label, in Mastra's shape `{stepId, foreachIndex?}`."""
        labels = self._state.get("resumeLabels") or {}
        # storage keeps each label's full path too; that is internal, as in `result.resume_labels`
        return {name: {k: v for k, v in where.items() if k != "path"} for name, where in labels.items() if isinstance(where, Mapping)}

    def get_suspended_steps(self) -> list[SuspendedStep]:
        """Every suspended step, in the stored order."""
        labels = self.get_resume_labels()
        out = []
        suspended = self._state.get("suspendedPaths") or {}
        for step_id, position in suspended.items():
            record = self._step(step_id)
            first = _first(record)
            suspend_payload = first.get("suspendPayload") if isinstance(first, Mapping) else None
            meta = meta_of(suspend_payload)
            nested = [p for p in (meta.get("path") or []) if isinstance(p, str)] if isinstance(meta, Mapping) else []
            path = (nested if nested[0] == step_id else [step_id, *nested]) if nested else [step_id]
            out.append(
                SuspendedStep(
                    step_id,
                    path,
                    execution_path=list(position) if isinstance(position, list) and all(isinstance(i, int) for i in position) else None,
                    step=record,
                    payload=_each(record, "payload"),
                    suspend_payload=suspend_payload,
                    suspend_output=first.get("suspendOutput") if isinstance(first, Mapping) else None,
                    resume_labels={k: v for k, v in labels.items() if v.get("stepId") == step_id},
                )
            )
        return out

    def get_suspended_step(self) -> SuspendedStep | None:
        """The first suspended step, or None."""
        steps = self.get_suspended_steps()
        return steps[0] if steps else None


def create_workflow_state_reader(state: Any) -> WorkflowStateReader:
    """A reader over a run's stored state (what `workflow.get_run(run_id)` returns)."""
    return WorkflowStateReader(state)
