"""Mastra's agent stream chunks, made from the events of a pydantic-ai agent run.

Mastra's `agent.stream()` yields chunks `{type, runId, from: "AGENT", payload}`:
`start`, then per model request `step-start`, `reasoning-*` / `text-*` deltas,
`tool-call` and `tool-result` (or `tool-error`), `step-finish`; at the end
`object-result` (structured output) and `finish`, whose `payload.output.usage`
is what the workflow's usage adds up. An agent step writes each chunk through
`ctx.writer`, so stream readers receive it wrapped in `workflow-step-output`.
The shapes were recorded from Mastra (tests/conformance/scenarios/agent-step.mjs).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic_ai import messages as m
from pydantic_ai.usage import RequestUsage, RunUsage

from .._schema import to_json
from .._serialize import serialize_error

Write = Callable[[dict[str, Any]], Awaitable[None]]

#: pydantic-ai finish reasons in Mastra's (AI SDK) spelling
_REASONS = {"tool_call": "tool-calls", "content_filter": "content-filter"}


def mastra_usage(usage: RequestUsage | RunUsage) -> dict[str, int]:
    """Token usage with Mastra's keys; reasoning and cache counts only where the model reported them."""
    out = {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.input_tokens + usage.output_tokens,
    }
    if usage.output_reasoning_tokens:
        out["reasoningTokens"] = usage.output_reasoning_tokens
    if usage.cache_read_tokens:
        out["cachedInputTokens"] = usage.cache_read_tokens
    if usage.cache_write_tokens:
        out["cacheCreationInputTokens"] = usage.cache_write_tokens
    return out


class ChunkStream:
    """Writes one agent run's chunks; fed with the run's nodes and events by `stream_agent`."""

    def __init__(self, write: Write, agent_id: str):
        self._write = write
        self.agent_id = agent_id
        self.run_id = str(uuid.uuid4())
        self.message_id = str(uuid.uuid4())
        self.usage = RunUsage()
        self._parts: dict[int, str] = {}  # part index -> chunk id, for the model request in progress
        self._args: dict[str, dict[str, Any]] = {}  # tool call id -> args
        self._step_open = False
        self._step_text: list[str] = []
        self._all_text: list[str] = []
        self._tool_calls: list[dict[str, Any]] = []
        self._response: m.ModelResponse | None = None
        self._last: dict[str, Any] | None = None

    async def chunk(self, type: str, payload: dict[str, Any]) -> None:
        """Writes one chunk in Mastra's envelope."""
        await self._write({"type": type, "runId": self.run_id, "from": "AGENT", "payload": payload})

    async def start(self) -> None:
        await self.chunk("start", {"id": self.agent_id, "messageId": self.message_id})

    async def step_start(self) -> None:
        """A model request begins (the previous one, if any, continued into it)."""
        if self._step_open:
            await self._step_finish(continued=True)
        self._step_open = True
        self._parts.clear()
        self._step_text = []
        self._tool_calls = []
        self._response = None
        await self.chunk("step-start", {"request": {}, "warnings": [], "messageId": self.message_id})

    async def model_event(self, event: Any) -> None:
        """A streamed part of the model's response: text and reasoning deltas."""
        if isinstance(event, m.PartStartEvent):
            part = event.part
            if isinstance(part, m.TextPart | m.ThinkingPart):
                kind = "text" if isinstance(part, m.TextPart) else "reasoning"
                self._parts[event.index] = part_id = str(uuid.uuid4())
                await self.chunk(f"{kind}-start", {"id": part_id})
                if part.content:
                    await self._delta(kind, part_id, part.content)
        elif isinstance(event, m.PartDeltaEvent):
            delta = event.delta
            known = self._parts.get(event.index)
            if known is None:
                return
            if isinstance(delta, m.TextPartDelta) and delta.content_delta:
                await self._delta("text", known, delta.content_delta)
            elif isinstance(delta, m.ThinkingPartDelta) and delta.content_delta:
                await self._delta("reasoning", known, delta.content_delta)
        elif isinstance(event, m.PartEndEvent) and event.index in self._parts:
            kind = "text" if isinstance(event.part, m.TextPart) else "reasoning"
            await self.chunk(f"{kind}-end", {"id": self._parts.pop(event.index)})

    async def _delta(self, kind: str, part_id: str, text: str) -> None:
        if kind == "text":
            self._step_text.append(text)
            self._all_text.append(text)
        await self.chunk(f"{kind}-delta", {"id": part_id, "text": text})

    def response(self, response: m.ModelResponse) -> None:
        """The finished model response of the current step (its usage, reason, model)."""
        self._response = response
        self.usage.incr(response.usage)

    def spent(self, total: RunUsage) -> None:
        """The run's own count of its usage, when it ended before reporting a response here
        (a request that raised): the tokens it counts beyond the responses seen are added."""
        if total.input_tokens + total.output_tokens > self.usage.input_tokens + self.usage.output_tokens:
            self.usage = total

    async def tool_event(self, event: Any) -> None:
        """A function tool's call and its result (output tools are structured output, not tools)."""
        if isinstance(event, m.FunctionToolCallEvent):
            part = event.part
            args = part.args_as_dict()
            self._args[part.tool_call_id] = args
            call = {"toolCallId": part.tool_call_id, "toolName": part.tool_name, "args": args}
            self._tool_calls.append(call)
            await self.chunk("tool-call", dict(call))
        elif isinstance(event, m.FunctionToolResultEvent):
            ret = event.part
            base = {"args": self._args.get(ret.tool_call_id, {}), "toolCallId": ret.tool_call_id, "toolName": ret.tool_name}
            if ret.outcome == "success":
                await self.chunk("tool-result", {**base, "result": to_json(ret.content)})
            else:
                await self.chunk("tool-error", {**base, "error": {"message": ret.model_response_str()}})

    async def finished(self, output: Any, structured: bool) -> None:
        """The run ended: `object-result` for structured output, the last `step-finish`, `finish`."""
        extra: dict[str, Any] = {}
        if structured:
            extra["object"] = to_json(output)
            await self._write({"type": "object-result", "runId": self.run_id, "from": "AGENT", "object": extra["object"]})
        await self._step_finish(continued=False, **extra)
        await self._finish()

    async def failed(self, error: BaseException) -> None:
        """The model (or the run) failed: an `error` chunk, then the step and the run finish with reason `error`."""
        await self.chunk("error", {"error": serialize_error(error)})
        if self._step_open or self._last is None:
            await self._step_finish(continued=False, reason="error")
        await self._finish()

    async def _step_finish(self, *, continued: bool, reason: str | None = None, **extra: Any) -> None:
        response = self._response
        if reason is None:
            raw = response.finish_reason if response is not None else None
            reason = _REASONS.get(raw or "", raw or ("tool-calls" if continued and self._tool_calls else "stop"))
            if not continued and reason == "tool-calls":
                reason = "stop"  # the final answer came through an output tool
        step_usage: dict[str, Any] = {} if response is None else {**mastra_usage(response.usage), "raw": mastra_usage(response.usage)}
        output: dict[str, Any] = {"text": "".join(self._step_text), "toolCalls": self._tool_calls, "usage": step_usage}
        output.update(extra)
        payload: dict[str, Any] = {
            "messageId": self.message_id,
            "stepResult": {"reason": reason, "isContinued": continued},
            "metadata": _metadata(response),
            "output": output,
        }
        self._step_open = False
        self._last = payload
        await self.chunk("step-finish", payload)

    async def _finish(self) -> None:
        payload = dict(self._last or {})
        usage: dict[str, Any] = mastra_usage(self.usage)
        if self._response is not None:
            usage["raw"] = mastra_usage(self._response.usage)
        payload["output"] = {**payload.get("output", {}), "text": "".join(self._all_text), "usage": usage}
        await self.chunk("finish", payload)


def _metadata(response: m.ModelResponse | None) -> dict[str, Any]:
    if response is None:
        return {"timestamp": datetime.now(UTC).isoformat()}
    meta: dict[str, Any] = {"modelId": response.model_name, "timestamp": response.timestamp.isoformat()}
    if response.provider_response_id:
        meta["id"] = response.provider_response_id
    return meta
