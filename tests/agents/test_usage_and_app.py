"""Agent token usage in the run's usage; `Stepstream(agents=...)`, `ctx.app` and `ctx.run_agent`."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai.usage import RequestUsage, UsageLimits

from stepstream import StepContext, Stepstream, StepstreamError, create_step, create_workflow
from stepstream.agents import mastra_usage
from stepstream.app import AgentNotFoundError
from stepstream.storage import InMemoryStorage

from .models import agent_chunks, events_of, text_agent

EMPTY = {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0, "reasoningTokens": 0, "cachedInputTokens": 0, "cacheCreationInputTokens": 0}


class Prompt(BaseModel):
    prompt: str


def finish_usage(events: list[dict[str, Any]], step: str) -> dict[str, int]:
    """The usage of one step's agent `finish` chunk (without the provider's `raw`)."""
    (chunk,) = [c for c in agent_chunks(events, step) if c["type"] == "finish"]
    return {k: v for k, v in chunk["payload"]["output"]["usage"].items() if k != "raw"}


def test_usage_has_mastras_keys_and_only_the_counts_the_model_reported() -> None:
    assert mastra_usage(RequestUsage(input_tokens=10, output_tokens=5)) == {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}
    full = RequestUsage(input_tokens=10, output_tokens=5, output_reasoning_tokens=2, cache_read_tokens=3, cache_write_tokens=4)
    assert mastra_usage(full) == {
        "inputTokens": 10,
        "outputTokens": 5,
        "totalTokens": 15,
        "reasoningTokens": 2,
        "cachedInputTokens": 3,
        "cacheCreationInputTokens": 4,
    }


async def test_usage_sums_over_agent_steps_and_report_usage() -> None:
    def manual(ctx: StepContext) -> dict[str, str]:
        ctx.report_usage(input_tokens=7, output_tokens=3, reasoning_tokens=1)
        return {"prompt": "again"}

    first = text_agent("first", "one two three")
    second = text_agent("second", "four five")
    wf = (
        create_workflow(id="usage", input_schema=Prompt)
        .then(create_step(first))
        .map(lambda ctx: {"prompt": ctx.input_data["text"]})
        .then(create_step("manual", execute=manual))
        .then(create_step(second))
        .commit()
    )
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "go"})
    events = await events_of(stream)
    a, b = finish_usage(events, "first"), finish_usage(events, "second")
    assert a["inputTokens"] > 0 and b["outputTokens"] > 0
    expected = dict(EMPTY)
    for part in (a, b, {"inputTokens": 7, "outputTokens": 3, "totalTokens": 10, "reasoningTokens": 1}):
        for key, value in part.items():
            expected[key] += value
    assert await stream.usage == expected
    assert events[-1]["payload"]["output"]["usage"] == expected


async def test_tokens_of_a_request_that_ends_the_run_with_an_error_are_counted() -> None:
    """A usage limit ends the agent after its request: the step fails, and the tokens that
    request spent still count in the step's `finish` chunk and the run's usage."""
    agent = text_agent("limited", "one two three four five")
    step = create_step(agent, usage_limits=UsageLimits(output_tokens_limit=1))
    wf = create_workflow(id="limited", input_schema=Prompt).then(step).commit()
    stream = (await wf.create_run()).stream(input_data={"prompt": "go"})
    events = await events_of(stream)
    result = await stream.result
    assert result.status == "failed" and "output_tokens_limit" in str(result.error)
    spent = finish_usage(events, "limited")
    assert spent["outputTokens"] > 1 and spent["inputTokens"] > 0
    usage = await stream.usage
    assert (usage["inputTokens"], usage["outputTokens"]) == (spent["inputTokens"], spent["outputTokens"])


async def test_steps_reach_registered_agents_and_workflows_through_ctx_app() -> None:
    helper = text_agent("helper", "Hi ", "there")
    inner = create_workflow(id="inner").then(create_step("noop", execute=lambda ctx: "x")).commit()
    found: dict[str, Any] = {}

    async def by_hand(ctx: StepContext) -> dict[str, str]:
        found["agent"] = ctx.app.get_agent("helper")
        found["workflow"] = ctx.app.get_workflow("inner")
        result = await ctx.run_agent("helper", ctx.input_data["prompt"])
        return {"text": result.output}

    wf = create_workflow(id="outer").then(create_step("by_hand", execute=by_hand)).commit()
    app = Stepstream(workflows=[wf, inner], storage=InMemoryStorage(), agents={"helper": helper})
    assert app.get_agent("helper") is helper and app.agents == {"helper": helper}
    run = await app.get_workflow("outer").create_run()
    stream = run.stream(input_data={"prompt": "hello"})
    events = await events_of(stream)
    result = await stream.result
    assert result.result == {"text": "Hi there"}
    assert found == {"agent": helper, "workflow": inner}
    # The hand-made call streamed its chunks from the calling step and counted its usage.
    assert [c["type"] for c in agent_chunks(events, "by_hand")][-1] == "finish"
    usage = finish_usage(events, "by_hand")
    assert usage["totalTokens"] > 0 and (await stream.usage)["totalTokens"] == usage["totalTokens"]


async def test_ctx_app_names_what_is_missing() -> None:
    errors: list[str] = []

    def probe(ctx: StepContext) -> str:
        try:
            ctx.app.get_agent("nobody")
        except (AgentNotFoundError, StepstreamError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        return "ok"

    loose = create_workflow(id="loose").then(create_step("probe", execute=probe)).commit()
    await (await loose.create_run()).start(input_data={})
    app = Stepstream(workflows=[create_workflow(id="bound").then(create_step("probe", execute=probe)).commit()], storage=InMemoryStorage())
    await (await app.get_workflow("bound").create_run()).start(input_data={})
    assert "registered in a Stepstream app" in errors[0]
    assert errors[1] == "AgentNotFoundError: Agent 'nobody' not found; registered: none"


def test_an_agent_is_registered_under_its_name() -> None:
    app = Stepstream(storage=InMemoryStorage())
    agent = text_agent("named", "x")
    app.add_agent(agent)
    assert app.get_agent("named") is agent
    with pytest.raises(StepstreamError, match="no name"):
        app.add_agent(object())
