"""The test infrastructure: the session's Temporal dev server runs workflows and activities."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from .conftest import DevServer


@activity.defn
async def add_one(value: int) -> int:
    return value + 1


@workflow.defn
class Chain:
    @workflow.run
    async def run(self, steps: int) -> int:
        value = 0
        for _ in range(steps):
            value = await workflow.execute_activity(add_one, value, start_to_close_timeout=timedelta(seconds=30))
        return value


async def test_a_plain_activity_chain_runs_on_the_dev_server(temporal_server: DevServer) -> None:
    client = await Client.connect(temporal_server.address, namespace=temporal_server.namespace)
    queue = f"test-{uuid.uuid4().hex}"
    async with Worker(client, task_queue=queue, workflows=[Chain], activities=[add_one]):
        result = await client.execute_workflow(Chain.run, 5, id=f"chain-{uuid.uuid4().hex}", task_queue=queue)
    assert result == 5
