"""`create_step(tool)`: a typed function or a pydantic-ai Tool as a step, suspend and resume included."""

from __future__ import annotations

import threading

import pytest
from pydantic import BaseModel
from pydantic_ai import RunContext, Tool

from stepstream import StepContext, WorkflowDefinitionError, create_step, create_workflow


class Fact(BaseModel):
    fact: str


class Approval(BaseModel):
    approved: bool


class Question(BaseModel):
    question: str


def lookup(topic: str, depth: int = 1) -> Fact:
    """Looks a topic up."""
    return Fact(fact=f"{topic}:{depth}:{threading.current_thread() is threading.main_thread()}")


async def shout(text: str) -> str:
    return text.upper()


async def publish(title: str, ctx: StepContext[object, Approval]) -> Fact:
    """Publishes once a human approved."""
    if ctx.resume_data is None:
        ctx.suspend(Question(question=f"publish {title}?"))
    assert ctx.resume_data is not None
    return Fact(fact=f"{title} {'published' if ctx.resume_data.approved else 'dropped'}")


def test_schemas_come_from_the_signature_and_the_return_type() -> None:
    step = create_step(lookup)
    assert (step.id, step.description, step.component) == ("lookup", "Looks a topic up.", "TOOL")
    assert step.output_schema is Fact
    assert step._in.json_schema()["properties"].keys() == {"topic", "depth"}
    assert step._in.json_schema()["required"] == ["topic"]
    assert create_step(lookup, id="find").id == "find"


async def test_a_sync_function_runs_in_a_worker_thread_with_validated_input() -> None:
    wf = create_workflow(id="tool").then(create_step(lookup)).commit()
    result = await (await wf.create_run()).start(input_data={"topic": "otters"})
    assert result.status == "success"
    assert result.result == {"fact": "otters:1:False"}  # not on the event loop's thread
    bad = await (await wf.create_run()).start(input_data={"depth": 2})
    assert bad.status == "failed" and "topic" in str(bad.steps["lookup"].error)


async def test_an_async_function_with_a_plain_return_type() -> None:
    wf = create_workflow(id="shout").then(create_step(shout)).commit()
    result = await (await wf.create_run()).start(input_data={"text": "hi"})
    assert result.result == "HI"


async def test_a_function_taking_a_context_suspends_and_resumes() -> None:
    step = create_step(publish, suspend_schema=Question, resume_schema=Approval)
    assert step.can_suspend and step._in.json_schema()["properties"].keys() == {"title"}
    wf = create_workflow(id="publish").then(step).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"title": "Otters"})
    assert first.status == "suspended"
    assert first.suspend_payload == {"publish": {"question": "publish Otters?"}}
    done = await run.resume(step="publish", resume_data={"approved": True})
    assert done.status == "success" and done.result == {"fact": "Otters published"}


async def test_a_sync_function_taking_a_context_suspends_from_its_thread() -> None:
    def confirm(n: int, ctx: StepContext) -> int:
        if ctx.resume_data is None:
            ctx.suspend({"n": n})
        return n + int(ctx.resume_data["add"])

    wf = create_workflow(id="confirm").then(create_step(confirm)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"n": 1})).status == "suspended"
    assert (await run.resume(step="confirm", resume_data={"add": 2})).result == 3


async def test_a_pydantic_ai_tool_becomes_a_step_with_its_name_and_description() -> None:
    tool = Tool(lookup, name="find_fact", description="Finds a fact.")
    step = create_step(tool)
    assert (step.id, step.description, step.component) == ("find_fact", "Finds a fact.", "TOOL")
    wf = create_workflow(id="ptool").then(step).commit()
    result = await (await wf.create_run()).start(input_data={"topic": "otters", "depth": 2})
    assert result.result == {"fact": "otters:2:False"}


def test_a_tool_taking_a_run_context_is_refused_with_the_reason() -> None:
    def needs_run(ctx: RunContext[None], x: int) -> int:
        return x

    with pytest.raises(WorkflowDefinitionError, match="RunContext"):
        create_step(Tool(needs_run, takes_ctx=True))


def test_a_function_needs_a_return_annotation_and_named_parameters() -> None:
    def untyped(x: int):  # type: ignore[no-untyped-def]
        return x

    def variadic(*xs: int) -> int:
        return 0

    with pytest.raises(WorkflowDefinitionError, match="return annotation"):
        create_step(untyped)
    with pytest.raises(WorkflowDefinitionError, match=r"\*args"):
        create_step(variadic)


def test_other_objects_are_refused_by_name() -> None:
    with pytest.raises(WorkflowDefinitionError, match="got int"):
        create_step(42)
    with pytest.raises(WorkflowDefinitionError, match="id twice"):
        create_step("a", id="b", execute=lambda ctx: None)
    with pytest.raises(WorkflowDefinitionError, match="needs execute"):
        create_step("a")
