"""Errors raised by stepstream, and the signals that stop a step.

    StepstreamError                    root of every error the library raises
    ├── WorkflowDefinitionError        a workflow was built wrongly (empty, not committed, ...)
    ├── ValidationError (+ValueError)  data failed a schema; names the field, step and run
    ├── WorkflowNotFoundError (+LookupError) no workflow registered under that id
    ├── RunNotFoundError (+LookupError) no stored run with that id
    ├── ResumeError                    resume refused (not suspended, unknown step, ...)
    │   └── ResumeAlreadyClaimedError  another caller won a concurrent resume
    ├── RunStateError                  the run's status does not allow the call
    ├── StorageError                   the storage backend failed or is not ours
    ├── ScheduleError (+ValueError)    a bad cron, time zone or schedule input; names the field
    │   └── ScheduleNotFoundError (+LookupError)  no schedule with that id
    └── NonRetryableError              raise from a step to stop retries at once

Signals (`SuspendSignal`, `BailSignal`) derive from `BaseException`, so an
`except Exception` block in user code does not swallow them.
"""

from __future__ import annotations

from typing import Any


class StepstreamError(Exception):
    """Root of every error raised by stepstream."""

    code: str = "STEPSTREAM_ERROR"


class WorkflowDefinitionError(StepstreamError):
    """A workflow or step was defined wrongly."""

    code = "WORKFLOW_DEFINITION_INVALID"


class ValidationError(StepstreamError, ValueError):
    """Data failed a schema. `issues` lists `(dotted.path, message)` pairs."""

    code = "WORKFLOW_SCHEMA_VALIDATION_FAILED"

    def __init__(self, message: str, issues: list[tuple[str, str]] | None = None, *, code: str | None = None):
        super().__init__(message)
        self.issues: list[tuple[str, str]] = list(issues or [])
        if code is not None:
            self.code = code
        self._located = False

    def located(self, where: str) -> ValidationError:
        """Adds a last line naming where the data was refused (`step 's' of workflow 'w', run 'r'`),
        once; Mastra's first line (what failed) and the issue lines stay as they are."""
        if not getattr(self, "_located", False):
            self._located = True
            self.args = (f"{self.args[0]}\n({where})", *self.args[1:])
        return self


class WorkflowNotFoundError(StepstreamError, LookupError):
    """No workflow is registered under that id."""

    code = "WORKFLOW_NOT_FOUND"


class RunNotFoundError(StepstreamError, LookupError):
    """No stored run matches the given workflow and run id."""

    code = "WORKFLOW_RUN_NOT_FOUND"


class ResumeError(StepstreamError):
    """A resume was refused; the run is left exactly as it was."""

    code = "WORKFLOW_RESUME_REFUSED"


class ResumeAlreadyClaimedError(ResumeError):
    """Another caller claimed this suspended run first; nothing ran here."""

    code = "WORKFLOW_RESUME_ALREADY_CLAIMED"


class RunStateError(StepstreamError):
    """The run's status does not allow this call (restart, time travel, start twice)."""

    code = "WORKFLOW_RUN_STATE_INVALID"


class StorageError(StepstreamError):
    """The storage backend failed, or its data is not ours or too new."""

    code = "WORKFLOW_STORAGE_FAILED"


class ScheduleError(StepstreamError, ValueError):
    """A schedule was refused: `field` names the culprit (`cron`, `timezone`, `input_data`, ...)."""

    code = "SCHEDULE_INVALID"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ScheduleNotFoundError(ScheduleError, LookupError):
    """No schedule has that id."""

    code = "SCHEDULE_NOT_FOUND"


class NonRetryableError(StepstreamError):
    """Raise from a step to fail it at once, skipping any remaining retries."""

    code = "WORKFLOW_STEP_NON_RETRYABLE"
    #: shown on the wire as Mastra's `isNonRetryable: true` (the error) and `nonRetryable: true` (the step record)
    non_retryable = True

    def __init__(self, message: str, **attributes: Any):
        super().__init__(message)
        for key, value in attributes.items():
            setattr(self, key, value)


class SuspendSignal(BaseException):
    """Raised by `ctx.suspend()`: ends the step as suspended."""

    def __init__(self, payload: Any, labels: list[str]):
        super().__init__("step suspended")
        self.payload = payload
        self.labels = labels


class BailSignal(BaseException):
    """Raised by `ctx.bail()`: ends the whole run successfully with `value`."""

    def __init__(self, value: Any):
        super().__init__("workflow bailed")
        self.value = value
