"""A tool as a step: schemas from the function's signature; a tool that suspends through its context, resumed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class Title(BaseModel):
    title: str


class Fact(BaseModel):
    fact: str


class Question(BaseModel):
    question: str


class Approval(BaseModel):
    approved: bool


class Topic(BaseModel):
    topic: str


async def lookup(topic: str) -> Title:
    """Looks a topic up."""
    return Title(title=topic.upper())


async def publish(title: str, ctx: StepContext[Any, Approval]) -> Fact:
    """Publishes once approved."""
    if ctx.resume_data is None:
        ctx.suspend({"question": f"publish {title}?"})
    assert ctx.resume_data is not None
    return Fact(fact=f"{title} {'published' if ctx.resume_data.approved else 'dropped'}")


async def scenario(log: Log) -> None:
    wf = (
        create_workflow(id="tools", input_schema=Topic, output_schema=Fact)
        .then(create_step(lookup))
        .then(create_step(publish, suspend_schema=Question, resume_schema=Approval))
        .commit()
    )
    run = await wf.create_run()
    await log.stream(run.stream(input_data={"topic": "otters"}))
    await log.stream(run.resume_stream(resume_data={"approved": True}))
