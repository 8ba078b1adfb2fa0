"""A step's start and result events as log entries that build their JSON when read.

When the log is a run's only reader (`RunExecution.quiet`), a step's two events go to
storage as these entries instead of wire dicts: each keeps references to what it is
made of (the step's input, its record), so emitting one is one small object, which logs
itself (numbered from `next_offset`, appended to `pending`, the flush clock started). The wire
JSON is built when storage encodes the entry (SQLite, PostgreSQL) or a reader reads it
(memory), key for key as `_executor` builds it for a live reader. A record is never
changed once saved, so an entry reads the same whenever it is built. The run's
`workflow-finish` event goes the same way (`RunFinished`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..events import EMPTY_USAGE, STEP_RESULT, STEP_START, STEP_SUSPENDED, WORKFLOW_FINISH
from ..results import StepResult
from ..storage.base import RUN_FINISHED, STEP_SETTLED, STEP_STARTED, LoggedEvent

if TYPE_CHECKING:
    from ._state import RunExecution


class _StepEntry(LoggedEvent):
    """What both entries share: built and logged in one call (see `RunExecution.quiet`)."""

    __slots__ = ("_first", "_second", "call_id", "name", "run_id")

    def __init__(self, rs: RunExecution, name: str, call_id: str, first: Any, second: Any):
        self.offset = offset = rs.next_offset
        rs.next_offset = offset + 1
        self.run_id = rs.run_id
        self.name = name
        self.call_id = call_id
        self._first = first
        self._second = second
        rs.pending.append(self)
        if rs.flush_off:
            rs.start_flush_timer()

    @property
    def type(self) -> str:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def data(self) -> dict[str, Any]:
        return {"type": self.type, "runId": self.run_id, "from": "WORKFLOW", "payload": self.payload()}


class StepStarted(_StepEntry):
    """A step's `workflow-step-start` event (a first start: no resume, no metadata):
    `StepStarted(rs, name, call_id, value, started)`."""

    __slots__ = ()
    type = STEP_START

    def payload(self) -> dict[str, Any]:
        name = self.name
        return {
            "stepName": name,
            "id": name,
            "stepCallId": self.call_id,
            "payload": self._first,
            "startedAt": self._second,
            "status": "running",
        }

    def compact(self, run_id: str) -> Any:
        # the payload's fixed keys left out (`storage.base.expand` puts them back)
        return [STEP_STARTED, self.name, self.call_id, self._first, self._second] if run_id == self.run_id else self.data


class StepSettled(_StepEntry):
    """A settled step's `workflow-step-result` (or `-suspended`) event, from its record:
    `StepSettled(rs, name, call_id, record, bailed)`."""

    __slots__ = ()

    @property
    def type(self) -> str:
        record: StepResult = self._first
        return STEP_SUSPENDED if record.status == "suspended" else STEP_RESULT

    def payload(self) -> dict[str, Any]:
        return result_payload(self._first, self.name, self.call_id, self._second)

    def compact(self, run_id: str) -> Any:
        # the record's JSON, without the keys `result_payload` adds (`storage.base.expand` adds them)
        if run_id != self.run_id:
            return self.data
        return [STEP_SETTLED, self.name, self.call_id, self._first.to_dict(), 1 if self._second else 0]


def result_payload(record: StepResult, name: str, call_id: str, bailed: bool) -> dict[str, Any]:
    """The payload of a settled step's event: its record's JSON, named (a bail shows as `bailed`)."""
    payload = record.to_dict()
    payload["stepName"] = name
    payload["id"] = name
    payload["stepCallId"] = call_id
    if bailed:
        payload["status"] = "bailed"
    return payload


#: `RunFinished`'s result when the run has none (it did not succeed)
NO_RESULT: Any = object()


class RunFinished(LoggedEvent):
    """The run's `workflow-finish` event as a log entry (when the log is its only reader):
    `RunFinished(rs, status, usage, result)`, `usage` None for `EMPTY_USAGE`, `result`
    `NO_RESULT` when the payload has no `finalWorkflowResult`. Its payload is built, key
    for key as `_drive` builds it for a live reader, only when read."""

    __slots__ = ("_result", "_status", "_usage", "run_id")

    def __init__(self, rs: RunExecution, status: str, usage: dict[str, int] | None, result: Any):
        self.offset = offset = rs.next_offset
        rs.next_offset = offset + 1
        self.run_id = rs.run_id
        self._status = status
        self._usage = usage
        self._result = result
        rs.pending.append(self)
        if rs.flush_off:
            rs.start_flush_timer()

    @property
    def data(self) -> dict[str, Any]:
        usage = dict(EMPTY_USAGE) if self._usage is None else self._usage
        payload: dict[str, Any] = {"workflowStatus": self._status, "output": {"usage": usage}, "metadata": {}}
        if self._result is not NO_RESULT:
            payload["finalWorkflowResult"] = self._result
        return {"type": WORKFLOW_FINISH, "runId": self.run_id, "from": "WORKFLOW", "payload": payload}

    def compact(self, run_id: str) -> Any:
        if run_id != self.run_id:
            return self.data
        usage = 0 if self._usage is None else self._usage
        return [RUN_FINISHED, self._status, usage] if self._result is NO_RESULT else [RUN_FINISHED, self._status, usage, self._result]
