"""stepstream: Mastra's workflow engine for Python.

Typed steps, composable control flow, suspend/resume, event streams and
durable runs, with Mastra's behaviour and Mastra's JSON on the wire.
"""

from ._version import __version__ as __version__
from .app import Stepstream as Stepstream
from .engine._local import LocalExecutor as LocalExecutor
from .engine.run import Run as Run
from .engine.stream import WorkflowStream as WorkflowStream
from .errors import NonRetryableError as NonRetryableError
from .errors import ResumeAlreadyClaimedError as ResumeAlreadyClaimedError
from .errors import ResumeError as ResumeError
from .errors import RunNotFoundError as RunNotFoundError
from .errors import RunStateError as RunStateError
from .errors import ScheduleError as ScheduleError
from .errors import ScheduleNotFoundError as ScheduleNotFoundError
from .errors import StepstreamError as StepstreamError
from .errors import StorageError as StorageError
from .errors import ValidationError as ValidationError
from .errors import WorkflowDefinitionError as WorkflowDefinitionError
from .errors import WorkflowNotFoundError as WorkflowNotFoundError
from .events import WorkflowEvent as WorkflowEvent
from .lifecycle import WorkflowFinishInfo as WorkflowFinishInfo
from .lifecycle import WorkflowStartInfo as WorkflowStartInfo
from .request_context import RequestContext as RequestContext
from .results import OutputOptions as OutputOptions
from .results import StepResult as StepResult
from .results import WorkflowResult as WorkflowResult
from .results import WorkflowState as WorkflowState
from .run_query import RunQuery as RunQuery
from .state_reader import SuspendedStep as SuspendedStep
from .state_reader import WorkflowStateReader as WorkflowStateReader
from .state_reader import create_workflow_state_reader as create_workflow_state_reader
from .step import Step as Step
from .step import StepContext as StepContext
from .step import create_step as create_step
from .step import inline as inline
from .step import step as step
from .types import InternalSpans as InternalSpans
from .types import TracingPolicy as TracingPolicy
from .workflow.builder import RetryConfig as RetryConfig
from .workflow.builder import Workflow as Workflow
from .workflow.builder import WorkflowOptions as WorkflowOptions
from .workflow.builder import clone_step as clone_step
from .workflow.builder import clone_workflow as clone_workflow
from .workflow.builder import create_workflow as create_workflow
from .workflow.predicate import Predicate as Predicate

__all__ = [
    "InternalSpans",
    "LocalExecutor",
    "NonRetryableError",
    "OutputOptions",
    "Predicate",
    "RequestContext",
    "ResumeAlreadyClaimedError",
    "ResumeError",
    "RetryConfig",
    "Run",
    "RunNotFoundError",
    "RunQuery",
    "RunStateError",
    "ScheduleError",
    "ScheduleNotFoundError",
    "Step",
    "StepContext",
    "StepResult",
    "Stepstream",
    "StepstreamError",
    "StorageError",
    "SuspendedStep",
    "TracingPolicy",
    "ValidationError",
    "Workflow",
    "WorkflowDefinitionError",
    "WorkflowEvent",
    "WorkflowFinishInfo",
    "WorkflowNotFoundError",
    "WorkflowOptions",
    "WorkflowResult",
    "WorkflowStartInfo",
    "WorkflowState",
    "WorkflowStateReader",
    "WorkflowStream",
    "__version__",
    "clone_step",
    "clone_workflow",
    "create_step",
    "create_workflow",
    "create_workflow_state_reader",
    "inline",
    "step",
]
