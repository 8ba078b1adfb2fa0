"""A Temporal workflow with no step that imports stepstream, as a user's flow module does: what
one run costs the worker in Temporal's default sandbox (which re-imports the workflow's modules,
stepstream included, for every run) and with `stepstream.temporal.workflow_runner` passing
stepstream through. Used by bench/workers/stepstream_worker.py's op_temporal_sandbox."""

from __future__ import annotations

from temporalio import workflow

import stepstream  # noqa: F401  (the import the sandbox repeats per run)


@workflow.defn
class Tiny:
    """No step at all: one workflow run's cost to the worker (mostly the sandbox)."""

    @workflow.run
    async def run(self) -> int:
        return 1
