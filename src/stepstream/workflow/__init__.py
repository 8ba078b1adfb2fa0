"""Definition time: the workflow builder and its frozen plan (no I/O here)."""

from .builder import RetryConfig, Workflow, WorkflowOptions, create_workflow

__all__ = ["RetryConfig", "Workflow", "WorkflowOptions", "create_workflow"]
