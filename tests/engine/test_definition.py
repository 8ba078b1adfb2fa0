"""A. Definition, registration and run creation (Mastra scenarios 1-7, 12-13)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    Step,
    StepContext,
    Stepstream,
    Workflow,
    WorkflowDefinitionError,
    create_step,
    create_workflow,
    step,
)
from stepstream.storage import InMemoryStorage
from tests.engine.matchers import wire


class _Millis:
    """Matches a millisecond timestamp (Mastra's `T`)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is int and other > 1_600_000_000_000

    def __repr__(self) -> str:
        return "T"


T = _Millis()

NO_FLOW = "Execution flow of workflow is not defined. Add steps to the workflow via .then(), .branch(), etc."
UNCOMMITTED = "Uncommitted step flow changes detected. Call .commit() to register the steps."


class Empty(BaseModel):
    pass


class Result(BaseModel):
    result: str


def make_step1() -> Step:
    return create_step(id="step1", input_schema=Empty, output_schema=Result, execute=lambda ctx: {"result": "success"})


# -- 1, 2: flows that cannot run ----------------------------------------------------------------


async def test_run_of_workflow_without_flow_is_refused() -> None:
    wf = create_workflow(id="no-flow", input_schema=Empty, output_schema=Result)
    with pytest.raises(WorkflowDefinitionError) as info:
        await wf.create_run()
    assert str(info.value) == NO_FLOW


async def test_committed_empty_flow_is_refused_too() -> None:
    wf = create_workflow(id="no-flow-committed", input_schema=Empty, output_schema=Result).commit()
    assert wf.committed is True
    with pytest.raises(WorkflowDefinitionError) as info:
        await wf.create_run()
    assert str(info.value) == NO_FLOW


async def test_uncommitted_flow_is_refused() -> None:
    wf = create_workflow(id="uncommitted", input_schema=Empty, output_schema=Result).then(make_step1())
    assert wf.committed is False
    with pytest.raises(WorkflowDefinitionError) as info:
        await wf.create_run()
    assert str(info.value) == UNCOMMITTED


async def test_an_uncommitted_workflow_cannot_be_nested() -> None:
    inner = create_workflow(id="inner", input_schema=Empty, output_schema=Result).then(make_step1())
    outer = create_workflow(id="outer", input_schema=Empty, output_schema=Result)
    with pytest.raises(WorkflowDefinitionError) as info:
        outer.then(inner)
    assert str(info.value) == UNCOMMITTED


def test_committed_flow_cannot_be_extended() -> None:
    wf = create_workflow(id="frozen", input_schema=Empty, output_schema=Result).then(make_step1()).commit()
    with pytest.raises(WorkflowDefinitionError, match="'frozen' is committed"):
        wf.then(make_step1())
    # the refused call left the committed flow intact
    assert wf.committed is True
    assert len(wf.graph) == 1


# -- 3: registering commits --------------------------------------------------------------------


async def test_registering_an_uncommitted_workflow_commits_it() -> None:
    wf = create_workflow(id="auto-commit", input_schema=Empty, output_schema=Result).then(make_step1())
    assert wf.committed is False
    app = Stepstream(workflows=[wf], storage=InMemoryStorage())
    assert wf.committed is True
    assert app.get_workflow("auto-commit") is wf

    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.to_dict()["steps"]["step1"] == {
        "status": "success",
        "output": {"result": "success"},
        "payload": {},
        "startedAt": T,
        "endedAt": T,
    }


def test_registering_something_else_is_refused() -> None:
    with pytest.raises(WorkflowDefinitionError, match="Stepstream takes workflows; got Step"):
        Stepstream(workflows=[make_step1()], storage=InMemoryStorage())  # type: ignore[list-item]


# -- 4: waitForEvent --------------------------------------------------------------------------


def test_wait_for_event_was_removed() -> None:
    wf = create_workflow(id="wait", input_schema=Empty, output_schema=Result).then(make_step1())
    with pytest.raises(WorkflowDefinitionError) as info:
        wf.wait_for_event("approval", make_step1())
    assert str(info.value) == (
        "waitForEvent has been removed. Please use suspend & resume flow instead. "
        "See https://mastra.ai/en/docs/workflows/suspend-and-resume for more details."
    )


# -- 5-7: run ids and status read from storage ---------------------------------------------------


async def test_create_run_with_existing_run_id_returns_that_run() -> None:
    wf = create_workflow(id="same-id", input_schema=Empty, output_schema=Result).then(make_step1()).commit()
    first = await wf.create_run()
    again = await wf.create_run(run_id=first.run_id)
    assert isinstance(first.run_id, str) and first.run_id
    assert again.run_id == first.run_id
    assert again is first
    other = await wf.create_run()
    assert other.run_id != first.run_id
    assert first.status == "pending"


def _suspending_workflow(calls: list[str]) -> Workflow:
    async def body(ctx: Any) -> Result:
        calls.append("run")
        if ctx.resume_data is None:
            await ctx.suspend({"why": "need input"})
        return Result(result="completed")

    s = create_step(id="suspendStep", input_schema=Empty, output_schema=Result, resume_schema=dict[str, Any], execute=body)
    return create_workflow(id="rebuilt-workflow", input_schema=Empty, output_schema=Result).then(s).commit()


async def test_run_rebuilt_from_storage_keeps_its_status() -> None:
    calls: list[str] = []
    storage = InMemoryStorage()
    wf1 = _suspending_workflow(calls)
    Stepstream(workflows=[wf1], storage=storage)
    run1 = await wf1.create_run(run_id="test-run-id-123")
    first = await run1.start(input_data={})
    assert first.status == "suspended"

    wf2 = _suspending_workflow(calls)  # a second workflow object with the same id, same storage
    Stepstream(workflows=[wf2], storage=storage)
    run2 = await wf2.create_run(run_id="test-run-id-123")
    assert run2 is not run1
    assert run2.status == "suspended"

    resumed = await run2.resume(resume_data={}, step="suspendStep")
    assert resumed.status == "success"
    assert resumed.to_dict()["result"] == {"result": "completed"}
    assert calls == ["run", "run"]


async def test_create_run_again_refreshes_a_stale_status() -> None:
    calls: list[str] = []
    wf = _suspending_workflow(calls)
    run = await wf.create_run(run_id="stale")
    assert (await run.start(input_data={})).status == "suspended"
    run.status = "pending"
    again = await wf.create_run(run_id="stale")
    assert again is run
    assert again.status == "suspended"


async def test_create_run_keeps_resource_id() -> None:
    wf = create_workflow(id="resource", input_schema=Empty, output_schema=Result).then(make_step1()).commit()
    run = await wf.create_run(resource_id="user-123")
    assert run.resource_id == "user-123"
    seen: list[Any] = []

    def record_resource(ctx: StepContext) -> dict[str, str]:
        seen.append(ctx.resource_id)
        return {"result": "x"}

    wf2 = (
        create_workflow(id="resource-ctx", input_schema=Empty, output_schema=Result)
        .then(create_step(id="s", input_schema=Empty, output_schema=Result, execute=record_resource))
        .commit()
    )
    assert (await (await wf2.create_run(resource_id="user-9")).start(input_data={})).status == "success"
    assert seen == ["user-9"]


# -- 12: generated ids -------------------------------------------------------------------------


def _two_maps(wf_id: str) -> Workflow:
    return (
        create_workflow(id=wf_id, input_schema=Empty, output_schema=Any)
        .then(make_step1())
        .map(lambda ctx: {"a": 1})
        .map(lambda ctx: {"b": ctx.input_data["a"]})
        .commit()
    )


async def test_unnamed_maps_get_deterministic_ids() -> None:
    wf = _two_maps("W")
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert list(result.steps) == ["step1", "mapping_W_0", "mapping_W_1"]
    assert result.result == {"b": 1}
    again = await (await _two_maps("W").create_run()).start(input_data={})
    assert list(again.steps) == ["step1", "mapping_W_0", "mapping_W_1"]


async def test_nested_and_parent_map_ids_do_not_collide() -> None:
    inner = create_workflow(id="inner-w", input_schema=Any, output_schema=Any).map(lambda ctx: {"inner": True}).commit()
    outer = create_workflow(id="outer-w", input_schema=Any, output_schema=Any).map(lambda ctx: {"outer": True}).then(inner).commit()
    result = await (await outer.create_run()).start(input_data={})
    assert result.status == "success"
    assert list(result.steps) == ["mapping_outer-w_0", "inner-w"]
    stored = wire(await outer.get_run(result.run_id))
    assert stored is not None
    assert set(stored["steps"]) == {"mapping_outer-w_0", "inner-w", "inner-w.mapping_inner-w_0"}
    assert result.result == {"inner": True}


async def test_map_with_explicit_id_uses_it() -> None:
    wf = (
        create_workflow(id="W2", input_schema=Empty, output_schema=Any)
        .then(make_step1())
        .map(lambda ctx: {"a": 1}, id="my-mapping")
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert list(result.steps) == ["step1", "my-mapping"]
    assert not any(k.startswith("mapping_") for k in result.steps)


async def test_sleep_nodes_get_generated_ids() -> None:
    wf = create_workflow(id="sleepy", input_schema=Empty, output_schema=Any).then(make_step1()).sleep(1).sleep(1).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert list(result.steps) == ["step1", "sleep_sleepy_0", "sleep_sleepy_1"]


# -- 13: component kinds ----------------------------------------------------------------------


def test_components_and_step_metadata() -> None:
    s = make_step1()
    wf = create_workflow(id="kinds", input_schema=Empty, output_schema=Result, description="d").then(s).commit()
    assert s.component == "STEP"
    assert wf.component == "WORKFLOW"
    assert isinstance(wf, Step)
    assert wf.description == "d"
    assert s.can_suspend is False
    assert create_step(id="s2", execute=lambda ctx: None, resume_schema=Empty).can_suspend is True


def test_step_decorator_defaults_id_and_description() -> None:
    @step(input_schema=Empty, output_schema=Result)
    async def shout(ctx: Any) -> Result:
        """Shouts."""
        return Result(result="!")

    assert isinstance(shout, Step)
    assert shout.id == "shout"
    assert shout.description == "Shouts."

    @step(id="named")
    def other(ctx: Any) -> None:
        return None

    assert other.id == "named"


# -- bad builder usage -------------------------------------------------------------------------


def test_bad_step_definitions_are_refused() -> None:
    with pytest.raises(WorkflowDefinitionError, match="A step id must be a non-empty string, got ''"):
        create_step(id="", execute=lambda ctx: None)
    with pytest.raises(WorkflowDefinitionError, match="Step 'x': execute must be callable"):
        create_step(id="x", execute="nope")  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match="Step 'x': retries must be a non-negative int, got -1"):
        create_step(id="x", execute=lambda ctx: None, retries=-1)


def test_bad_workflow_options_are_refused() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': unknown options \['validateInputs'\]"):
        create_workflow(id="w", options={"validateInputs": True})  # type: ignore[arg-type]  # an unknown option, on purpose
    with pytest.raises(WorkflowDefinitionError, match=r"retry_config\['attempts'\] must be a non-negative int"):
        create_workflow(id="w", retry_config={"attempts": -1})
    with pytest.raises(WorkflowDefinitionError, match=r"retry_config\['delay'\] must be a non-negative number of ms"):
        create_workflow(id="w", retry_config={"attempts": 1, "delay": -5})


def test_bad_builder_calls_are_refused() -> None:
    wf = create_workflow(id="w", input_schema=Empty, output_schema=Any)
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': then\(\) takes a step or a workflow, got function"):
        wf.then(lambda ctx: None)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match=r"parallel\(\) needs at least one step"):
        wf.parallel([])
    with pytest.raises(WorkflowDefinitionError, match=r"parallel\(\) takes a step or a workflow, got str"):
        wf.parallel([make_step1(), "step2"])  # type: ignore[list-item]
    with pytest.raises(WorkflowDefinitionError, match=r"branch\(\) needs at least one \(condition, step\) pair"):
        wf.branch([])
    with pytest.raises(
        WorkflowDefinitionError,
        match=r"branch\(\) item 0 needs a condition: a function, a Predicate or \{'predicate': \{\.\.\.\}\}; got True",
    ):
        wf.branch([(True, make_step1())])  # type: ignore[list-item]
    with pytest.raises(WorkflowDefinitionError, match=r"dowhile\(\) needs a condition: a function, a Predicate"):
        wf.dowhile(make_step1(), True)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match=r"dountil\(\) needs a condition: a function, a Predicate"):
        wf.dountil(make_step1(), None)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match=r"foreach\(\) takes a step or a workflow, got int"):
        wf.foreach(3)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match=r"map\(\) takes a function or a dict, got int"):
        wf.map(5)
    with pytest.raises(WorkflowDefinitionError, match=r"map key 'a' must be a dict with one of step, value, init_data"):
        wf.map({"a": {"path": "x"}})
    # none of the refused calls added anything
    wf.commit()
    with pytest.raises(WorkflowDefinitionError) as info:
        _ = wf.graph
    assert str(info.value) == NO_FLOW
