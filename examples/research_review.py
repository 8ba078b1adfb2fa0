"""Demo: research and review with agents. An agent drafts, a human approves or sends the draft
back (suspend/resume inside a `dountil`), and a structured-output agent formats the result.

    pip install -e '.[agents]'
    python examples/research_review.py                 # offline: pydantic-ai FunctionModel
    STEPSTREAM_EXAMPLE_MODEL=openai:gpt-4o-mini python examples/research_review.py
                                                       # a real model (pip install 'pydantic-ai-slim[openai]', OPENAI_API_KEY)

The drafts stream live (the agent's `text-delta` chunks); the human's answers are scripted
(the first draft is sent back, the second approved), or asked on the terminal with `--ask`.
Runs are stored in SQLite at ./.stepstream/stepstream.db, so a suspended review could be
resumed by another process (`stepstream resume ...`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, UserPromptPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from stepstream import StepContext, Stepstream, WorkflowResult, WorkflowStream, create_step, create_workflow


class Topic(BaseModel):
    topic: str


class Round(BaseModel):
    """One pass of the draft-and-review loop."""

    topic: str
    round: int = 0
    draft: str = ""
    feedback: str = ""
    approved: bool = False


class Verdict(BaseModel):
    """What the reviewer answers."""

    approved: bool
    feedback: str = ""


class Report(BaseModel):
    """The formatted result."""

    title: str
    summary: str
    rounds: int


def _prompt(messages: list[ModelMessage]) -> str:
    parts = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, UserPromptPart)]
    return str(parts[-1].content)


async def _offline_draft(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
    prompt = _prompt(messages)
    topic = prompt.split("Topic: ", 1)[1].split("\n", 1)[0]
    feedback = prompt.split("Feedback: ", 1)[1] if "Feedback: " in prompt else ""
    yield f"{topic.capitalize()} are remarkable animals. "
    if feedback:
        yield f"(Revised: {feedback}) "
    yield "They live in rivers and along coasts."


async def _offline_format(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
    prompt = _prompt(messages)
    rounds = int(prompt.split("Rounds: ", 1)[1].split("\n", 1)[0])
    draft = prompt.split("Draft: ", 1)[1]
    report = {"title": draft.split(" are ", 1)[0], "summary": draft, "rounds": rounds}
    yield {0: DeltaToolCall(name=info.output_tools[0].name, json_args=json.dumps(report), tool_call_id="format")}


def build_agents(model: str | None = None) -> tuple[Agent[Any, str], Agent[Any, str]]:
    """The drafter and the formatter: on `model` (e.g. "openai:gpt-4o-mini") if given, else offline."""
    drafter_model: Any = model or FunctionModel(stream_function=_offline_draft, model_name="offline-drafter")
    formatter_model: Any = model or FunctionModel(stream_function=_offline_format, model_name="offline-formatter")
    drafter = Agent(drafter_model, name="drafter", instructions="Write a short, factual paragraph on the topic; follow the feedback.")
    formatter = Agent(formatter_model, name="formatter", instructions="Turn the draft into a report: a title, a summary, the rounds.")
    return drafter, formatter


def build_app(model: str | None = None, storage: Any = None) -> Stepstream:
    """The app: the `research` workflow and its two agents (runs in `storage`, default SQLite)."""
    drafter, formatter = build_agents(model)
    draft = create_step(drafter)

    async def review(ctx: StepContext[Any, Verdict]) -> Round:
        """The human: suspends with the draft; resumed with a verdict."""
        text = ctx.get_step_result(draft).text
        current = Round.model_validate(ctx.get_init_data())
        if ctx.resume_data is None:
            ctx.suspend({"round": current.round + 1, "draft": text})
        verdict = ctx.resume_data
        assert verdict is not None
        return Round(topic=current.topic, round=current.round + 1, draft=text, feedback=verdict.feedback, approved=verdict.approved)

    one_round = (
        create_workflow(id="round", input_schema=Round, output_schema=Round)
        .map(lambda ctx: {"prompt": f"Topic: {ctx.input_data['topic']}\nFeedback: {ctx.input_data['feedback']}"})
        .then(draft)
        .then(create_step(review, resume_schema=Verdict))
        .commit()
    )
    research = (
        create_workflow(id="research", input_schema=Topic, output_schema=Report)
        .map(lambda ctx: {"topic": ctx.input_data["topic"]})
        .dountil(one_round, lambda ctx: Round.model_validate(ctx.input_data).approved)
        .map(lambda ctx: {"prompt": "Rounds: {0.round}\nDraft: {0.draft}".format(Round.model_validate(ctx.input_data))})
        .then(create_step(formatter, structured_output=Report))
        .commit()
    )
    return Stepstream(workflows=[research], storage=storage, agents={"drafter": drafter, "formatter": formatter})


Answer = Callable[[dict[str, Any]], Verdict]


def scripted(payload: dict[str, Any]) -> Verdict:
    """Sends the first draft back, approves the next."""
    if payload["round"] == 1:
        return Verdict(approved=False, feedback="mention where they live")
    return Verdict(approved=True)


def ask(payload: dict[str, Any]) -> Verdict:
    """Asks on the terminal."""
    answer = input("approve? [y/N or feedback] ").strip()
    return Verdict(approved=True) if answer.lower() in ("y", "yes") else Verdict(approved=False, feedback=answer)


async def show(stream: WorkflowStream) -> WorkflowResult:
    """Prints the drafts as they stream, and the steps as they end."""
    async for event in stream:
        data = event.to_dict()
        if data["type"] == "workflow-step-output":
            chunk = data["payload"]["output"]
            if chunk.get("type") == "text-delta":
                print(chunk["payload"]["text"], end="", flush=True)
            elif chunk.get("type") == "finish":
                print()
        elif data["type"] == "workflow-step-result":
            print(f"  [{data['payload']['id']}: {data['payload']['status']}]")
    return await stream.result


async def research(app: Stepstream, topic: str, answer: Answer = scripted) -> tuple[WorkflowResult, dict[str, int]]:
    """Runs the workflow to its end, answering each review with `answer`; returns the result and the usage."""
    run = await app.get_workflow("research").create_run()
    stream = run.stream(input_data={"topic": topic})
    result = await show(stream)
    usage = dict(await stream.usage)
    while result.status == "suspended":
        (payload,) = result.suspend_payload.values()
        print(f"\nReview of draft {payload['round']}: {payload['draft']}")
        verdict = answer(payload)
        print(f"-> {verdict.model_dump_json()}\n")
        stream = run.resume_stream(resume_data=verdict.model_dump())
        result = await show(stream)
        for key, value in (await stream.usage).items():
            usage[key] = usage.get(key, 0) + value
    return result, usage


async def main() -> None:
    async with app:
        result, usage = await research(app, "otters", ask if "--ask" in sys.argv else scripted)
        print(f"\nstatus={result.status}")
        print(json.dumps(result.to_dict().get("result"), indent=2))
        print(f"tokens: {usage}")


#: For the command line: `stepstream run examples.research_review:app research --input '{"topic": "otters"}'`.
app = build_app(os.environ.get("STEPSTREAM_EXAMPLE_MODEL"))

if __name__ == "__main__":
    asyncio.run(main())
