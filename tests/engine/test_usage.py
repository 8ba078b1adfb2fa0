"""Token usage: ctx.report_usage and agent `finish` chunks, summed into stream.usage (scenario U.138)."""

from __future__ import annotations

import asyncio
from typing import Any

from stepstream import Step, StepContext, Workflow, WorkflowResult, WorkflowStream, create_step, create_workflow


def usage(**values: int) -> dict[str, int]:
    base = {
        "inputTokens": 0,
        "outputTokens": 0,
        "totalTokens": 0,
        "cachedInputTokens": 0,
        "cacheCreationInputTokens": 0,
        "reasoningTokens": 0,
    }
    base.update(values)
    return base


def reporting(step_id: str, input_tokens: int, output_tokens: int, **more: int) -> Step:
    def execute(ctx: StepContext) -> str:
        ctx.report_usage(input_tokens=input_tokens, output_tokens=output_tokens, **more)
        return step_id

    return create_step(step_id, execute=execute)


def agent_step(step_id: str, chunk_usage: dict[str, Any], nested: bool = False) -> Step:
    """A step forwarding an agent's stream chunks through the writer, ending with `finish`."""

    async def execute(ctx: StepContext) -> dict[str, str]:
        await ctx.writer.write({"type": "text-delta", "payload": {"text": "Paris"}})
        payload = {"output": {"usage": chunk_usage}} if nested else {"usage": chunk_usage}
        await ctx.writer.write({"type": "finish", "payload": payload})
        return {"text": "Paris"}

    return create_step(step_id, execute=execute)


async def finish_usage(stream: WorkflowStream) -> dict[str, int]:
    events = [e async for e in stream]
    assert events[-1].type == "workflow-finish"
    used: dict[str, int] = events[-1].payload["output"]["usage"]
    return used


async def test_no_usage_reported_gives_zeros() -> None:
    wf = create_workflow("no-usage").then(create_step("s", execute=lambda ctx: 1)).commit()
    stream = (await wf.create_run()).stream(input_data={})
    assert await finish_usage(stream) == usage()
    assert await stream.usage == usage()


async def test_reported_usage_is_summed_over_steps() -> None:
    wf = (
        create_workflow("usage-sum")
        .then(reporting("a", 10, 20))
        .then(reporting("b", 1, 2, reasoning_tokens=3, cached_input_tokens=4, cache_creation_input_tokens=5))
        .commit()
    )
    stream = (await wf.create_run()).stream(input_data={})
    expected = usage(inputTokens=11, outputTokens=22, totalTokens=33, reasoningTokens=3, cachedInputTokens=4, cacheCreationInputTokens=5)
    assert await finish_usage(stream) == expected
    assert await stream.usage == expected


async def test_explicit_total_tokens_is_used_instead_of_the_sum() -> None:
    wf = create_workflow("usage-total").then(reporting("a", 10, 20, total_tokens=35)).commit()
    stream = (await wf.create_run()).stream(input_data={})
    assert await stream.usage == usage(inputTokens=10, outputTokens=20, totalTokens=35)


async def test_agent_finish_chunks_are_counted() -> None:
    wf = (
        create_workflow("agents")
        .then(agent_step("agent-1", {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30}))
        .then(agent_step("agent-2", {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30}))
        .commit()
    )
    stream = (await wf.create_run()).stream(input_data={})
    assert await finish_usage(stream) == usage(inputTokens=20, outputTokens=40, totalTokens=60)
    assert await stream.usage == usage(inputTokens=20, outputTokens=40, totalTokens=60)


async def test_v1_usage_names_numeric_strings_and_nested_usage_are_accepted() -> None:
    wf = (
        create_workflow("agents-v1")
        .then(agent_step("v1", {"promptTokens": "7", "completionTokens": 3, "totalTokens": "10"}))
        .then(agent_step("nested", {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2, "reasoningTokens": 4}, nested=True))
        .then(agent_step("junk", {"inputTokens": "lots", "outputTokens": 5, "unknownKey": 9}))
        .commit()
    )
    stream = (await wf.create_run()).stream(input_data={})
    assert await stream.usage == usage(inputTokens=8, outputTokens=9, totalTokens=12, reasoningTokens=4)


async def test_chunks_other_than_finish_are_not_counted() -> None:
    async def step(ctx: StepContext) -> int:
        await ctx.writer.write({"type": "step-finish", "payload": {"usage": {"inputTokens": 100}}})
        await ctx.writer.write({"usage": {"inputTokens": 100}})
        return 1

    wf = create_workflow("not-finish").then(create_step("s", execute=step)).commit()
    stream = (await wf.create_run()).stream(input_data={})
    assert await stream.usage == usage()


async def test_usage_from_nested_and_parallel_steps_is_counted() -> None:
    async def slow_report(ctx: StepContext) -> int:
        await asyncio.sleep(0.005)
        ctx.report_usage(input_tokens=2, output_tokens=2)
        return 1

    inner = create_workflow("inner-usage").then(reporting("inner-step", 5, 5)).commit()
    wf = (
        create_workflow("outer-usage")
        .parallel([create_step("p1", execute=slow_report), create_step("p2", execute=slow_report), inner])
        .commit()
    )
    stream = (await wf.create_run()).stream(input_data={})
    assert await finish_usage(stream) == usage(inputTokens=9, outputTokens=9, totalTokens=18)


async def test_usage_reported_before_a_failure_is_kept() -> None:
    def fails(ctx: StepContext) -> int:
        ctx.report_usage(input_tokens=3, output_tokens=4)
        raise RuntimeError("after spending tokens")

    wf = create_workflow("usage-fail").then(create_step("s", execute=fails)).commit()
    stream = (await wf.create_run()).stream(input_data={})
    assert await finish_usage(stream) == usage(inputTokens=3, outputTokens=4, totalTokens=7)
    assert (await stream.result).status == "failed"


def suspending_reporter() -> Workflow:
    def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            ctx.report_usage(input_tokens=1, output_tokens=1)
            ctx.suspend({})
        ctx.report_usage(input_tokens=10, output_tokens=10)
        return 1

    return create_workflow("usage-resume").then(create_step("ask", execute=ask)).commit()


async def test_each_stream_counts_its_own_execution() -> None:
    wf = suspending_reporter()
    run = await wf.create_run()
    first = run.stream(input_data={})
    assert await finish_usage(first) == usage(inputTokens=1, outputTokens=1, totalTokens=2)
    second = run.resume_stream(resume_data={})
    assert await finish_usage(second) == usage(inputTokens=10, outputTokens=10, totalTokens=20)
    assert await second.usage == usage(inputTokens=10, outputTokens=10, totalTokens=20)


async def test_a_stream_kept_open_across_a_resume_sums_both_executions() -> None:
    wf = suspending_reporter()
    run = await wf.create_run()
    stream = run.stream(input_data={}, close_on_suspend=False)
    resumed: asyncio.Task[WorkflowResult] | None = None
    async for event in stream:
        if event.type == "workflow-step-suspended":
            resumed = asyncio.create_task(run.resume(resume_data={}))
    assert resumed is not None
    assert (await resumed).status == "success"
    assert await stream.usage == usage(inputTokens=11, outputTokens=11, totalTokens=22)


async def test_usage_does_not_leak_between_runs() -> None:
    wf = create_workflow("usage-runs").then(reporting("a", 5, 5)).commit()
    one = (await wf.create_run()).stream(input_data={})
    two = (await wf.create_run()).stream(input_data={})
    assert await one.usage == usage(inputTokens=5, outputTokens=5, totalTokens=10)
    assert await two.usage == usage(inputTokens=5, outputTokens=5, totalTokens=10)
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert "usage" not in result.to_dict()


async def test_a_stream_left_early_still_sums_the_run_usage() -> None:
    """Leaving `async with run.stream()` before the end stops the events, not the outcome:
    `result` and `usage` are the run's."""

    async def slow(ctx: StepContext) -> int:
        await asyncio.sleep(0.02)  # the reader leaves while this step runs
        ctx.report_usage(input_tokens=3, output_tokens=4)
        return 1

    wf = create_workflow("usage-left").then(create_step("slow", execute=slow)).then(reporting("b", 10, 1)).commit()
    run = await wf.create_run()
    async with run.stream(input_data={}) as stream:
        async for event in stream:
            if event.type == "workflow-step-start":
                break
    result = await stream.result
    assert result.status == "success"
    assert await stream.usage == usage(inputTokens=13, outputTokens=5, totalTokens=18)
