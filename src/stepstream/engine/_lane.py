"""The local host's lane: a plain step's whole first run in one call.

Most steps of most runs are a chain's plain steps: a first run, on the loop (`async def`,
or `inline`), no request-context schema, no interceptor, no running mark, and the event
log as the events' only reader. For those the walk (`LevelWalk._run_plain`) hands the
whole step to `LocalHost.lane`: the clock, the call id, the start entry, the loop's turn,
the attempt, the record, the result entry and the save, with no request, attempt or
helper objects in between. It does exactly what the walk's general path does with a
`LocalHost`, in the same order (tests/engine/test_lane.py compares the two, record for
record and event for event); anything but a success goes back to the walk as a
`LaneMiss`, which settles it (retries, suspend, bail, failure) the general way.

This is the in-process executor's own shortcut: the walk modules still reach the clock,
ids, attempts and storage only through a host, and a host without a lane (a fake host,
the Temporal host) gets the general path.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from time import time as _time
from typing import TYPE_CHECKING, Any

from ..results import StepResult
from ._attempt import IN_CODE, IN_FAILED, OUT_CODE, OUT_FAILED, _is_awaitable, attempt_error
from ._context import EngineStepContext
from ._state import Fenced, LaneMiss, new_id
from ._step_events import StepSettled, StepStarted

if TYPE_CHECKING:
    from .._schema import Schema
    from ..step import Step
    from ._executor import LevelWalk
    from ._local import LocalHost
    from ._state import RunExecution


def _task_of() -> Callable[[asyncio.AbstractEventLoop], asyncio.Task[Any] | None]:
    """`asyncio.current_task(loop)` at its cheapest: on 3.11 that function is Python code
    reading the C module's table of running tasks, which is read here directly."""
    if sys.version_info < (3, 12):
        from asyncio import tasks

        table = getattr(tasks, "_current_tasks", None)
        if isinstance(table, dict):
            return table.get
    return asyncio.current_task


_current_task = _task_of()


async def run_lane(host: LocalHost, ex: LevelWalk, step: Step, value: Any) -> Any:
    """Runs a plain step's first run at `ex`'s level; returns its output (JSON), recorded
    and saved, or a `LaneMiss` with the attempt that did not succeed (its running mark,
    if any, kept for the walk's retries: the walk settles it)."""
    rs = ex.rs
    key = step.id
    name = ex.prefix + key
    started = int(_time() * 1000)
    call_id = new_id()
    StepStarted(rs, name, call_id, value, started)
    shared = rs.shared
    if shared:  # other processes read the storage: a slow step gets a `running` record
        host.mark_running(name, StepResult.running(value, started))
    ctx: EngineStepContext[Any, Any] = EngineStepContext(ex, step, key, value, None, None, 0, None, rs.restarting)
    validate = ex.workflow.validate_inputs
    payload = value
    task = None
    try:
        paced = host.pace()
        if paced is not None:
            await paced
        if validate:
            payload = ctx.input_data = step._in.validate(value, IN_FAILED, code=IN_CODE)
        out = step.execute(ctx)
        if step.is_async or _is_awaitable(out):
            task = _current_task(host._loop)
            if task is not None:
                rs.interruptible.add(task)
            out = await out
        if validate and step._out.adapter is not None:
            out = step._out.validate(out, OUT_FAILED, code=OUT_CODE)
        data = _input_json(host, step._in, value, payload)
        output = step._out.storable(out, "Step %r output", key)
    except BaseException as exc:
        try:
            return LaneMiss(attempt_error(ex, step, key, exc, payload, ctx.state_updates, task), started, call_id)
        except BaseException:
            if shared:
                await host.settle_running(name)
            raise
    finally:
        if task is not None:
            rs.interruptible.discard(task)
    if shared:
        later = host.settle_now(name)  # before the record's write: a mark write in flight lands first
        if later is not None:
            await later
    updates = ctx.state_updates
    if updates:
        rs.state.update(updates)
        rs.state_dirty = True
    record = StepResult.succeeded(data, output, started, int(_time() * 1000))
    StepSettled(rs, name, call_id, record, False)
    later = _save(ex, rs, key, name, record)
    if later is not None:
        await later
    host.last_output, host.last_type = output, type(out)
    return output


def _input_json(host: LocalHost, schema: Schema, value: Any, payload: Any) -> Any:
    """The record's payload: the step's input as JSON, as it is after the step ran. That is
    `value` itself when nothing was validated, or when `value` is the previous step's dump of
    an instance of this very model (`Schema.plain`: its JSON validates back to an equal
    instance) and the step left its input as it came (its fields are still `value`'s);
    else the validated input, dumped."""
    if payload is value or (value is host.last_output and schema.plain and host.last_type is schema.model and payload.__dict__ == value):
        return value
    return schema.dump(payload)


def _save(ex: LevelWalk, rs: RunExecution, key: str, name: str, record: StepResult) -> Coroutine[Any, Any, None] | None:
    """`ex._store(key, record)`, with `host.save_now` and the storage's own call in one
    where the storage writes at once; else the write to await."""
    if not rs.immediate or rs.claim is not None or rs.writing or rs.defer_last == name:
        return ex._store(key, record)
    ex.steps[key] = record
    rs.records[name] = record
    events, rs.pending = rs.pending, []
    try:
        written = rs.storage.save_step_now(rs.workflow_id, rs.run_id, name, record, rs.run_changes(), rs.owner, events)
    except BaseException:
        rs.untake(events)
        raise
    if not written:
        raise Fenced
    return None
