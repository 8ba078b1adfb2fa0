"""`foreach(step, concurrency=fn)`: a function of the context, resolved when the foreach starts
(Mastra's resolveForeachConcurrency; recorded in conformance/foreach-concurrency-fn)."""

from __future__ import annotations

import asyncio
from typing import Any

from stepstream import StepContext, create_step, create_workflow
from stepstream.workflow.builder import concurrency_value


def tracked(seen: dict[str, int]) -> Any:
    async def body(ctx: StepContext) -> Any:
        seen["now"] += 1
        seen["max"] = max(seen["max"], seen["now"])
        await asyncio.sleep(0.01)
        seen["now"] -= 1
        return ctx.input_data

    return create_step("item", execute=body)


async def test_an_async_function_sets_the_concurrency() -> None:
    seen = {"now": 0, "max": 0}

    async def three(ctx: StepContext) -> int:
        await asyncio.sleep(0)
        return 3

    wf = create_workflow("fn-async").foreach(tracked(seen), concurrency=three).commit()
    result = await (await wf.create_run()).start(input_data=list(range(7)))
    assert result.status == "success"
    assert result.result == list(range(7))
    assert seen["max"] == 3


async def test_a_function_is_not_coerced_to_one() -> None:
    seen = {"now": 0, "max": 0}
    wf = create_workflow("fn-items").foreach(tracked(seen), concurrency=lambda ctx: len(ctx.input_data)).commit()
    await (await wf.create_run()).start(input_data=list(range(5)))
    assert seen["max"] == 5


async def test_a_raising_function_fails_the_foreach_and_runs_no_item() -> None:
    seen = {"now": 0, "max": 0}

    def broken(ctx: StepContext) -> int:
        raise RuntimeError("no concurrency today")

    wf = create_workflow("fn-raises").foreach(tracked(seen), concurrency=broken).commit()
    result = await (await wf.create_run()).start(input_data=[1, 2])
    assert result.status == "failed"
    assert result.error is not None and result.error["message"] == "no concurrency today"
    assert result.steps["item"].status == "failed"
    assert seen["max"] == 0


def test_static_values_resolve_as_in_mastra() -> None:
    assert [concurrency_value(v) for v in (3, 2.9, 0, -1, float("inf"), float("nan"), "4", None, True)] == [3, 2, 1, 1, 1, 1, 1, 1, 1]
