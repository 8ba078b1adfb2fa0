"""The local host's segments (`engine/_segment.py`) record exactly what one hand-off per step does.

Plain sync steps in a row run on a worker thread as one segment. Each workflow here runs
twice on in-memory storage: with segments (the default `LocalExecutor`), and on an executor
whose host offers none, so each sync step is handed to a thread alone. The stored records,
the state, the event log and the result must be the same, field for field, but for what
differs by nature (timestamps, call ids, run ids). The cases cover what ends a segment
early (a failure retried or not, bad output, a suspend, a bail, an abort, a writer chunk,
a sync step that returns an awaitable) and what a step must see of the steps before it in
its segment (state, `get_step_result`).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

import pytest

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.engine import _segment
from stepstream.engine._local import LocalExecutor, LocalHost
from stepstream.engine._state import RunExecution
from stepstream.storage import InMemoryStorage
from stepstream.workflow.builder import Workflow

from .test_lane import N, flaky_body, recorded
from .test_lane import chain as lane_chain
from .test_lane import step as sync_step


def inc(i: int) -> Any:
    return create_step(id=f"inc{i}", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n + i))


class NoSegments(LocalExecutor):
    """A local executor whose host offers no segments: each sync step is handed off alone."""

    def host(self, rs: RunExecution) -> LocalHost:
        found = super().host(rs)
        rs.segment = None
        return found


def chain(name: str, *steps: Any, **options: Any) -> Workflow:
    """`steps`, then a last sync step (a segment can take the workflow's last step too)."""
    return lane_chain(name, *steps, inc(1000), **options)


def with_state_and_results() -> Workflow:
    def counted(ctx: StepContext[N, Any]) -> N:
        ctx.set_state({"seen": ctx.state.get("seen", 0) + ctx.input_data.n})
        return N(n=ctx.input_data.n * 2)

    def reads_back(ctx: StepContext[N, Any]) -> N:
        before = ctx.get_step_result("counted")
        return N(n=before.n + ctx.state["seen"])

    return chain("seg-state", inc(1), sync_step("counted", counted), sync_step("reads", reads_back), inc(2), state_schema=dict[str, int])


def retried() -> Workflow:
    return chain("seg-retried", inc(1), sync_step("flaky", flaky_body()), inc(3), retry_config={"attempts": 2})


def failed() -> Workflow:
    def broken(ctx: StepContext[N, Any]) -> N:
        raise ValueError(f"no {ctx.input_data.n}")

    return chain("seg-failed", inc(1), inc(2), sync_step("broken", broken), inc(3))


def bad_output() -> Workflow:
    return chain("seg-bad", inc(1), sync_step("wrong", lambda ctx: {"n": "not a number"}), inc(2))


def suspended() -> Workflow:
    def gate(ctx: StepContext[N, Any]) -> N:
        if ctx.resume_data is None:
            ctx.suspend({"at": ctx.input_data.n}, resume_label="go")
        return N(n=ctx.input_data.n + ctx.resume_data["add"])

    return chain("seg-suspended", inc(1), sync_step("gate", gate), inc(2))


def bailed() -> Workflow:
    return chain("seg-bailed", inc(1), sync_step("early", lambda ctx: ctx.bail({"early": ctx.input_data.n})), inc(2))


def aborted() -> Workflow:
    def stop(ctx: StepContext[N, Any]) -> N:
        ctx.abort()
        return N(n=ctx.input_data.n)

    return chain("seg-aborted", inc(1), sync_step("stop", stop), inc(2), inc(3))


def written() -> Workflow:
    def chatty(ctx: StepContext[N, Any]) -> N:
        ctx.writer.write({"said": ctx.input_data.n})
        return N(n=ctx.input_data.n + 1)

    return chain("seg-writer", inc(1), sync_step("chatty", chatty), inc(2), inc(3))


def awaitable() -> Workflow:
    async def later(n: int) -> N:
        return N(n=n + 7)

    return chain("seg-awaitable", inc(1), sync_step("later", lambda ctx: later(ctx.input_data.n)), inc(2))


def long_chain() -> Workflow:
    return chain("seg-long", *(inc(i) for i in range(1, 60)))


CASES = [with_state_and_results, retried, failed, bad_output, suspended, bailed, aborted, written, awaitable, long_chain]


@pytest.fixture
def segment_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many steps each segment ran (the local host's segments, counted)."""
    sizes: list[int] = []
    run_segment = _segment.run_segment

    async def counting(host: LocalHost, ex: Any, steps: Any, value: Any) -> Any:
        out = await run_segment(host, ex, steps, value)
        sizes.append(len(out[0]))
        return out

    monkeypatch.setattr(LocalHost, "segment", counting)
    return sizes


@pytest.mark.parametrize("make", CASES, ids=lambda make: make.__name__)
async def test_segments_record_what_one_hand_off_per_step_records(make: Callable[[], Workflow], segment_sizes: list[int]) -> None:
    taken = segment_sizes
    segmented = await recorded(make, InMemoryStorage(), None)
    alone = await recorded(make, InMemoryStorage(), NoSegments())
    assert taken and max(taken) >= 2, taken  # a segment really ran several steps
    assert segmented == alone
    assert segmented["offsets"] == list(range(len(segmented["events"])))


async def test_a_segment_runs_its_steps_on_one_worker_thread_each_in_its_own_context() -> None:
    var: contextvars.ContextVar[int] = contextvars.ContextVar("var", default=0)
    seen: list[tuple[int, int]] = []

    def step(i: int) -> Any:
        def execute(ctx: StepContext[N, Any]) -> N:
            seen.append((threading.get_ident(), var.get()))
            var.set(i)  # not seen by the next step: each runs in its own copy of the caller's context
            return N(n=ctx.input_data.n + 1)

        return sync_step(f"s{i}", execute)

    wf = chain("seg-threads", *(step(i) for i in range(1, 6)))
    async with Stepstream(workflows=[wf], storage=InMemoryStorage()) as app:
        var.set(-1)
        result = await (await app.get_workflow(wf.id).create_run()).start(input_data={"n": 0})
    assert result.status == "success" and result.result == N(n=1005)
    assert {value for _thread, value in seen} == {-1}
    assert threading.get_ident() not in {thread for thread, _value in seen}
    assert len({thread for thread, _value in seen}) == 1  # one hand-off for the five


async def test_a_segment_hands_its_steps_on_only_for_about_a_millisecond(segment_sizes: list[int]) -> None:
    """The run's records and events lag the steps on the worker by one segment at most: a
    segment goes on to its next step only while it has run under `SEGMENT_SECONDS`."""
    import time

    sizes = segment_sizes

    def slow(ctx: StepContext[N, Any]) -> N:
        time.sleep(0.0006)
        return N(n=ctx.input_data.n + 1)

    wf = chain("seg-slow", *(sync_step(f"slow{i}", slow) for i in range(10)))
    async with Stepstream(workflows=[wf], storage=InMemoryStorage()) as app:
        result = await (await app.get_workflow(wf.id).create_run()).start(input_data={"n": 0})
    assert result.result == N(n=1010)
    # 0.6 ms each: a second step starts, a third does not (the last segment may take the final step too)
    assert sum(sizes) >= 10 and max(sizes) <= 2, sizes


async def test_segments_of_parallel_branches_keep_each_steps_chunks_with_it() -> None:
    """Nested workflows in parallel branches run their segments side by side on two
    threads: what each step hands to the loop stays with that step."""

    def branch(tag: str) -> Workflow:
        def chatty(ctx: StepContext[N, Any]) -> N:
            ctx.writer.write({"said": tag})
            return N(n=ctx.input_data.n + 1)

        inner = create_workflow(id=f"branch-{tag}", input_schema=N, output_schema=N)
        for i in range(3):
            inner.then(sync_step(f"{tag}{i}", lambda ctx: N(n=ctx.input_data.n + 1)))
        inner.then(sync_step(f"chatty-{tag}", chatty)).then(sync_step(f"{tag}-end", lambda ctx: N(n=ctx.input_data.n + 1)))
        return inner.commit()

    wf = create_workflow(id="seg-parallel", input_schema=N).parallel([branch("a"), branch("b")]).commit()
    storage = InMemoryStorage()
    async with Stepstream(workflows=[wf], storage=storage) as app:
        for _ in range(20):
            run = await app.get_workflow(wf.id).create_run()
            result = await run.start(input_data={"n": 0})
            assert result.status == "success", result.error
            assert result.result == {"branch-a": {"n": 5}, "branch-b": {"n": 5}}
            page = await storage.read_events(wf.id, run.run_id)
            assert page is not None
            events = [e.data for e in page.events]
            for tag in "ab":
                said = [i for i, e in enumerate(events) if e["type"] == "workflow-step-output" and e["payload"]["output"] == {"said": tag}]
                mine = [
                    i
                    for i, e in enumerate(events)
                    if e["type"].startswith("workflow-step-") and str(e["payload"].get("id", "")).endswith(f"chatty-{tag}")
                ]
                assert len(said) == 1 and len(mine) >= 2, (tag, events)
                assert mine[0] < said[0] < mine[-1], (tag, mine, said)


async def test_a_cancel_stops_a_segment_before_its_next_step() -> None:
    import asyncio
    import time

    ran: list[int] = []

    def step(i: int) -> Any:
        def execute(ctx: StepContext[N, Any]) -> N:
            ran.append(i)
            time.sleep(0.0003)
            return N(n=ctx.input_data.n + 1)

        return sync_step(f"t{i}", execute)

    wf = chain("seg-cancel", *(step(i) for i in range(2000)))
    storage = InMemoryStorage()
    async with Stepstream(workflows=[wf], storage=storage) as app:
        run = await app.get_workflow(wf.id).create_run()
        started = asyncio.ensure_future(run.start(input_data={"n": 0}))
        while len(ran) < 50:
            await asyncio.sleep(0.001)
        await run.cancel()
        result = await started
        stopped_at = len(ran)
        await asyncio.sleep(0.05)
        record = await storage.load_run(wf.id, run.run_id)
    assert result.status == "canceled"
    assert len(ran) == stopped_at < 2000  # nothing ran after the run ended
    assert record is not None
    done = [key for key, step in record.steps.items() if step.status == "success"]
    assert done == [f"t{i}" for i in range(len(done))] and len(done) <= len(ran)
