"""Run and step results; `to_dict()` gives Mastra's JSON (camelCase, millisecond times)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from ._raw_json import unraw
from ._schema import to_json
from ._serialize import serialize_error
from .errors import ValidationError
from .types import RunStatus, StepStatus


class OutputOptions(TypedDict, total=False):
    """What `to_dict()` of the returned result carries besides Mastra's defaults."""

    include_state: bool
    include_resume_labels: bool


_OUTPUT_KEYS = {
    "include_state": "include_state",
    "includeState": "include_state",
    "include_resume_labels": "include_resume_labels",
    "includeResumeLabels": "include_resume_labels",
}


def output_flags(options: Mapping[str, Any] | None) -> dict[str, bool]:
    """A call's `output_options` (snake_case or Mastra's camelCase keys) as `include_*` flags,
    checked alike for a local run and a remote one."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ValidationError(f"output_options must be a dict like {{'include_state': True}}, got {type(options).__name__}")
    flags: dict[str, bool] = {}
    for key, value in options.items():
        name = _OUTPUT_KEYS.get(key)
        if name is None:
            raise ValidationError(f"output_options: unknown key {key!r}; known: include_state, include_resume_labels")
        if not isinstance(value, bool):
            raise ValidationError(f"output_options[{key!r}] must be True or False, got {value!r}")
        flags[name] = value
    return flags


_STEP_FIELDS = (
    ("payload", "payload"),
    ("output", "output"),
    ("error", "error"),
    ("suspend_payload", "suspendPayload"),
    ("suspend_output", "suspendOutput"),
    ("resume_payload", "resumePayload"),
    ("started_at", "startedAt"),
    ("ended_at", "endedAt"),
    ("suspended_at", "suspendedAt"),
    ("resumed_at", "resumedAt"),
    ("metadata", "metadata"),
)


_new_record = object.__new__
_DATA_FIELDS = frozenset({"payload", "output", "suspend_payload", "suspend_output", "resume_payload"})


class StepResult:
    """The record of one step in a run: its status, input (`payload`), output and times.

    Times are Unix epoch milliseconds, as on Mastra's wire. `error` is the raised
    exception while the run is in memory and its serialized dict once loaded from
    storage. Records are replaced, never mutated, once the engine has stored them.
    """

    __slots__ = (
        "ended_at",
        "error",
        "json_ready",
        "metadata",
        "output",
        "payload",
        "resume_payload",
        "resumed_at",
        "started_at",
        "status",
        "suspend_output",
        "suspend_payload",
        "suspended_at",
    )

    def __init__(
        self,
        status: StepStatus,
        payload: Any = None,
        output: Any = None,
        *,
        error: Any = None,
        suspend_payload: Any = None,
        suspend_output: Any = None,
        resume_payload: Any = None,
        started_at: int | None = None,
        ended_at: int | None = None,
        suspended_at: int | None = None,
        resumed_at: int | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self.status: StepStatus = status
        self.payload = payload
        self.output = output
        self.error = error
        self.suspend_payload = suspend_payload
        self.suspend_output = suspend_output
        self.resume_payload = resume_payload
        self.started_at = started_at
        self.ended_at = ended_at
        self.suspended_at = suspended_at
        self.resumed_at = resumed_at
        self.metadata = metadata
        #: set by the engine when the data fields already hold JSON values (skips conversion)
        self.json_ready = False

    @staticmethod
    def running(payload: Any, started_at: int, metadata: dict[str, Any] | None = None) -> StepResult:
        """A slow step's `running` mark, built field by field (the engine makes one per step
        on shared storage, and writes it only for a step still running after a while)."""
        record = _new_record(StepResult)
        record.status = "running"
        record.payload = payload
        record.output = record.error = record.suspend_payload = record.suspend_output = record.resume_payload = None
        record.started_at = started_at
        record.ended_at = record.suspended_at = record.resumed_at = None
        record.metadata = metadata
        record.json_ready = False
        return record

    @staticmethod
    def succeeded(payload: Any, output: Any, started_at: int, ended_at: int) -> StepResult:
        """A success record of JSON data (`json_ready`), built field by field: the engine
        makes one per step, and keyword parsing was most of its cost."""
        record = _new_record(StepResult)
        record.status = "success"
        record.payload = payload
        record.output = output
        record.error = record.suspend_payload = record.suspend_output = record.resume_payload = None
        record.started_at = started_at
        record.ended_at = ended_at
        record.suspended_at = record.resumed_at = record.metadata = None
        record.json_ready = True
        return record

    def copy(self, **changes: Any) -> StepResult:
        """A copy with some fields changed."""
        new = StepResult.__new__(StepResult)
        for name in StepResult.__slots__:
            setattr(new, name, changes[name] if name in changes else getattr(self, name))
        if "json_ready" not in changes and _DATA_FIELDS.intersection(changes):
            new.json_ready = False  # new data may not be JSON yet
        return new

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON for a step record; absent (None) fields are left out."""
        if self.json_ready and self.error is None:
            return self._ready_dict()
        out: dict[str, Any] = {"status": self.status}
        for attr, key in _STEP_FIELDS:
            value = getattr(self, attr)
            if value is None:
                continue
            if attr == "error":
                out[key] = error = serialize_error(value)
                if error is not None and error.get("isNonRetryable") is True:
                    out["nonRetryable"] = True  # Mastra marks the record of a step that stopped its retries
            elif attr in _DATA_FIELDS and not self.json_ready:
                out[key] = to_json(value)
            else:
                out[key] = value
        return out

    def _ready_dict(self) -> dict[str, Any]:
        """`to_dict` when every field is JSON already and there is no error (the engine's hot path)."""
        out: dict[str, Any] = {"status": self.status}
        if self.payload is not None:
            out["payload"] = self.payload
        if self.output is not None:
            out["output"] = self.output
        if self.suspend_payload is not None:
            out["suspendPayload"] = self.suspend_payload
        if self.suspend_output is not None:
            out["suspendOutput"] = self.suspend_output
        if self.resume_payload is not None:
            out["resumePayload"] = self.resume_payload
        if self.started_at is not None:
            out["startedAt"] = self.started_at
        if self.ended_at is not None:
            out["endedAt"] = self.ended_at
        if self.suspended_at is not None:
            out["suspendedAt"] = self.suspended_at
        if self.resumed_at is not None:
            out["resumedAt"] = self.resumed_at
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        """Rebuilds a record from `to_dict()` output."""
        return cls(
            data["status"],
            data.get("payload"),
            data.get("output"),
            error=data.get("error"),
            suspend_payload=data.get("suspendPayload"),
            suspend_output=data.get("suspendOutput"),
            resume_payload=data.get("resumePayload"),
            started_at=data.get("startedAt"),
            ended_at=data.get("endedAt"),
            suspended_at=data.get("suspendedAt"),
            resumed_at=data.get("resumedAt"),
            metadata=data.get("metadata"),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StepResult) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StepResult({self.to_dict()!r})"


class StoredInput:
    """A run's input as storage holds it (JSON, or its text: `RawJSON`), parsed and typed by
    the workflow's input schema only when someone reads it: a resume needs none of it to walk,
    and parsing or validating a large input (a foreach's list) on every resume would make
    each resume cost O(input)."""

    __slots__ = ("_typed", "_value", "raw")

    def __init__(self, raw: Any, typed: Callable[[Any], Any]):
        self.raw = raw
        self._typed: Callable[[Any], Any] | None = typed
        self._value: Any = None

    def get(self) -> Any:
        """The typed input (validated once, on first use)."""
        if self._typed is not None:
            self._value, self._typed = self._typed(unraw(self.raw)), None
        return self._value


def typed_input(value: Any) -> Any:
    """`value`, or the typed input a `StoredInput` stands for."""
    return value.get() if type(value) is StoredInput else value


class WorkflowResult:
    """The outcome of a run (or of one start/resume of it).

    `state` and `resume_labels` are always set here; `to_dict()` (Mastra's JSON)
    carries them only when the call asked for them with `output_options`."""

    __slots__ = (
        "_input",
        "error",
        "include_resume_labels",
        "include_state",
        "result",
        "resume_labels",
        "run_id",
        "span_id",
        "state",
        "status",
        "step_execution_path",
        "steps",
        "suspend_payload",
        "suspended",
        "trace_id",
        "tripwire",
        "workflow_id",
    )

    def __init__(
        self,
        status: RunStatus,
        *,
        run_id: str,
        workflow_id: str,
        steps: dict[str, StepResult],
        input: Any = None,
        result: Any = None,
        error: dict[str, Any] | None = None,
        suspended: list[list[str]] | None = None,
        suspend_payload: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        step_execution_path: list[str] | None = None,
        resume_labels: dict[str, Any] | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        tripwire: dict[str, Any] | None = None,
        include_state: bool = False,
        include_resume_labels: bool = False,
    ):
        self.status: RunStatus = status
        self.run_id = run_id
        self.workflow_id = workflow_id
        self.steps = steps
        self._input = input
        self.result = result
        self.error = error
        self.suspended = suspended or []
        self.suspend_payload = suspend_payload or {}
        self.state = state if state is not None else {}
        self.step_execution_path = step_execution_path or []
        self.resume_labels = resume_labels or {}
        self.trace_id = trace_id
        self.span_id = span_id
        self.tripwire = tripwire
        #: `output_options`: put `state` / `resumeLabels` in `to_dict()`, as Mastra's result has them
        self.include_state = include_state
        self.include_resume_labels = include_resume_labels

    @property
    def input(self) -> Any:
        """The run's input (typed by the workflow's input schema when it validates)."""
        value = self._input
        if type(value) is StoredInput:
            value = self._input = value.get()
        return value

    @input.setter
    def input(self, value: Any) -> None:
        self._input = value

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON for a workflow result."""
        stored = self._input
        data = unraw(stored.raw) if type(stored) is StoredInput else to_json(stored)
        steps: dict[str, Any] = {"input": data}
        for key, record in self.steps.items():
            steps[key] = record.to_dict()
        out: dict[str, Any] = {
            "status": self.status,
            "steps": steps,
            "input": data,
            "stepExecutionPath": list(self.step_execution_path),
        }
        if self.status == "success":
            out["result"] = to_json(self.result)
        if self.error is not None:
            out["error"] = self.error
        if self.status == "suspended":
            out["suspended"] = [list(p) for p in self.suspended]
            out["suspendPayload"] = to_json(self.suspend_payload)
            if self.include_resume_labels:
                out["resumeLabels"] = to_json(self.resume_labels)
        if self.tripwire is not None:
            out["tripwire"] = self.tripwire
        if self.include_state:
            out["state"] = to_json(self.state)
        out["runId"] = self.run_id
        if self.trace_id is not None:
            out["traceId"] = self.trace_id
        if self.span_id is not None:
            out["spanId"] = self.span_id
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], workflow_id: str = "") -> WorkflowResult:
        """The result back from its `to_dict()` JSON (e.g. from a server):
        `from_dict(d).to_dict() == d`. The JSON does not carry the workflow id; pass it."""
        if not isinstance(data, dict) or not isinstance(data.get("status"), str) or not isinstance(data.get("runId"), str):
            raise ValueError(f"a workflow result needs a string 'status' and 'runId'; got {data!r:.200}")
        steps = data.get("steps") or {}
        records = {key: StepResult.from_dict(value) for key, value in steps.items() if key != "input"}
        for record in records.values():
            record.json_ready = True  # read from JSON: to_dict() gives the values back unchanged
        return cls(
            data["status"],
            run_id=data["runId"],
            workflow_id=workflow_id,
            steps=records,
            input=data.get("input"),
            result=data.get("result"),
            error=data.get("error"),
            suspended=data.get("suspended"),
            suspend_payload=data.get("suspendPayload"),
            state=data.get("state"),
            step_execution_path=data.get("stepExecutionPath"),
            resume_labels=data.get("resumeLabels"),
            trace_id=data.get("traceId"),
            span_id=data.get("spanId"),
            tripwire=data.get("tripwire"),
        )

    def __repr__(self) -> str:
        return f"WorkflowResult(status={self.status!r}, run_id={self.run_id!r}, result={self.result!r}, error={self.error!r})"


_STATE_FIELDS = (
    "result",
    "error",
    "payload",
    "steps",
    "activeStepsPath",
    "serializedStepGraph",
    "suspendedPaths",
    "resumeLabels",
    "waitingPaths",
    "requestContext",
    "tracingContext",
)


@dataclass(slots=True)
class WorkflowState:
    """A stored run as `workflow.get_run()` returns it; `to_dict()` is Mastra's WorkflowState JSON
    (`getWorkflowRunById`, and the server's `GET /workflows/:id/runs/:runId`).

    `steps` are flattened (`outer.inner`; a container of a suspended nested step shows as
    `running`, so only the leaf counts as suspended). `suspended` holds the suspended steps'
    paths by step id (as in `WorkflowResult`), `suspended_paths` Mastra's positions in the
    graph. Times are Unix epoch milliseconds (`to_dict()` gives ISO strings, as Mastra's JSON
    does). `fields`, when given, limits `to_dict()` to those fields (plus the ids, times and
    status that are always there), as Mastra's `fields` option does.
    """

    run_id: str
    workflow_id: str
    status: RunStatus
    created_at: int
    updated_at: int
    resource_id: str | None = None
    initial_state: dict[str, Any] | None = None
    result: Any = None
    error: dict[str, Any] | None = None
    payload: Any = None
    steps: dict[str, StepResult] = field(default_factory=dict)
    suspended: list[list[str]] = field(default_factory=list)
    active_steps_path: dict[str, list[int]] = field(default_factory=dict)
    serialized_step_graph: list[dict[str, Any]] = field(default_factory=list)
    suspended_paths: dict[str, list[int]] = field(default_factory=dict)
    resume_labels: dict[str, Any] = field(default_factory=dict)
    waiting_paths: dict[str, list[int]] = field(default_factory=dict)
    request_context: dict[str, Any] = field(default_factory=dict)
    tracing_context: dict[str, Any] | None = None
    fields: frozenset[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON: absent values are left out, as JSON.stringify drops `undefined`."""
        values: dict[str, Any] = {
            "result": to_json(self.result),
            "error": self.error,
            "payload": to_json(self.payload),
            "steps": {key: step.to_dict() for key, step in self.steps.items()},
            "activeStepsPath": self.active_steps_path,
            "serializedStepGraph": self.serialized_step_graph,
            "suspendedPaths": self.suspended_paths,
            "resumeLabels": to_json(self.resume_labels),
            "waitingPaths": self.waiting_paths,
            "requestContext": to_json(self.request_context),
            "tracingContext": self.tracing_context,
        }
        wanted = self.fields
        # resourceId is null, not absent, without one: what Mastra's SQL stores (and server) give
        out: dict[str, Any] = {"runId": self.run_id, "workflowName": self.workflow_id, "resourceId": self.resource_id}
        out["createdAt"], out["updatedAt"] = _iso(self.created_at), _iso(self.updated_at)
        out["status"] = self.status
        if self.initial_state:
            out["initialState"] = to_json(self.initial_state)
        for name in _STATE_FIELDS:
            if wanted is None and name in ("requestContext", "tracingContext"):
                continue  # only when asked for, as in Mastra
            if (wanted is None or name in wanted) and (values[name] is not None or name == "steps"):
                out[name] = values[name]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkflowState:
        """A run from Mastra's WorkflowState JSON (a server's `GET /workflows/:id/runs/:runId`);
        `suspended` comes from the suspended (leaf) steps, as containers show as `running`."""
        steps = {k: StepResult.from_dict(v) for k, v in (data.get("steps") or {}).items()}
        return cls(
            run_id=data["runId"],
            workflow_id=data.get("workflowName", ""),
            status=data["status"],
            created_at=_ms(data.get("createdAt")),
            updated_at=_ms(data.get("updatedAt")),
            resource_id=data.get("resourceId"),
            initial_state=data.get("initialState"),
            result=data.get("result"),
            error=data.get("error"),
            payload=data.get("payload"),
            steps=steps,
            suspended=[k.split(".") for k, v in steps.items() if v.status == "suspended"],
            active_steps_path=data.get("activeStepsPath") or {},
            serialized_step_graph=data.get("serializedStepGraph") or [],
            suspended_paths=data.get("suspendedPaths") or {},
            resume_labels=data.get("resumeLabels") or {},
            waiting_paths=data.get("waitingPaths") or {},
        )


def _ms(value: Any) -> int:
    """An ISO time (or epoch milliseconds) as epoch milliseconds."""
    if isinstance(value, int | float):
        return int(value)
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000) if value else 0


def _iso(ms: int) -> str:
    """Epoch milliseconds as JavaScript's `Date.toISOString()`."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
