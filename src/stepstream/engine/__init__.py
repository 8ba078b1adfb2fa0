"""Run time: the executor, runs and streams."""

from .run import Run
from .stream import WorkflowStream

__all__ = ["Run", "WorkflowStream"]
