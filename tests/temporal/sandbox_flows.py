"""A workflow for tests/temporal/test_sandbox.py: it reports which module objects it sees."""

from __future__ import annotations

import sys

from temporalio import workflow

import stepstream.results


@workflow.defn
class ModuleIds:
    @workflow.run
    async def run(self) -> dict[str, int]:
        return {"stepstream.results": id(stepstream.results), "flows": id(sys.modules[__name__])}
