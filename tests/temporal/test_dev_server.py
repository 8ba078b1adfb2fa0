"""The test infrastructure: the session's Temporal dev server runs workflows and activities."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from .conftest import DevServer


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name} from {activity.info().activity_type}"


@workflow.defn
class Greeting:
    @workflow.run
    async def run(self, names: list[str]) -> list[str]:
        return [await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=30)) for name in names]


async def test_workflows_and_activities_run_on_the_dev_server(temporal_server: DevServer) -> None:
    client = await Client.connect(temporal_server.address, namespace=temporal_server.namespace)
    queue = f"test-{uuid.uuid4().hex}"
    async with Worker(client, task_queue=queue, workflows=[Greeting], activities=[greet]):
        result = await client.execute_workflow(Greeting.run, ["ada", "alan"], id=f"greet-{uuid.uuid4().hex}", task_queue=queue)
    assert result == ["hello ada from greet", "hello alan from greet"]
