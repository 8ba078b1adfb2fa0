"""The local host's segments: consecutive plain sync steps in one hand-off to a worker thread.

A sync step runs on a worker thread (the loop is never held), and each hand-off costs two
thread wake-ups: on an idle 2-vCPU VM about 40 µs, four times what the rest of a step costs.
When the walk meets two or more plain sync steps in a row (first runs, no interceptor, no
request-context schema) on storage that writes at once (in
memory) with no reader in this process, it hands them to one worker as a segment.

On the worker each step runs as the general path runs it (`run_attempt`), with the step's
own copy of the loop's context variables, and the next starts only while the segment has
run under `SEGMENT_SECONDS`, the run is not aborted, and the step succeeded without handing
anything to the loop. What a step hands to the loop (`ctx.writer` chunks, events,
`ctx.abort()`) is kept for it (`RunExecution.segment_calls`) and done on the loop between
its start and result entries, where the general path does it. A step's state updates and
record are applied before the next step runs, so `ctx.state` and `get_step_result` see
them. Back on the loop, each step gets its entries, record and save in order, and a step
that did not succeed goes back to the walk as a `LaneMiss` (retries, suspend, bail,
failure are settled the general way). Between the steps of a segment the run's events
and records lag at most `SEGMENT_SECONDS` plus one step (tests/engine/test_segment.py
compares runs with and without segments, record for record and event for event).
"""

from __future__ import annotations

import contextvars
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from time import time as _time
from typing import TYPE_CHECKING, Any, cast

from ..results import StepResult
from ..workflow.builder import Workflow
from ..workflow.plan import Node, StepNode
from ._attempt import IN_CODE, IN_FAILED, OUT_CODE, OUT_FAILED, _is_awaitable, attempt_error
from ._context import EngineStepContext
from ._lane import _current_task
from ._state import LaneMiss, new_id
from ._step_events import StepSettled, StepStarted

if TYPE_CHECKING:
    from ..step import Step
    from ._executor import LevelWalk
    from ._local import LocalHost

SEGMENT_SECONDS = 0.001
"""How long a segment goes on to its next step (the lag of the run's events and records)."""


class _Done:
    """One step of a segment, as the worker left it."""

    __slots__ = ("applied", "awaiting", "calls", "ctx", "data", "ended", "error", "output", "payload", "started", "step", "value")

    def __init__(self, step: Step, value: Any, started: int, ctx: EngineStepContext[Any, Any]):
        self.step = step
        self.value = value  # its input (JSON)
        self.started = started
        self.ctx = ctx
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self.payload: Any = value
        self.data: Any = None
        self.output: Any = None
        self.ended = 0
        self.error: BaseException | None = None
        self.awaiting: Any = None  # what a sync step returned to await (on the loop)
        self.applied = False  # its state updates and record applied by the worker


def plain_sync(step: Any) -> bool:
    """A step a segment can take (its walk-level conditions are the walk's, see `run`)."""
    return not step.is_async and not step.inline and step._rc is None and not isinstance(step, Workflow)


def _work(ex: LevelWalk, steps: Iterable[Step], value: Any, halted: list[bool]) -> list[_Done]:
    """On the worker thread: the segment's steps, one after the other (see the module).
    `halted` gets an item when the walk stops waiting (its task canceled): no step starts then."""
    rs = ex.rs
    validate = ex.workflow.validate_inputs
    done: list[_Done] = []
    thread = threading.get_ident()
    t0 = time.perf_counter()
    for step in steps:
        if done and (halted or rs.abort_event.fired or time.perf_counter() - t0 >= SEGMENT_SECONDS):
            break
        ctx: EngineStepContext[Any, Any] = EngineStepContext(ex, step, step.id, value, None, None, 0, None, rs.restarting)
        one = _Done(step, value, int(_time() * 1000), ctx)
        done.append(one)
        rs.segment_calls[thread] = one.calls
        try:
            # its own copy of the context the segment was handed (a copy of the loop's)
            contextvars.copy_context().run(_attempt, one, validate)
        except BaseException as exc:  # settled by the walk, as the general path's attempt does
            one.error = exc
        finally:
            del rs.segment_calls[thread]
        if one.error is not None or one.calls or one.awaiting is not None:
            break  # the rest of this step is the loop's
        _apply(ex, one)
        value = one.output
    return done


def _attempt(one: _Done, validate: bool) -> None:
    step, ctx, value = one.step, one.ctx, one.value
    if validate:
        one.payload = ctx.input_data = step._in.validate(value, IN_FAILED, code=IN_CODE)
    out = step.execute(ctx)
    if _is_awaitable(out):
        one.awaiting = out
        return
    _finish(one, out, validate)


def _finish(one: _Done, out: Any, validate: bool) -> None:
    """What `run_attempt` does with a step's output: validated, dumped as JSON."""
    step = one.step
    if validate and step._out.adapter is not None:
        out = step._out.validate(out, OUT_FAILED, code=OUT_CODE)
    one.data = one.value if one.payload is one.value else step._in.dump(one.payload)
    one.output = step._out.storable(out, "Step %r output", step.id)
    one.ended = int(_time() * 1000)


def _apply(ex: LevelWalk, one: _Done) -> None:
    """A succeeded step's state updates and record, seen by the next step's context."""
    updates = one.ctx.state_updates
    if updates:
        ex.rs.state.update(updates)
        ex.rs.state_dirty = True
    ex.steps[one.step.id] = StepResult.succeeded(one.data, one.output, one.started, one.ended)
    one.applied = True


_ENDS: weakref.WeakKeyDictionary[Workflow, tuple[Sequence[Node], list[int]]] = weakref.WeakKeyDictionary()


def segment_of(workflow: Workflow, graph: Sequence[Node], index: int) -> range | None:
    """The indices of the plain sync steps in a row from `graph[index]`, if there are two or
    more. Where each row ends is worked out once per committed graph (a walk asks at every
    segment, and a long chain of sync steps makes many)."""
    cached = _ENDS.get(workflow)
    if cached is None or cached[0] is not graph:
        ends = [0] * len(graph)
        end = len(graph)
        for i in range(len(graph) - 1, -1, -1):
            node = graph[i]
            if type(node) is not StepNode or not plain_sync(node.step):
                end = i
            ends[i] = end
        cached = _ENDS[workflow] = (graph, ends)
    end = cached[1][index]
    return range(index, end) if end - index > 1 else None


async def walk_segment(ex: LevelWalk, graph: Sequence[Node], span: range, value: Any, last_id: str | None) -> tuple[str, Any, int]:
    """The walk's side of a segment over `graph[span]`: (status, output, how many more nodes
    it took). With the workflow's last step in the span (`last_id`), that step's record
    waits for the run's final write, as the walk's loop has it wait (`LevelWalk._store`)."""
    if last_id is not None and span.stop == len(graph):
        ex.rs.defer_last = last_id
    segment = ex.rs.segment
    assert segment is not None
    ran, out, last_input = await segment(ex, (cast(StepNode, graph[i]).step for i in span), value)
    ex.executed.extend(step.id for step in ran[1:])
    if type(out) is LaneMiss:
        status, out = await ex._settle_plain(ran[-1], last_input, out.started, out.call_id, out.attempt)
        return status, out, len(ran) - 1
    return "success", out, len(ran) - 1


async def run_segment(host: LocalHost, ex: LevelWalk, steps: Iterable[Step], value: Any) -> tuple[list[Step], Any, Any]:
    """Runs `steps` (two or more plain sync steps in a row) in one hand-off; returns the
    steps that ran, the last one's output (or a `LaneMiss` if it did not succeed), and
    that step's input."""
    rs = ex.rs
    paced = host.pace()
    if paced is not None:
        await paced
    halted: list[bool] = []
    try:
        done: list[_Done] = await host.executor.in_thread(lambda _: _work(ex, steps, value, halted), None)
    except BaseException:
        halted.append(True)  # the worker starts no further step (the one running ends as a thread does)
        raise
    out: Any = value
    for one in done:
        step, key = one.step, one.step.id
        name = ex.prefix + key
        call_id = new_id()
        StepStarted(rs, name, call_id, one.value, one.started)
        for fn, args in one.calls:  # what the step handed to the loop, where the general path does it
            fn(*args)
        task = None
        if one.awaiting is not None and one.error is None:
            task = _current_task(host._loop)
            if task is not None:
                rs.interruptible.add(task)
            try:
                _finish(one, await one.awaiting, ex.workflow.validate_inputs)
            except BaseException as exc:
                one.error = exc
            finally:
                if task is not None:
                    rs.interruptible.discard(task)
        if one.error is not None:
            attempt = attempt_error(ex, step, key, one.error, one.payload, one.ctx.state_updates, task)
            return [d.step for d in done], LaneMiss(attempt, one.started, call_id), one.value
        if not one.applied:
            _apply(ex, one)
        record = ex.steps[key]
        StepSettled(rs, name, call_id, record, False)
        later = ex._store(key, record)
        if later is not None:
            await later
        out = one.output
    return [d.step for d in done], out, done[-1].value
