"""Sync user code on worker threads: the short wait for a quick job, and the way through the loop.

The pool's `wait` is set large (no quick job can outlast it) or the job is held by an event
(it cannot finish within it), so which way a job takes does not depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest
import uvloop

from stepstream import create_step, create_workflow
from stepstream.engine import _threads
from stepstream.engine._threads import MAX_SKIP, WorkerPool

LONG = 30.0  # no quick job outlasts this wait
SHORT = 0.001  # a job held by an event outlasts this one

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def where(_: Any) -> tuple[int, str]:
    return threading.get_ident(), VAR.get()


async def started(pool: WorkerPool) -> WorkerPool:
    """The pool with one idle worker (the first job starts a thread and is never waited for)."""
    await pool.run(where, None)
    return pool


async def test_a_quick_job_waited_for_is_done_on_return_ran_in_a_worker_with_the_context() -> None:
    pool = await started(WorkerPool(4, "t", wait=LONG))
    VAR.set("mine")
    fut = pool.run(where, None)
    assert fut.done()
    thread, value = fut.result()
    assert thread != threading.get_ident()
    assert value == "mine"


async def test_an_exception_from_a_job_waited_for_reaches_the_awaiting_code() -> None:
    pool = await started(WorkerPool(4, "t", wait=LONG))

    def boom(_: Any) -> None:
        raise KeyError("boom")

    fut = pool.run(boom, None)
    assert fut.done()
    with pytest.raises(KeyError, match="boom"):
        await fut


async def test_a_job_outlasting_the_wait_settles_through_the_loop_and_the_loop_runs_meanwhile() -> None:
    pool = await started(WorkerPool(4, "t", wait=SHORT))
    release = threading.Event()
    ticks = 0

    def held(_: Any) -> str:
        return "released" if release.wait(LONG) else "timed out"

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(5):
            await asyncio.sleep(0)
            ticks += 1
        release.set()

    fut = pool.run(held, None)
    assert not fut.done()
    ticking = asyncio.create_task(ticker())
    assert await fut == "released"
    await ticking
    assert ticks == 5


async def test_a_job_finishing_as_the_wait_ends_is_delivered_once_on_the_loops_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker takes the token between the wait's end and the loop's own attempt: the
    loop's thread then takes the outcome, and nothing goes through the loop."""
    pool = await started(WorkerPool(4, "t", wait=SHORT))
    loop_thread = threading.get_ident()
    release, worker_took = threading.Event(), threading.Event()
    take, deliveries = _threads._take, []

    def ordered_take(token: list[bool]) -> bool:
        if threading.get_ident() == loop_thread:
            release.set()  # the wait is over: let the job finish, and its worker take the token first
            worker_took.wait(LONG)
            return take(token)
        took = take(token)
        worker_took.set()
        return took

    monkeypatch.setattr(_threads, "_take", ordered_take)
    monkeypatch.setattr(_threads, "_deliver", lambda *args: deliveries.append(args))
    fut = pool.run(lambda _: release.wait(LONG) and "done", None)
    assert fut.done() and fut.result() == "done"
    await asyncio.sleep(0.01)
    assert deliveries == []


async def _handed_over(pool: WorkerPool) -> list[str]:
    """What a job that hands a callback to the loop, then returns, makes its caller see, in order."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []

    def hands_over(_: Any) -> str:
        loop.call_soon_threadsafe(seen.append, "callback")
        return "result"

    seen.append(await pool.run(hands_over, None))
    return seen


async def test_callbacks_a_job_hands_to_the_loop_run_before_its_result_is_seen() -> None:
    pool = await started(WorkerPool(4, "t", wait=LONG))
    assert await _handed_over(pool) == ["callback", "result"]


def test_on_a_loop_whose_queue_cannot_be_seen_the_result_still_comes_after_the_jobs_callbacks() -> None:
    async def main() -> tuple[list[str], list[Any]]:
        pool = await started(WorkerPool(4, "t", wait=LONG))
        seen = await _handed_over(pool)
        VAR.set("uv")
        return seen, list(await pool.run(where, None))

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        seen, (thread, value) = runner.run(main())
    assert seen == ["callback", "result"]
    assert value == "uv" and thread != threading.get_ident()


async def test_a_function_that_overran_the_wait_is_skipped_for_1_2_4_calls_then_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = await started(WorkerPool(4, "t", wait=SHORT))
    waited: list[int] = []  # the number of each call waited for
    made = 0
    hand_and_wait = WorkerPool._hand_and_wait

    def spy(self: WorkerPool, *args: Any) -> Any:
        waited.append(made)
        return hand_and_wait(self, *args)

    monkeypatch.setattr(WorkerPool, "_hand_and_wait", spy)
    gate = threading.Event()

    def sometimes_slow(slow: bool) -> bool:
        return gate.wait(LONG) if slow else True  # a slow call lasts until run() returned

    while made < 40:  # each awaited: a worker is idle for the next
        fut = pool.run(sometimes_slow, True)
        gate.set()
        assert await fut
        gate.clear()
        made += 1
    assert waited == [0, 2, 5, 10, 19, 36]  # skipped 1, 2, 4, 8, then at most MAX_SKIP calls
    assert MAX_SKIP == 16
    pool.wait = LONG  # any call waited for is done on return from now on
    done_on_return = []
    while made < 60:
        fut = pool.run(sometimes_slow, False)
        done_on_return.append(fut.done())
        assert await fut
        made += 1
    assert waited[6:] == list(range(53, 60))  # tried again after 16 skips: quick, so waited for since
    assert done_on_return == [False] * 13 + [True] * 7


async def test_jobs_beyond_the_idle_workers_are_not_waited_for_and_the_bound_holds() -> None:
    pool = WorkerPool(2, "t", wait=LONG)
    release = threading.Event()
    running = 0
    most = 0
    lock = threading.Lock()

    def held(_: Any) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(LONG)
        with lock:
            running -= 1

    futs = [pool.run(held, None) for _ in range(5)]  # no idle worker: none is waited for
    assert not any(f.done() for f in futs)
    release.set()
    await asyncio.gather(*futs)
    assert most == 2


async def test_a_slow_sync_step_runs_off_the_loop_while_other_tasks_progress() -> None:
    release = threading.Event()

    def slow(ctx: Any) -> dict[str, Any]:
        return {"released": release.wait(LONG), "thread": threading.get_ident()}

    def quick(ctx: Any) -> dict[str, Any]:
        return {**ctx.input_data, "quick": threading.get_ident()}

    wf = (
        create_workflow(id="slow-then-quick")
        .then(create_step(id="slow", execute=slow))
        .then(create_step(id="quick", execute=quick))
        .commit()
    )

    async def other() -> int:
        ticks = 0
        while ticks < 10:
            await asyncio.sleep(0)
            ticks += 1
        release.set()
        return ticks

    run = await wf.create_run()
    result, progressed = await asyncio.gather(run.start(input_data={}), other())
    assert progressed == 10
    assert result.status == "success"
    assert result.result["released"] is True
    assert threading.get_ident() not in (result.result["thread"], result.result["quick"])
