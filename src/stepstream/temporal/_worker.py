"""The worker side: the Temporal workflow every stepstream execution runs as, and `run_worker`.

A worker process loads the same app as the processes that start runs (the same
workflows, the same storage) and polls a task queue: it walks executions (the Temporal
workflow `stepstream.run`) and runs step attempts (activities). Any number of workers,
on any machines, may share a queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from ._activities import Activities
from ._executor import CANCEL, WORKFLOW, TemporalExecutor, with_converter
from ._sandbox import workflow_runner
from ._walk import walk

#: the app each task queue's workers serve in this process (the workflow finds it here)
_APPS: dict[str, Any] = {}


@workflow.defn(name=WORKFLOW)
class StepstreamWorkflow:
    """One execution of one stepstream run (a start, a resume, a restart or a time travel)."""

    def __init__(self) -> None:
        self.canceled = False
        self.rs: Any = None

    @workflow.run
    async def run(self, data: dict[str, Any]) -> dict[str, Any]:
        queue = data.get("taskQueue") or workflow.info().task_queue  # a replayer runs on a queue of its own
        app = _APPS.get(queue)
        if app is None:
            raise ApplicationError(f"no stepstream app serves task queue {queue!r} in this worker", non_retryable=True)
        return await walk(app, data, self)

    @workflow.signal(name=CANCEL)
    def cancel(self) -> None:
        """`Run.cancel()`: the walk stops at its next boundary, the running step's activity is canceled."""
        self.canceled = True
        if self.rs is not None:
            self.rs.request_abort()


def _executor_of(app: Any) -> TemporalExecutor | None:
    executor = getattr(app, "executor", None)
    return executor if isinstance(executor, TemporalExecutor) else None


#: How often a running step's heartbeat reaches the server, unless `create_worker` is told otherwise.
_HEARTBEAT_THROTTLE = {
    "max_heartbeat_throttle_interval": timedelta(seconds=1),
    "default_heartbeat_throttle_interval": timedelta(seconds=1),
}


async def create_worker(
    app: Any,
    client: Client | None = None,
    task_queue: str | None = None,
    *,
    modules: tuple[str, ...] = (),
    sticky_timeout: timedelta = timedelta(seconds=1),
    **options: Any,
) -> Worker:
    """A Temporal `Worker` serving `app`'s runs on `task_queue` (not started: `await worker.run()`,
    or `async with worker:`). `client` and `task_queue` default to the app's `TemporalExecutor`'s.

    `modules` are the user's flow modules to pass through the workflow sandbox (stepstream's own
    are always passed through). `sticky_timeout` is how long a workflow task waits for the
    worker that ran the previous one before any worker takes it (Temporal's default is 5 s;
    a short one makes a dead worker's runs move on quickly). Other keyword arguments go to
    `temporalio.worker.Worker` (`max_concurrent_activities=`, ...). Heartbeats go to the
    server at most once a second by default (`max_heartbeat_throttle_interval`, and
    `default_heartbeat_throttle_interval`): a cancel reaches a running step in the answer to
    one, so it lands within about a second rather than at Temporal's default throttle (up to
    tens of seconds), while a canceled agent keeps spending tokens."""
    executor = _executor_of(app)
    if client is None or task_queue is None:
        if executor is None:
            raise TypeError("create_worker: give client= and task_queue=, or an app whose executor is a TemporalExecutor")
        task_queue = task_queue or executor.task_queue
    if executor is not None:
        client = await executor.client(app.storage) if client is None else with_converter(client, app.storage)
    elif client is not None:
        client = with_converter(client, app.storage)
    assert client is not None and task_queue is not None
    _APPS[task_queue] = app
    activities = Activities(app)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[StepstreamWorkflow],
        activities=[activities.attempt, activities.write],
        workflow_runner=workflow_runner(*modules),
        sticky_queue_schedule_to_start_timeout=sticky_timeout,
        **{**_HEARTBEAT_THROTTLE, **options},
    )


async def run_worker(app: Any, client: Client | None = None, task_queue: str | None = None, **options: Any) -> None:
    """Runs a worker for `app` until cancelled (see `create_worker`)."""
    worker = await create_worker(app, client, task_queue, **options)
    await worker.run()
