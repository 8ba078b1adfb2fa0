"""E. Loops: dowhile / dountil (Mastra scenarios 35-41)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import create_step, create_workflow

from .matchers import T, wire


class Counter(BaseModel):
    target: int = 10
    value: int


def _increment(calls: list[int]) -> Any:
    def body(ctx: Any) -> Counter:
        calls.append(ctx.input_data.value)
        return Counter(target=ctx.input_data.target, value=ctx.input_data.value + 1)

    return create_step(id="increment", input_schema=Counter, output_schema=Counter, execute=body)


def _final() -> Any:
    return create_step(
        id="final",
        input_schema=Counter,
        output_schema=dict[str, int],
        execute=lambda ctx: {"finalValue": ctx.input_data.value},
    )


# -- 35, 36: until / while ------------------------------------------------------------------------


async def test_dountil_runs_until_the_condition_holds() -> None:
    calls: list[int] = []
    iterations: list[int] = []
    inputs: list[int] = []

    def cond(ctx: Any) -> bool:
        iterations.append(ctx.iteration_count)
        inputs.append(ctx.input_data.value)
        value: int = ctx.input_data.value
        return value >= 12

    wf = create_workflow(id="until", input_schema=Counter, output_schema=Any).dountil(_increment(calls), cond).then(_final()).commit()
    result = await (await wf.create_run()).start(input_data={"target": 10, "value": 0})
    assert result.status == "success"
    assert calls == list(range(12))
    assert iterations == list(range(1, 13))
    assert inputs == list(range(1, 13))  # the condition sees each iteration's output
    assert result.result == {"finalValue": 12}
    out = result.to_dict()["steps"]
    assert out["increment"] == {
        "status": "success",
        "payload": {"target": 10, "value": 11},
        "output": {"target": 10, "value": 12},
        "startedAt": T,
        "endedAt": T,
        "metadata": {"iterationCount": 12},
    }
    assert out["final"]["payload"] == {"target": 10, "value": 12}


async def test_dowhile_runs_while_the_condition_holds() -> None:
    calls: list[int] = []
    wf = (
        create_workflow(id="while", input_schema=Counter, output_schema=Any)
        .dowhile(_increment(calls), lambda ctx: ctx.input_data.value < 12)
        .then(_final())
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"target": 10, "value": 0})
    assert result.status == "success"
    assert len(calls) == 12
    assert result.result == {"finalValue": 12}
    assert result.steps["increment"].metadata == {"iterationCount": 12}


async def test_async_loop_conditions_are_awaited() -> None:
    calls: list[int] = []

    async def cond(ctx: Any) -> bool:
        value: int = ctx.input_data.value
        return value >= 3

    wf = create_workflow(id="async-cond", input_schema=Counter, output_schema=Any).dountil(_increment(calls), cond).commit()
    result = await (await wf.create_run()).start(input_data={"value": 0})
    assert calls == [0, 1, 2]
    assert result.to_dict()["result"] == {"target": 10, "value": 3}


# -- 37: the body runs at least once ------------------------------------------------------------------


class Count(BaseModel):
    count: int


@pytest.mark.parametrize("kind", ["dowhile", "dountil"])
async def test_loop_body_runs_at_least_once(kind: str) -> None:
    calls: list[int] = []

    def body(ctx: Any) -> Count:
        calls.append(ctx.input_data.count)
        return Count(count=ctx.input_data.count + 1)

    step1 = create_step(id="step1", input_schema=Count, output_schema=Count, execute=body)
    wf = create_workflow(id=f"once-{kind}", input_schema=Count, output_schema=Count)
    if kind == "dowhile":
        wf.dowhile(step1, lambda ctx: ctx.input_data.count < 10)
    else:
        wf.dountil(step1, lambda ctx: ctx.input_data.count >= 10)
    wf.commit()
    result = await (await wf.create_run()).start(input_data={"count": 10})
    assert result.status == "success"
    assert calls == [10]
    assert result.to_dict()["steps"]["step1"]["output"] == {"count": 11}
    assert result.steps["step1"].metadata == {"iterationCount": 1}


# -- 38: data carries over -------------------------------------------------------------------------


class Acc(BaseModel):
    items: list[str] = []
    count: int = 0


async def test_data_accumulates_across_iterations() -> None:
    def accumulate(ctx: Any) -> Acc:
        n = ctx.input_data.count + 1
        return Acc(items=[*ctx.input_data.items, f"item-{n}"], count=n)

    step = create_step(id="accumulate", input_schema=Acc, output_schema=Acc, execute=accumulate)
    wf = create_workflow(id="acc", input_schema=Acc, output_schema=Acc).dountil(step, lambda ctx: ctx.input_data.count >= 3).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.to_dict()["result"] == {"items": ["item-1", "item-2", "item-3"], "count": 3}


# -- 39: retry_count counts earlier runs of the same step ----------------------------------------------


async def test_retry_count_counts_loop_passes_per_step() -> None:
    step1 = create_step(id="step1", input_schema=Any, output_schema=Count, execute=lambda ctx: Count(count=ctx.retry_count))
    step2 = create_step(id="step2", input_schema=Any, output_schema=Count, execute=lambda ctx: Count(count=ctx.retry_count))
    once: list[int] = []
    step3 = create_step(id="step3", input_schema=Any, output_schema=Any, execute=lambda ctx: once.append(ctx.retry_count))
    wf = (
        create_workflow(id="run-count", input_schema=Any, output_schema=Any)
        .dowhile(step1, lambda ctx: ctx.input_data.count < 3)
        .dountil(step2, lambda ctx: ctx.input_data.count == 10)
        .then(step3)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    out = result.to_dict()["steps"]
    assert out["step1"]["output"] == {"count": 3}
    assert out["step2"]["output"] == {"count": 10}
    assert out["step1"]["metadata"] == {"iterationCount": 4}
    assert out["step2"]["metadata"] == {"iterationCount": 11}
    assert once == [0]


async def test_loop_condition_sees_retry_count_minus_one_and_state() -> None:
    seen: list[tuple[int, int, Any]] = []

    def body(ctx: Any) -> Count:
        return Count(count=ctx.input_data.count + 1)

    def cond(ctx: Any) -> bool:
        seen.append((ctx.retry_count, ctx.iteration_count, ctx.state))
        count: int = ctx.iteration_count
        return count >= 2

    step = create_step(id="s", input_schema=Count, output_schema=Count, execute=body)
    wf = create_workflow(id="cond-fields", input_schema=Count, output_schema=Count).dountil(step, cond).commit()
    result = await (await wf.create_run()).start(input_data={"count": 0}, initial_state={"k": 1})
    assert result.to_dict()["result"] == {"count": 2}
    assert seen == [(-1, 1, {"k": 1}), (-1, 2, {"k": 1})]


# -- failures inside loops ---------------------------------------------------------------------------


async def test_failing_iteration_fails_the_loop_and_the_run() -> None:
    calls: list[int] = []

    def body(ctx: Any) -> Count:
        calls.append(ctx.input_data.count)
        if ctx.input_data.count == 2:
            raise RuntimeError("iteration 3 broke")
        return Count(count=ctx.input_data.count + 1)

    step = create_step(id="s", input_schema=Count, output_schema=Count, execute=body)
    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=lambda ctx: "after")
    wf = create_workflow(id="loop-fail", input_schema=Count, output_schema=Any).dountil(step, lambda ctx: False).then(after).commit()
    result = await (await wf.create_run()).start(input_data={"count": 0})
    assert result.status == "failed"
    assert calls == [0, 1, 2]
    assert result.error is not None and result.error["message"] == "iteration 3 broke"
    out = result.to_dict()["steps"]
    assert out["s"]["status"] == "failed"
    assert out["s"]["payload"] == {"count": 2}
    assert out["s"]["metadata"] == {"iterationCount": 3}
    assert "after" not in out


# -- 40: a throwing loop condition fails the run ------------------------------------------------------


async def test_throwing_loop_condition_fails_the_run() -> None:
    calls: list[int] = []

    def body(ctx: Any) -> Count:
        calls.append(ctx.input_data.count)
        return Count(count=ctx.input_data.count + 1)

    def cond(ctx: Any) -> bool:
        if ctx.input_data.count == 2:
            raise ValueError("malformed iteration output")
        return False

    step = create_step(id="looped", input_schema=Count, output_schema=Count, execute=body)
    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=lambda ctx: "after")
    wf = create_workflow(id="cond-throws", input_schema=Count, output_schema=Any).dountil(step, cond).then(after).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"count": 0})
    assert result.status == "failed"
    assert calls == [0, 1]
    assert result.error is not None
    assert "malformed iteration output" in result.error["message"]
    record = result.steps["looped"]
    assert record.status == "failed"
    assert isinstance(record.error, ValueError)
    assert "after" not in result.steps
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["status"] == "failed"
    assert stored["steps"]["looped"]["status"] == "failed"


# -- 41: a condition that aborts cancels the run ------------------------------------------------------


async def test_loop_condition_that_aborts_then_throws_cancels_the_run() -> None:
    calls: list[int] = []

    def body(ctx: Any) -> Count:
        calls.append(ctx.input_data.count)
        return Count(count=ctx.input_data.count + 1)

    def cond(ctx: Any) -> bool:
        ctx.abort()
        raise RuntimeError("aborted, then broke")

    step = create_step(id="looped", input_schema=Count, output_schema=Count, execute=body)
    wf = create_workflow(id="cond-aborts", input_schema=Count, output_schema=Any).dountil(step, cond).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"count": 0})
    assert result.status == "canceled"
    assert calls == [0]
    assert run.status == "canceled"
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None and stored["status"] == "canceled"


async def test_loop_condition_that_aborts_cancels_before_the_next_iteration() -> None:
    calls: list[int] = []

    def body(ctx: Any) -> Count:
        calls.append(ctx.input_data.count)
        return Count(count=ctx.input_data.count + 1)

    def cond(ctx: Any) -> bool:
        if ctx.iteration_count == 2:
            ctx.abort()
        return False

    step = create_step(id="looped", input_schema=Count, output_schema=Count, execute=body)
    wf = create_workflow(id="cond-abort-quiet", input_schema=Count, output_schema=Any).dountil(step, cond).commit()
    result = await (await wf.create_run()).start(input_data={"count": 0})
    assert result.status == "canceled"
    assert calls == [0, 1]


async def test_loop_over_a_nested_workflow() -> None:
    inc = create_step(id="inc", input_schema=Count, output_schema=Count, execute=lambda ctx: Count(count=ctx.input_data.count + 1))
    nested = create_workflow(id="nested-inc", input_schema=Count, output_schema=Count).then(inc).commit()
    wf = (
        create_workflow(id="loop-nested", input_schema=Count, output_schema=Count)
        .dountil(nested, lambda ctx: ctx.input_data.count >= 4)
        .commit()
    )
    run = await wf.create_run()
    result = await run.start(input_data={"count": 0})
    assert result.status == "success"
    out = result.to_dict()
    assert out["result"] == {"count": 4}
    assert out["steps"]["nested-inc"]["metadata"] == {"iterationCount": 4}
    assert out["steps"]["nested-inc"]["payload"] == {"count": 3}
