"""An agent step's own OpenTelemetry spans (pydantic-ai's instrumentation) nest under the step span."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings

from stepstream import create_step, create_workflow

from ..agents.models import text_agent
from .conftest import Spans


class Prompt(BaseModel):
    prompt: str


def _names(tree: list[object]) -> list[str]:
    name, children = tree
    assert isinstance(name, str) and isinstance(children, list)
    return [name, *(n for child in children for n in _names(child))]


async def test_agent_spans_join_the_runs_trace_under_the_step_span(spans: Spans) -> None:
    settings = InstrumentationSettings(tracer_provider=spans.provider)
    first = text_agent("drafter", "Draft ", "text", capabilities=[Instrumentation(settings=settings)])
    second = text_agent("editor", "Edited", capabilities=[Instrumentation(settings=settings)])
    wf = create_workflow(id="traced", input_schema=Prompt).parallel([create_step(first), create_step(second)]).commit()
    result = await (await wf.create_run()).start(input_data={"prompt": "x"})
    assert result.status == "success"
    root = spans.one("workflow run: 'traced'")
    assert [s.name for s in spans.roots()] == ["workflow run: 'traced'"]  # one tree, no orphan agent spans
    for step in ("drafter", "editor"):
        step_span = spans.one(f"workflow step: '{step}'")
        children = spans.children(step_span)
        assert [c.name for c in children] == [f"invoke_agent {step}"], spans.tree(step_span)
        agent_tree = _names(spans.tree(children[0]))
        assert any(name.startswith("chat ") for name in agent_tree), agent_tree
        assert all(s.context.trace_id == root.context.trace_id for s in [step_span, *children])
