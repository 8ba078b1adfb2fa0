"""`create_step(agent)`: schemas, streaming, structured output, errors, cancel, deps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.output import NativeOutput, PromptedOutput, TextOutput, ToolOutput

from stepstream import RequestContext, StepContext, WorkflowDefinitionError, create_step, create_workflow
from stepstream.agents import AgentInput, AgentOutput

from .models import agent_chunks, events_of, output_agent, text_agent, tool_agent


class Prompt(BaseModel):
    prompt: str


class Outline(BaseModel):
    title: str
    points: list[str]


class Deps(BaseModel):
    user: str


def test_the_step_takes_its_id_description_and_schemas_from_the_agent() -> None:
    agent = text_agent("writer", "hi", description="Writes drafts.")
    step = create_step(agent)
    assert (step.id, step.description, step.component) == ("writer", "Writes drafts.", "AGENT")
    assert step.input_schema is AgentInput and step.output_schema is AgentOutput
    typed = create_step(agent, id="outline", structured_output=Outline, retries=2, metadata={"k": 1})
    assert (typed.id, typed.output_schema, typed.retries, typed.metadata) == ("outline", Outline, 2, {"k": 1})


def test_an_agent_without_a_name_needs_an_id() -> None:
    agent: Agent[None, str] = Agent(TestModel())
    with pytest.raises(WorkflowDefinitionError, match="no name"):
        create_step(agent)
    assert create_step(agent, id="anon").id == "anon"


def test_an_agent_with_its_own_deps_type_needs_a_deps_factory() -> None:
    agent = Agent(TestModel(), name="typed", deps_type=Deps)
    with pytest.raises(WorkflowDefinitionError, match="deps=lambda ctx"):
        create_step(agent)
    assert create_step(agent, deps=lambda ctx: Deps(user="x")).id == "typed"


def test_agent_options_that_are_not_a_step_are_refused() -> None:
    with pytest.raises(WorkflowDefinitionError, match="does not suspend"):
        create_step(text_agent("w", "x"), suspend_schema=Prompt)
    with pytest.raises(WorkflowDefinitionError, match="come from the object itself"):
        create_step(text_agent("w", "x"), execute=lambda ctx: None)


async def test_chunks_reach_the_reader_while_the_agent_is_still_streaming() -> None:
    gate = asyncio.Event()
    agent = text_agent("writer", "Hel", "lo", gate=gate)
    wf = create_workflow(id="live", input_schema=Prompt).then(create_step(agent)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "hi"})
    seen: list[str] = []
    async for event in stream:
        data = event.to_dict()
        seen.append(data["type"] if data["type"] != "workflow-step-output" else data["payload"]["output"]["type"])
        if seen[-1] == "text-delta" and not gate.is_set():
            # The model is blocked until this reader has seen its first delta: the chunk came live.
            assert "workflow-step-result" not in seen
            gate.set()
    result = await stream.result
    assert result.status == "success" and result.result == {"text": "Hello"}
    assert seen.index("text-delta") < seen.index("workflow-step-result")
    assert seen == [
        "workflow-start",
        "workflow-step-start",
        "start",
        "step-start",
        "text-start",
        "text-delta",
        "text-delta",
        "text-end",
        "step-finish",
        "finish",
        "workflow-step-result",
        "workflow-finish",
    ]


async def test_every_reader_gets_the_agent_chunks_in_mastras_envelope() -> None:
    agent = tool_agent("researcher", "lookup", '{"topic":"otters"}', ["Otters ", "hold hands."])

    @agent.tool_plain
    def lookup(topic: str) -> dict[str, str]:
        return {"fact": f"{topic} hold hands"}

    wf = create_workflow(id="tools", input_schema=Prompt).then(create_step(agent)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "otters"})
    first, second = await asyncio.gather(events_of(stream), events_of(stream))
    assert first == second
    wrapped = [e for e in first if e["type"] == "workflow-step-output"]
    assert all(e["from"] == "USER" and e["payload"]["stepName"] == "researcher" for e in wrapped)
    chunks = agent_chunks(first)
    assert {c["runId"] for c in chunks} != {run.run_id} and len({c["runId"] for c in chunks}) == 1
    by_type = {c["type"]: c["payload"] for c in chunks}
    assert by_type["tool-call"] == {"toolCallId": "call-1", "toolName": "lookup", "args": {"topic": "otters"}}
    assert by_type["tool-result"]["result"] == {"fact": "otters hold hands"}
    steps = [c["payload"]["stepResult"] for c in chunks if c["type"] == "step-finish"]
    assert steps == [{"reason": "tool-calls", "isContinued": True}, {"reason": "stop", "isContinued": False}]
    assert by_type["finish"]["output"]["text"] == "Otters hold hands."


async def test_a_failing_tool_streams_a_tool_error_and_the_model_goes_on() -> None:
    agent = tool_agent("careful", "flaky", "{}", ["done"])

    @agent.tool_plain(retries=1)
    def flaky() -> str:
        from pydantic_ai import ModelRetry

        raise ModelRetry("try later")

    wf = create_workflow(id="toolerr", input_schema=Prompt).then(create_step(agent)).commit()
    run = await wf.create_run()
    events = await events_of(run.stream(input_data={"prompt": "x"}))
    errors = [c["payload"] for c in agent_chunks(events) if c["type"] == "tool-error"]
    assert errors and errors[0]["toolName"] == "flaky" and "try later" in errors[0]["error"]["message"]


async def test_structured_output_is_the_step_output_and_is_streamed_as_object_result() -> None:
    agent = output_agent("formatter", '{"title": "Otters", "points": ["a", "b"]}')
    wf = (
        create_workflow(id="typed", input_schema=Prompt, output_schema=Outline).then(create_step(agent, structured_output=Outline)).commit()
    )
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "outline"})
    events = await events_of(stream)
    result = await stream.result
    assert result.status == "success"
    assert result.result == Outline(title="Otters", points=["a", "b"])  # the workflow's output schema
    assert result.steps["formatter"].output == {"title": "Otters", "points": ["a", "b"]}
    chunks = agent_chunks(events)
    assert [c["type"] for c in chunks if c["type"] in ("tool-call", "object-result")] == ["object-result"]
    assert chunks[-1]["type"] == "finish" and chunks[-1]["payload"]["output"]["object"] == {"title": "Otters", "points": ["a", "b"]}


async def test_structured_output_given_with_pydantic_ai_markers() -> None:
    """pydantic-ai's ways to choose the output mode (`ToolOutput`, `NativeOutput`,
    `PromptedOutput`, a list of outputs, an output function) make steps whose output schema is
    what they produce (they failed inside pydantic's TypeAdapter)."""

    def shout(text: str) -> str:
        return text.upper()

    agent = output_agent("formatter", '{"title": "Otters", "points": ["a"]}')
    for spec, schema in [
        (ToolOutput(Outline), Outline),
        (NativeOutput(Outline), Outline),
        (PromptedOutput(Outline), Outline),
        ([Outline, Prompt], Outline | Prompt),
        (TextOutput(shout), str),
    ]:
        step = create_step(agent, structured_output=spec)
        assert step.output_schema == (AgentOutput if schema is str else schema), spec
    wf = create_workflow(id="marked", input_schema=Prompt).then(create_step(agent, structured_output=ToolOutput(Outline))).commit()
    result = await (await wf.create_run()).start(input_data={"prompt": "outline"})
    assert result.status == "success", result.error
    assert result.steps["formatter"].output == {"title": "Otters", "points": ["a"]}


def test_a_function_model_without_streaming_is_refused_by_name() -> None:
    """An agent step streams its model: a FunctionModel with no stream_function says so when
    the step is made (it failed at run time with pydantic-ai's AssertionError)."""
    agent = Agent(FunctionModel(lambda messages, info: None), name="plain")  # type: ignore[arg-type,return-value]
    with pytest.raises(WorkflowDefinitionError, match=r"Step 'plain': an agent step streams its model"):
        create_step(agent)
    with pytest.raises(WorkflowDefinitionError, match=r"no stream_function"):
        create_step(text_agent("streams", "hi"), model=FunctionModel(lambda messages, info: None))  # type: ignore[arg-type,return-value]


async def test_structured_output_that_does_not_validate_fails_the_step() -> None:
    agent = output_agent("formatter", '{"title": 3}')
    wf = create_workflow(id="typedbad", input_schema=Prompt).then(create_step(agent, structured_output=Outline)).commit()
    result = await (await wf.create_run()).start(input_data={"prompt": "outline"})
    assert result.status == "failed"
    record = result.steps["formatter"]
    assert record.status == "failed"
    assert "output retries" in str(record.error)  # pydantic-ai asked the model again, then gave up
    assert isinstance(record.error, Exception) and type(record.error.__cause__).__name__ == "ValidationError"


async def test_an_agent_with_a_typed_output_makes_a_typed_step() -> None:
    agent = Agent(TestModel(custom_output_args={"title": "T", "points": []}), name="typed", output_type=Outline)
    step = create_step(agent)
    assert step.output_schema is Outline
    wf = create_workflow(id="typedagent", input_schema=Prompt).then(step).commit()
    result = await (await wf.create_run()).start(input_data={"prompt": "x"})
    assert result.result == {"title": "T", "points": []}


async def test_a_model_error_fails_the_step_with_the_providers_message_and_cause() -> None:
    async def fail(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        raise ConnectionError("upstream overloaded") from TimeoutError("read timed out")
        yield ""

    agent = Agent(FunctionModel(stream_function=fail), name="broken")
    wf = create_workflow(id="err", input_schema=Prompt).then(create_step(agent)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "x"})
    events = await events_of(stream)
    result = await stream.result
    assert result.status == "failed"
    error = result.steps["broken"].error
    assert isinstance(error, ConnectionError) and str(error) == "upstream overloaded"
    assert isinstance(error.__cause__, TimeoutError)
    wire = result.to_dict()["steps"]["broken"]["error"]
    assert wire["message"] == "upstream overloaded" and wire["cause"]["message"] == "read timed out"
    chunks = agent_chunks(events)
    assert [c["type"] for c in chunks] == ["start", "step-start", "error", "step-finish", "finish"]
    assert chunks[2]["payload"]["error"]["message"] == "upstream overloaded"
    assert chunks[-1]["payload"]["stepResult"]["reason"] == "error"


async def test_cancel_aborts_the_model_call_mid_stream() -> None:
    started = asyncio.Event()
    closed = asyncio.Event()

    async def endless(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        try:
            yield "Once upon"
            started.set()
            await asyncio.Event().wait()  # a provider that never answers
            yield "never"
        finally:
            closed.set()

    agent = Agent(FunctionModel(stream_function=endless), name="slow")
    after = create_step("after", execute=lambda ctx: pytest.fail("the run went on after cancel"))
    wf = create_workflow(id="cancel", input_schema=Prompt).then(create_step(agent)).then(after).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "x"})
    reader = asyncio.ensure_future(events_of(stream))
    await asyncio.wait_for(started.wait(), 10)
    await run.cancel()
    result = await asyncio.wait_for(stream.result, 10)
    assert result.status == "canceled"
    assert closed.is_set()  # the model's stream was closed, not left running
    events = await reader
    assert "never" not in str(events)
    assert result.steps["slow"].status == "canceled"


async def test_the_request_context_reaches_the_agents_tools_through_its_deps() -> None:
    agent = tool_agent("personal", "whoami", "{}", ["ok"], deps_type=StepContext)
    seen: list[Any] = []

    @agent.tool
    def whoami(ctx: RunContext[StepContext]) -> str:
        seen.append(ctx.deps.request_context.get("user"))
        return "done"

    wf = create_workflow(id="deps", input_schema=Prompt).then(create_step(agent)).commit()
    rc = RequestContext({"user": "ada"})
    result = await (await wf.create_run()).start(input_data={"prompt": "x"}, request_context=rc)
    assert result.status == "success" and seen == ["ada"]


async def test_a_deps_factory_builds_the_agents_deps_from_the_step_context() -> None:
    agent = tool_agent("factory", "whoami", "{}", ["ok"], deps_type=Deps)
    seen: list[str] = []

    @agent.tool
    def whoami(ctx: RunContext[Deps]) -> str:
        seen.append(ctx.deps.user)
        return "done"

    step = create_step(agent, deps=lambda ctx: Deps(user=ctx.request_context.get("user")))
    wf = create_workflow(id="depsf", input_schema=Prompt).then(step).commit()
    await (await wf.create_run()).start(input_data={"prompt": "x"}, request_context={"user": "grace"})
    assert seen == ["grace"]


async def test_iter_options_pass_through_to_the_agent() -> None:
    agent = text_agent("w", "from the agent's model")
    override = FunctionModel(stream_function=_stream_of("from the step's model"))
    wf = create_workflow(id="opts", input_schema=Prompt).then(create_step(agent, model=override)).commit()
    result = await (await wf.create_run()).start(input_data={"prompt": "x"})
    assert result.result == {"text": "from the step's model"}


def _stream_of(text: str) -> Any:
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        yield text

    return respond


async def test_a_failed_agent_call_is_retried_with_the_steps_retries() -> None:
    calls = 0

    async def flaky(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("connection reset")
        yield "second time lucky"

    agent = Agent(FunctionModel(stream_function=flaky), name="flaky")
    wf = create_workflow(id="retry", input_schema=Prompt).then(create_step(agent, retries=1)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"prompt": "x"})
    events = await events_of(stream)
    result = await stream.result
    assert result.status == "success" and result.result == {"text": "second time lucky"}
    types = [c["type"] for c in agent_chunks(events)]
    assert types.count("start") == 2 and types.count("error") == 1  # each attempt streams its own chunks
    assert calls == 2
