"""clone_step / clone_workflow: a new id, the same definition, independent runs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import Stepstream, Workflow, WorkflowDefinitionError, clone_step, clone_workflow, create_step, create_workflow
from stepstream.storage import InMemoryStorage


class N(BaseModel):
    n: int


def inc() -> Any:
    return create_step(
        id="inc", input_schema=N, output_schema=N, retries=2, metadata={"team": "a"}, execute=lambda ctx: N(n=ctx.input_data.n + 1)
    )


def test_clone_step_keeps_everything_but_the_id() -> None:
    step = inc()
    twin = clone_step(step, id="inc2")
    assert (twin.id, twin.retries, twin.metadata, twin.input_schema, twin.execute) == ("inc2", 2, {"team": "a"}, N, step.execute)
    twin.metadata["team"] = "b"
    assert step.metadata == {"team": "a"} and step.id == "inc"


async def test_clone_workflow_keeps_config_and_has_its_own_runs() -> None:
    wf = create_workflow(
        id="orig",
        input_schema=N,
        output_schema=N,
        state_schema=dict[str, Any],
        description="d",
        retry_config={"attempts": 1},
        metadata={"m": 1},
    )
    wf.then(inc()).commit()
    twin = clone_workflow(wf, id="twin")
    assert isinstance(twin, Workflow) and twin.committed
    assert (twin.id, twin.description, twin.retry_attempts, twin.metadata, twin.state_schema) == ("twin", "d", 1, {"m": 1}, dict[str, Any])
    app = Stepstream(workflows=[wf, twin], storage=InMemoryStorage())
    run = await app.get_workflow("twin").create_run()
    result = await run.start(input_data={"n": 1})
    assert result.result == N(n=2)
    assert (await app.get_workflow("twin").list_runs())["total"] == 1
    assert (await app.get_workflow("orig").list_runs())["total"] == 0
    assert clone_workflow(wf, id="third").storage is not wf.storage  # a clone is not bound to the app


def test_clone_refuses_bad_input() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"clone_step\(\) needs a new non-empty string id, got ''"):
        clone_step(inc(), id="")
    with pytest.raises(WorkflowDefinitionError, match=r"clone_step\(\) takes a step, got int"):
        clone_step(3, id="x")  # type: ignore[type-var]
    with pytest.raises(WorkflowDefinitionError, match=r"clone_workflow\(\) takes a workflow, got Step"):
        clone_workflow(inc(), id="x")
    draft = create_workflow(id="draft").then(inc())
    with pytest.raises(WorkflowDefinitionError, match="Uncommitted step flow changes detected"):
        clone_workflow(draft, id="x")


def test_clone_step_of_a_workflow_clones_the_workflow() -> None:
    wf = create_workflow(id="w").then(inc()).commit()
    twin = clone_step(wf, id="w2")
    assert isinstance(twin, Workflow) and twin.id == "w2" and twin.graph == wf.graph
