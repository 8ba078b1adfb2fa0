"""What the workflow lifecycle callbacks receive (Mastra's `onStart`, `onFinish`, `onError`).

`options={"on_start": f}` is called, and awaited, after the run's input, initial
state and request context were validated and before any step runs; when it
raises, `start()` / `stream()` raise that error and nothing runs (a gate for
quota or entitlement checks). It fires only when a run first starts, not on
resume, restart or time travel. `on_finish(info)` runs after every execution
that ends (success, failure, cancel, suspension) and `on_error(info)` after a
failure; their errors are logged, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._schema import to_json
from .request_context import RequestContext
from .results import StepResult
from .types import RunStatus


@dataclass(slots=True)
class WorkflowStartInfo:
    """What `on_start` receives (Mastra's WorkflowStartCallbackInfo)."""

    run_id: str
    workflow_id: str
    resource_id: str | None
    request_context: RequestContext
    #: the validated initial state
    state: dict[str, Any]
    #: the validated run input (also `get_init_data()`)
    input: Any = None

    def get_init_data(self) -> Any:
        """The run's validated input."""
        return self.input


@dataclass(slots=True)
class WorkflowFinishInfo:
    """What `on_finish` and `on_error` receive (Mastra's WorkflowFinishCallbackResult and
    WorkflowErrorCallbackInfo); `to_dict()` gives Mastra's keys."""

    status: RunStatus
    run_id: str
    workflow_id: str
    resource_id: str | None
    request_context: RequestContext
    state: dict[str, Any]
    steps: dict[str, StepResult] = field(default_factory=dict)
    #: the run's result (success only)
    result: Any = None
    #: the serialized error (failure only)
    error: dict[str, Any] | None = None
    step_execution_path: list[str] = field(default_factory=list)
    input: Any = None
    tripwire: dict[str, Any] | None = None

    def get_init_data(self) -> Any:
        """The run's input."""
        return self.input

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON for the payload (`steps` with the run input under `input`)."""
        steps: dict[str, Any] = {"input": to_json(self.input)}
        for key, record in self.steps.items():
            steps[key] = record.to_dict()
        out: dict[str, Any] = {"status": self.status, "steps": steps}
        if self.result is not None:
            out["result"] = to_json(self.result)
        if self.error is not None:
            out["error"] = self.error
        if self.tripwire is not None:
            out["tripwire"] = self.tripwire
        out.update(
            {
                "runId": self.run_id,
                "workflowId": self.workflow_id,
                "resourceId": self.resource_id,
                "requestContext": to_json(self.request_context.all),
                "state": to_json(self.state),
                "stepExecutionPath": list(self.step_execution_path),
            }
        )
        return out
