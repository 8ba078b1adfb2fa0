"""A research workflow of agent steps, and a command line for the cross-process test.

    python flows.py start|resume STORAGE_URL RUN_ID

Agent steps run in parallel, in a foreach, and in a nested workflow that a human
approval suspends; a structured-output agent formats the end. Every model call
appends the agent's name to $FLOW_LOG. Prints the run's result and its streamed
usage as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, UserPromptPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from stepstream import StepContext, Stepstream, Workflow, create_step, create_workflow
from stepstream.app import storage_from_url


class Prompt(BaseModel):
    prompt: str


class Report(BaseModel):
    title: str
    verdict: str


class Approval(BaseModel):
    approved: bool


def _log(name: str) -> None:
    path = os.environ.get("FLOW_LOG")
    if path:
        with open(path, "a") as fh:
            fh.write(name + "\n")


def _prompt(messages: list[ModelMessage]) -> str:
    parts = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, UserPromptPart)]
    return str(parts[-1].content)


def echo(name: str) -> Agent[Any, str]:
    """An agent that answers `name(prompt)`, streamed in two deltas."""

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        _log(name)
        yield f"{name}("
        yield f"{_prompt(messages)})"

    return Agent(FunctionModel(stream_function=respond, model_name="mock"), name=name)


def formatter() -> Agent[Any, str]:
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        _log("formatter")
        args = json.dumps({"title": _prompt(messages)[:40], "verdict": "approved"})
        yield {0: DeltaToolCall(name=info.output_tools[0].name, json_args=args, tool_call_id="out")}

    return Agent(FunctionModel(stream_function=respond, model_name="mock"), name="formatter")


async def approve(text: str, ctx: StepContext[Any, Approval]) -> Prompt:
    """A human approves the draft (a tool step that suspends)."""
    if ctx.resume_data is None:
        ctx.suspend({"draft": text})
    assert ctx.resume_data is not None
    return Prompt(prompt=f"{text} [{'ok' if ctx.resume_data.approved else 'no'}]")


def build() -> Workflow:
    review = (
        create_workflow(id="review", input_schema=Prompt, output_schema=Prompt)
        .then(create_step(echo("drafter")))
        .then(create_step(approve, resume_schema=Approval))
        .commit()
    )
    return (
        create_workflow(id="research", input_schema=Prompt, output_schema=Report)
        .parallel([create_step(echo("summarizer")), create_step(echo("critic"))])
        .map(lambda ctx: [{"prompt": ctx.input_data["summarizer"]["text"]}, {"prompt": ctx.input_data["critic"]["text"]}])
        .foreach(create_step(echo("expander")), concurrency=2)
        .map(lambda ctx: {"prompt": " + ".join(item["text"] for item in ctx.input_data)})
        .then(review)
        .then(create_step(formatter(), structured_output=Report))
        .commit()
    )


async def main(action: str, url: str, run_id: str) -> None:
    async with Stepstream(workflows=[build()], storage=storage_from_url(url)) as app:
        run = await app.get_workflow("research").create_run(run_id)
        if action == "start":
            stream = run.stream(input_data={"prompt": "otters"})
        else:
            stream = run.resume_stream(resume_data={"approved": True}, step=["review", "approve"])
        chunks = len([e async for e in stream if e.type == "workflow-step-output"])
        result = await stream.result
        print(json.dumps({"result": result.to_dict(), "usage": await stream.usage, "chunks": chunks}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
