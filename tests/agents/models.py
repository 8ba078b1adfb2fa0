"""Offline pydantic-ai models for the agent tests (FunctionModel streaming, TestModel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from stepstream import WorkflowStream


def text_agent(name: str, *deltas: str, gate: asyncio.Event | None = None, **kwargs: Any) -> Agent[Any, str]:
    """An agent whose model streams `deltas`; with `gate`, it waits for it after the first delta."""

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for i, delta in enumerate(deltas):
            if i == 1 and gate is not None:
                await gate.wait()
            yield delta

    return Agent(FunctionModel(stream_function=respond, model_name="mock"), name=name, **kwargs)


def output_agent(name: str, args: str, **kwargs: Any) -> Agent[Any, str]:
    """An agent whose model calls the output tool with JSON `args` (structured output)."""

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        tool = info.output_tools[0].name
        yield {0: DeltaToolCall(name=tool, json_args=args, tool_call_id="out-1")}

    return Agent(FunctionModel(stream_function=respond, model_name="mock"), name=name, **kwargs)


def tool_agent(name: str, tool: str, args: str, answer: Sequence[str], **kwargs: Any) -> Agent[Any, str]:
    """An agent whose model calls `tool` with `args`, then streams `answer` quoting the tool's result."""

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
        if len(messages) == 1:
            yield {0: DeltaToolCall(name=tool, json_args=args, tool_call_id="call-1")}
            return
        for delta in answer:
            yield delta

    return Agent(FunctionModel(stream_function=respond, model_name="mock"), name=name, **kwargs)


async def events_of(stream: WorkflowStream) -> list[dict[str, Any]]:
    """Every event of a stream, in wire form."""
    return [event.to_dict() async for event in stream]


def agent_chunks(events: list[dict[str, Any]], step: str | None = None) -> list[dict[str, Any]]:
    """The agent chunks carried by `workflow-step-output` events (of one step, if given)."""
    return [
        e["payload"]["output"]
        for e in events
        if e["type"] == "workflow-step-output"
        and isinstance(e["payload"].get("output"), dict)
        and e["payload"]["output"].get("from") == "AGENT"
        and (step is None or e["payload"]["stepName"] == step)
    ]
