"""J. Request context (Mastra scenarios 68-71)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stepstream import RequestContext, StepContext, Stepstream, ValidationError, create_step, create_workflow
from stepstream.storage import SQLiteStorage
from tests.engine.matchers import wire


def test_request_context_mapping_api() -> None:
    rc = RequestContext({"a": 1})
    rc.set("b", {"c": 2})
    assert rc.get("a") == 1
    assert rc.get("missing") is None
    assert rc.has("b") and not rc.has("zz")
    assert rc.get_path("b.c") == 2
    assert rc.get_path("b.x") is None
    assert list(rc.keys()) == ["a", "b"]
    assert rc.delete("a") is True
    assert rc.delete("a") is False
    assert "a" not in rc
    rc["d"] = 4
    del rc["d"]
    with pytest.raises(KeyError):
        del rc["d"]
    assert rc.all == {"b": {"c": 2}}
    assert len(rc) == 1


# -- 68: injected at start ----------------------------------------------------------------------


@pytest.mark.parametrize("as_dict", [True, False])
async def test_request_context_is_injected_at_start(as_dict: bool) -> None:
    s = create_step(id="step1", execute=lambda ctx: {"injectedValue": ctx.request_context.get("testKey")})
    wf = create_workflow(id="rc-start", input_schema=Any, output_schema=Any).then(s).commit()
    rc: Any = {"testKey": "test-dependency"} if as_dict else RequestContext({"testKey": "test-dependency"})
    result = await (await wf.create_run()).start(input_data={}, request_context=rc)
    assert result.result == {"injectedValue": "test-dependency"}


async def test_no_request_context_gives_an_empty_one() -> None:
    seen: list[Any] = []
    s = create_step(id="step1", execute=lambda ctx: seen.append((type(ctx.request_context), ctx.request_context.all)))
    wf = create_workflow(id="rc-none", input_schema=Any, output_schema=Any).then(s).commit()
    await (await wf.create_run()).start(input_data={})
    assert seen == [(RequestContext, {})]


async def test_steps_mutate_the_callers_request_context_object() -> None:
    def writer(ctx: Any) -> None:
        ctx.request_context.set("written", "by-step")
        ctx.request_context["also"] = 1

    wf = create_workflow(id="rc-mutate", input_schema=Any, output_schema=Any).then(create_step(id="w", execute=writer)).commit()
    rc = RequestContext({"given": True})
    await (await wf.create_run()).start(input_data={}, request_context=rc)
    assert rc.all == {"given": True, "written": "by-step", "also": 1}


# -- 69: writes survive a suspension ------------------------------------------------------------------


def _prompt_workflow(wf_id: str) -> Any:
    async def prompt_agent(ctx: Any) -> None:
        responses = list(ctx.request_context.get("responses") or [])
        if ctx.resume_data is None:
            ctx.request_context.set("responses", [*responses, "first message"])
            await ctx.suspend({"question": "continue?"})
        ctx.request_context.set("responses", [*responses, "promptAgentAction"])

    step1 = create_step(id="promptAgent", resume_schema=dict[str, Any], execute=prompt_agent)
    step2 = create_step(id="collect", execute=lambda ctx: ctx.request_context.get("responses"))
    return create_workflow(id=wf_id, input_schema=Any, output_schema=Any).then(step1).then(step2).commit()


async def test_request_context_writes_survive_a_suspension() -> None:
    wf = _prompt_workflow("rc-suspend")
    run = await wf.create_run()
    rc = RequestContext()
    first = await run.start(input_data={}, request_context=rc)
    assert first.status == "suspended"
    assert rc.get("responses") == ["first message"]
    stored = wire(await wf.get_run(run.run_id, fields=["requestContext"]))
    assert stored is not None
    assert stored["requestContext"] == {"responses": ["first message"]}
    done = await run.resume(resume_data={"go": True})
    assert done.status == "success"
    assert done.result == ["first message", "promptAgentAction"]


async def test_request_context_survives_a_suspension_across_workflow_objects() -> None:
    from stepstream import Stepstream
    from stepstream.storage import InMemoryStorage

    storage = InMemoryStorage()
    wf1 = _prompt_workflow("rc-rebuilt")
    Stepstream(workflows=[wf1], storage=storage)
    run = await wf1.create_run()
    assert (await run.start(input_data={})).status == "suspended"

    wf2 = _prompt_workflow("rc-rebuilt")
    Stepstream(workflows=[wf2], storage=storage)
    run2 = await wf2.create_run(run_id=run.run_id)
    done = await run2.resume(resume_data={"go": True})
    assert done.result == ["first message", "promptAgentAction"]


# -- 70: resume supplies a new request context --------------------------------------------------------


async def test_resume_can_supply_a_new_request_context() -> None:
    async def body(ctx: Any) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"injectedValue": ctx.request_context.get("testKey"), "kept": ctx.request_context.get("onlyAtStart")}

    wf = (
        create_workflow(id="rc-resume", input_schema=Any, output_schema=Any)
        .then(create_step(id="step1", resume_schema=dict[str, Any], execute=body))
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={}, request_context={"testKey": "test-dependency", "onlyAtStart": 1})
    assert first.status == "suspended"
    done = await run.resume(resume_data={"x": 1}, request_context=RequestContext({"testKey": "test-dependency2"}))
    assert done.result == {"injectedValue": "test-dependency2", "kept": 1}


# -- 71: values set before a suspension are visible after; deletions stick ---------------------------


@pytest.mark.parametrize("delete_on_resume", [False, True])
async def test_values_before_suspension_are_visible_and_deletions_stick(delete_on_resume: bool) -> None:
    def increment(ctx: Any) -> dict[str, int]:
        ctx.request_context.set("shouldBeInFinal", "yes")
        return {"value": ctx.input_data["value"] + 1}

    async def resume_step(ctx: Any) -> dict[str, int]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        if delete_on_resume:
            ctx.request_context.delete("shouldBeInFinal")
        data: dict[str, int] = ctx.input_data
        return data

    final_seen: list[Any] = []
    final = create_step(id="final", execute=lambda ctx: final_seen.append(ctx.request_context.get("shouldBeInFinal")))
    wf = (
        create_workflow(id=f"rc-before-{delete_on_resume}", input_schema=dict[str, int], output_schema=Any)
        .then(create_step(id="increment", execute=increment))
        .then(create_step(id="resume", resume_schema=dict[str, Any], execute=resume_step))
        .then(final)
        .commit()
    )
    run = await wf.create_run()
    assert (await run.start(input_data={"value": 0})).status == "suspended"
    assert (await run.resume(resume_data={})).status == "success"
    assert final_seen == [None if delete_on_resume else "yes"]
    stored = wire(await wf.get_run(run.run_id, fields=["requestContext"]))
    assert stored is not None
    assert ("shouldBeInFinal" in stored["requestContext"]) is not delete_on_resume


async def test_request_context_reaches_nested_workflows_and_map() -> None:
    seen: list[Any] = []

    def read_tenant(ctx: StepContext) -> Any:
        seen.append(ctx.request_context.get("tenant"))
        return ctx.request_context.get("tenant")

    inner = create_workflow(id="rc-inner", input_schema=Any, output_schema=Any).then(create_step(id="inner", execute=read_tenant)).commit()
    wf = (
        create_workflow(id="rc-nested", input_schema=Any, output_schema=Any)
        .then(inner)
        .map({"tenant": {"request_context_path": "tenant", "schema": str}, "fromInner": {"step": inner, "path": "."}})
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={}, request_context={"tenant": "t-1"})
    assert seen == ["t-1"]
    assert result.result == {"tenant": "t-1", "fromInner": "t-1"}


# -- what storage keeps ---------------------------------------------------------------------------


class _Client:
    """What a request context injects: a dependency that is not data."""


async def test_values_that_are_not_json_reach_steps_but_are_not_stored(tmp_path: Path) -> None:
    """A step gets the injected client itself; storage keeps only the JSON values, so a resume
    in another process finds the client missing (and takes it again from its caller), never as a repr."""
    seen: list[Any] = []

    async def ask(ctx: StepContext) -> dict[str, Any]:
        seen.append((ctx.request_context.get("db"), ctx.request_context.get("tenant")))
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {}

    def flow() -> Any:
        return create_workflow(id="rc-stored", input_schema=Any, output_schema=Any).then(create_step("ask", execute=ask)).commit()

    client = _Client()
    first = flow()
    Stepstream([first], storage=SQLiteStorage(tmp_path / "runs.db"))
    run = await first.create_run()
    await run.start(input_data={}, request_context={"db": client, "tenant": "t1", "hook": print})
    assert seen == [(client, "t1")]
    stored = await first.get_run(run.run_id)
    assert stored is not None and stored.request_context == {"tenant": "t1"}

    second = flow()  # another process: its own app on the same file
    Stepstream([second], storage=SQLiteStorage(tmp_path / "runs.db"))
    resumed = await (await second.create_run(run_id=run.run_id)).resume(resume_data={})
    assert resumed.status == "success"
    assert seen[1] == (None, "t1")


@pytest.mark.parametrize("bad", [5, "tenant=t1", ["tenant"]])
async def test_a_request_context_that_is_not_a_mapping_is_refused_by_name(bad: Any) -> None:
    wf = create_workflow(id="rc-bad", input_schema=Any, output_schema=Any).then(create_step("s", execute=lambda ctx: 1)).commit()
    run = await wf.create_run()
    with pytest.raises(ValidationError, match="request_context must be a mapping"):
        await run.start(input_data={}, request_context=bad)
    assert (await run.start(input_data={})).status == "success"  # nothing was claimed by the refused call
