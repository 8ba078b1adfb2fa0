"""Runs that outlive the call, and reading a run's events from anywhere.

`spawn` keeps the executions of `start_async`/`resume_async` going in this
process's background (a claimed run is owned and fenced like any other, so a
crash leaves it for `restart_active_runs`). `observe` reads a run's event log
from storage: the events from an offset, then new ones as they are appended,
until the run settles. It needs nothing of the process running the run, so it
works the same in a second server replica, a CLI or a worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from ..errors import RunNotFoundError, StepstreamError
from ..events import WORKFLOW_FINISH, WorkflowEvent
from ..results import WorkflowResult
from ..storage.base import LIVE_STATUSES
from .stream import WorkflowStream

if TYPE_CHECKING:
    from ..workflow.builder import Workflow
    from .run import Run

log = logging.getLogger("stepstream")

#: Events read from the log per query.
PAGE_SIZE = 500
#: While no event arrives, the reader re-reads the run's status this often (a run canceled
#: or deleted in another process appends nothing).
RECHECK_SECONDS = 1.0

_running: dict[asyncio.Task[Any], Workflow] = {}


def spawn(run: Run, execution: Coroutine[Any, Any, WorkflowResult]) -> None:
    """Runs a claimed execution in the background, keeping a reference until it ends. The run
    counts as executing here from now on (`Run._executing`), not only once the task starts:
    a restart in between would run it a second time."""
    started = False

    async def execution_of_task() -> WorkflowResult:
        nonlocal started
        started = True
        try:
            return await execution
        finally:
            if run._active is None:  # (the walk's own end already set it; this covers a claim that never walked)
                run._idle.set()

    task = asyncio.get_running_loop().create_task(execution_of_task(), name=f"stepstream run {run.run_id}")
    _running[task] = run.workflow
    run._idle.busy = True  # the walk sets it again, and sets the flag when it ends

    def done(task: asyncio.Task[Any]) -> None:
        _running.pop(task, None)
        if not started:  # canceled before it began: no walk will set the flag
            execution.close()
            run._idle.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background run %r of workflow %r raised", run.run_id, run.workflow_id, exc_info=exc)

    task.add_done_callback(done)


async def drain(workflows: Iterable[Workflow]) -> None:
    """Waits for the background runs of these workflows to settle (finish or suspend)."""
    mine = {id(wf) for wf in workflows}
    while tasks := [t for t, wf in _running.items() if id(wf) in mine and t is not asyncio.current_task()]:
        await asyncio.wait(tasks)


def observe(run: Run, offset: int) -> WorkflowStream:
    """A stream of the run's logged events from `offset` on (see `Run.observe_stream`)."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    stream = WorkflowStream(run, attach=False)
    stream._drive(_read(stream, run, offset))
    return stream


async def _read(stream: WorkflowStream, run: Run, offset: int) -> WorkflowResult:
    wf = run.workflow
    storage = wf.storage
    if not storage.keeps_events:
        raise StepstreamError(f"{storage!r} keeps no event log, so runs cannot be observed from it")
    while True:
        page = await storage.read_events(wf.id, run.run_id, offset, PAGE_SIZE)
        if page is None:
            raise _not_found(run)
        for logged in page.events:
            event = WorkflowEvent.from_dict(logged.data, logged.offset)
            if event.type == WORKFLOW_FINISH:
                _add_usage(stream, event)
            stream._add(event)
            offset = logged.offset + 1
        if len(page.events) == PAGE_SIZE:
            continue
        if page.status not in LIVE_STATUSES and offset >= page.next_offset:
            break  # settled, and everything it logged was read in the same snapshot
        if not page.events:
            try:
                async with asyncio.timeout(RECHECK_SECONDS):
                    await storage.wait_events(wf.id, run.run_id, offset)
            except TimeoutError:
                pass  # re-read the status: the run may have settled or gone without a new event
    record = await storage.load_run(wf.id, run.run_id)
    if record is None:
        raise _not_found(run)
    return run.result_from_record(record)


def _not_found(run: Run) -> RunNotFoundError:
    return RunNotFoundError(
        f"Workflow run not found: run {run.run_id!r} of workflow {run.workflow_id!r} is not in storage (never started, or deleted)"
    )


def _add_usage(stream: WorkflowStream, event: WorkflowEvent) -> None:
    output = event.payload.get("output")
    usage = output.get("usage") if isinstance(output, dict) else None
    if isinstance(usage, dict):
        total = stream._usage_total
        for key, value in usage.items():
            if isinstance(value, int | float):
                total[key] = total.get(key, 0) + int(value)
