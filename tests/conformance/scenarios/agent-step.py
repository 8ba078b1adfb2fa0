"""An agent as a step: its chunks on the stream, its usage summed; then a model error fails the step.

pydantic-ai's FunctionModel streams what Mastra's mock model streams in agent-step.mjs; agent
chunks are projected to what the two stacks share, exactly as there.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaThinkingCalls, DeltaThinkingPart, DeltaToolCall, DeltaToolCalls, FunctionModel

from stepstream import WorkflowStream, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log

DROP = ("messageId", "metadata", "messages", "processorRetryCount", "request", "warnings")


def project(event: dict[str, Any]) -> dict[str, Any]:
    """The projection of agent-step.mjs."""
    chunk = (event.get("payload") or {}).get("output")
    if event["type"] != "workflow-step-output" or not isinstance(chunk, dict) or chunk.get("from") != "AGENT":
        return event
    payload = {k: v for k, v in (chunk.get("payload") or {}).items() if k not in DROP and k != "type"}
    if re.match(r"^(text|reasoning)-", chunk["type"]):
        payload.pop("id", None)
    if "output" in payload:
        payload["output"] = {k: v for k, v in payload["output"].items() if k != "steps"}
    if "error" in payload:
        payload["error"] = {"message": payload["error"]["message"]}
    if "stepResult" in payload:
        payload["stepResult"] = {"reason": payload["stepResult"]["reason"], "isContinued": payload["stepResult"]["isContinued"]}
    return {**event, "payload": {**event["payload"], "output": {"type": chunk["type"], "from": chunk["from"], "payload": payload}}}


class Projected:
    """A stream whose events are projected (the `log.stream` protocol: iterate, then `result`)."""

    def __init__(self, stream: WorkflowStream):
        self.stream = stream
        self.result = stream.result

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for event in self.stream:
            yield _Event(project(event.to_dict()))


class _Event:
    def __init__(self, data: dict[str, Any]):
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


class Prompt(BaseModel):
    prompt: str


async def scenario(log: Log) -> None:
    calls = 0

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls | DeltaThinkingCalls]:
        nonlocal calls
        calls += 1
        if calls == 1:
            yield {0: DeltaThinkingPart(content="Need a fact.")}
            yield {1: DeltaToolCall(name="lookup", json_args='{"topic":"otters"}', tool_call_id="call-1")}
        else:
            yield "Otters "
            yield "hold hands."

    writer = Agent(FunctionModel(stream_function=respond, model_name="mock"), name="writer", instructions="Write.")

    @writer.tool_plain
    def lookup(topic: str) -> dict[str, str]:
        """Looks a topic up."""
        return {"fact": topic + " hold hands"}

    wf = create_workflow(id="agentwf", input_schema=Prompt).then(create_step(writer)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "Tell me about otters"})
    await log.stream(Projected(stream))  # type: ignore[arg-type]
    log.note({"usage": await stream.usage})

    async def fail(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        raise RuntimeError("rate limited by provider") from RuntimeError("HTTP 429")
        yield ""  # an async generator

    broken = Agent(FunctionModel(stream_function=fail, model_name="mock"), name="broken", instructions="Write.")
    wf2 = create_workflow(id="agentfail", input_schema=Prompt).then(create_step(broken)).commit()
    run2 = await wf2.create_run()
    failed = await log.stream(Projected(run2.stream(input_data={"prompt": "Hi"})))  # type: ignore[arg-type]
    error = failed.steps["broken"].error
    log.note({"cause": str(error.__cause__) if isinstance(error, BaseException) and error.__cause__ else None})
