"""`_flow.together`, the walk's fan-out (parallel, branches, conditions, foreach slots): gather's
results and first error, and no finished task kept once the fan-out returns (gather's future
held every child until the waiting task next yielded, so a run that ended on a fan-out left
its tasks to be freed by the caller's next call)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Coroutine, Generator
from typing import Any

import pytest

from stepstream import StepContext, create_step, create_workflow
from stepstream.engine._flow import together


async def _value(v: int, delay: float = 0) -> int:
    await asyncio.sleep(delay)
    return v


async def test_results_come_back_in_order_whatever_order_they_finish_in() -> None:
    assert await together(_value(v, 0.01 * (3 - v)) for v in range(4)) == [0, 1, 2, 3]
    assert await together(iter(())) == []


async def test_the_first_error_is_raised_as_itself_and_the_others_are_cancelled() -> None:
    stopped: list[str] = []

    async def fails() -> int:
        await asyncio.sleep(0.01)
        raise KeyError("first")

    async def slow() -> int:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            stopped.append("slow")
            raise
        return 1

    with pytest.raises(KeyError, match="first") as caught:
        await together([fails(), slow()])
    assert not isinstance(caught.value, BaseExceptionGroup)
    assert stopped == ["slow"]  # gather left it running after the error


async def test_a_child_cancelled_by_someone_else_raises_cancelled_error_as_gather_does() -> None:
    async def cancelled() -> int:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(0)
        return 1

    with pytest.raises(asyncio.CancelledError):
        await together([cancelled(), _value(2)])


class _Tasks:
    """Weak references to the walk's fan-out tasks (foreach slots, parallel branches) the loop
    creates while installed; the run's other tasks (the log's flush clock) are not counted."""

    FANNED = ("_Foreach._worker", "LevelWalk.run_step")

    def __init__(self) -> None:
        self.refs: list[weakref.ref[asyncio.Task[Any]]] = []

    def __enter__(self) -> _Tasks:
        loop = asyncio.get_running_loop()

        def factory(loop: asyncio.AbstractEventLoop, coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any], **kw: Any) -> Any:
            task = asyncio.Task(coro, loop=loop, **kw)
            if getattr(coro, "__qualname__", None) in self.FANNED:
                self.refs.append(weakref.ref(task))
            return task

        loop.set_task_factory(factory)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.get_running_loop().set_task_factory(None)

    def alive(self) -> int:
        gc.collect()
        return sum(1 for ref in self.refs if ref() is not None)


async def _sleepy(ctx: StepContext) -> Any:
    await asyncio.sleep(0)
    return ctx.input_data


async def test_a_run_that_ends_on_a_foreach_keeps_none_of_its_slots_tasks() -> None:
    item = create_step("item", execute=_sleepy)
    wf = create_workflow("together-each").foreach(item, concurrency=50).commit()
    run = await wf.create_run()
    with _Tasks() as tasks:
        result = await run.start(input_data=list(range(200)))
        # no yield to the loop since the run returned: what is alive is what something holds
        assert result.status == "success" and len(tasks.refs) == 50
        assert tasks.alive() == 0


async def test_a_run_that_ends_on_a_parallel_keeps_none_of_its_branches_tasks() -> None:
    wf = create_workflow("together-parallel").parallel([create_step(f"b{i}", execute=_sleepy) for i in range(20)]).commit()
    run = await wf.create_run()
    with _Tasks() as tasks:
        result = await run.start(input_data=1)
        assert result.status == "success" and len(tasks.refs) == 20
        assert tasks.alive() == 0
