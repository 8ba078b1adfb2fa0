"""`workflow_runner`: stepstream and the user's flow modules pass through Temporal's sandbox
(imported once, shared by every workflow run) instead of being re-imported per run."""

from __future__ import annotations

import sys
import uuid

import pytest
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import stepstream.results
from stepstream.temporal import workflow_runner

from . import sandbox_flows
from .conftest import DevServer


async def _module_ids(server: DevServer, runner: SandboxedWorkflowRunner) -> dict[str, int]:
    client = await Client.connect(server.address, namespace=server.namespace)
    queue = f"test-{uuid.uuid4().hex}"
    async with Worker(client, task_queue=queue, workflows=[sandbox_flows.ModuleIds], workflow_runner=runner):
        result: dict[str, int] = await client.execute_workflow(sandbox_flows.ModuleIds.run, id=f"ids-{uuid.uuid4().hex}", task_queue=queue)
    return result


async def test_stepstream_and_named_flow_modules_pass_through(temporal_server: DevServer) -> None:
    seen = await _module_ids(temporal_server, workflow_runner(sandbox_flows.__name__))
    assert seen == {"stepstream.results": id(stepstream.results), "flows": id(sys.modules[sandbox_flows.__name__])}


async def test_without_passthrough_the_sandbox_re_imports_them(temporal_server: DevServer) -> None:
    seen = await _module_ids(temporal_server, SandboxedWorkflowRunner())
    assert seen["stepstream.results"] != id(stepstream.results)
    assert seen["flows"] != id(sys.modules[sandbox_flows.__name__])


def test_modules_are_named() -> None:
    with pytest.raises(TypeError, match=r"by name"):
        workflow_runner(sandbox_flows)  # type: ignore[arg-type]
