"""Suspend and resume inside nested workflows (scenarios R.112-R.120)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import ResumeError, Step, StepContext, Workflow, create_step, create_workflow
from tests.engine.matchers import wire


class V(BaseModel):
    value: int


def nested_a(calls: Counter[str], label: str | None = None) -> tuple[Workflow, Step]:
    """`nested-workflow-a`: start (+1) -> other (suspends; returns {other: 26 + newValue}) -> final (sum)."""

    async def start(ctx: StepContext) -> V:
        calls["start"] += 1
        return V(value=ctx.input_data.value + 1)

    async def other(ctx: StepContext) -> dict[str, int]:
        calls["other"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"ask": "other"}, resume_label=label)
        return {"other": 26 + ctx.resume_data["newValue"]}

    async def final(ctx: StepContext) -> dict[str, int]:
        calls["final"] += 1
        return {"finalValue": ctx.get_step_result("start").value + ctx.get_step_result(other_step)["other"]}

    start_step = create_step("start", input_schema=V, output_schema=V, execute=start)
    other_step = create_step("other", input_schema=V, output_schema=dict[str, int], resume_schema=dict[str, int], execute=other)
    final_step = create_step("final", input_schema=dict[str, int], output_schema=dict[str, int], execute=final)
    wf = (
        create_workflow("nested-workflow-a", input_schema=V, output_schema=dict[str, int])
        .then(start_step)
        .then(other_step)
        .then(final_step)
        .commit()
    )
    return wf, other_step


def outer_with(inner: Step, calls: Counter[str], wf_id: str = "outer") -> Workflow:
    async def begin(ctx: StepContext) -> V:
        calls["begin"] += 1
        value: V = ctx.input_data
        return value

    async def last(ctx: StepContext) -> dict[str, int]:
        calls["last"] += 1
        data: dict[str, int] = ctx.input_data
        return data

    return (
        create_workflow(wf_id, input_schema=V, output_schema=dict[str, int])
        .then(create_step("begin-step", input_schema=V, output_schema=V, execute=begin))
        .then(inner)
        .then(create_step("last-step", input_schema=dict[str, int], output_schema=dict[str, int], execute=last))
        .commit()
    )


async def test_nested_suspension_suspends_the_parent() -> None:
    calls: Counter[str] = Counter()
    inner, _ = nested_a(calls)
    wf = outer_with(inner, calls)
    run = await wf.create_run()
    result = await run.start(input_data={"value": 0})
    assert result.status == "suspended"
    assert result.steps["begin-step"].status == "success"
    nested = result.to_dict()["steps"]["nested-workflow-a"]
    assert nested["status"] == "suspended"
    assert nested["suspendPayload"] == {"ask": "other", "__workflow_meta": {"runId": run.run_id, "path": ["other"]}}
    assert "last-step" not in result.steps
    # one nested suspension is one suspended path (#21229), and the payload drops the engine's meta
    assert result.suspended == [["nested-workflow-a", "other"]]
    assert result.suspend_payload == {"nested-workflow-a": {"ask": "other"}}
    assert calls == Counter({"begin": 1, "start": 1, "other": 1})
    # only top-level records in the result; nested ones are stored under dotted keys
    assert list(result.steps) == ["begin-step", "nested-workflow-a"]
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert set(stored.steps) == {"begin-step", "nested-workflow-a", "nested-workflow-a.start", "nested-workflow-a.other"}
    assert stored.steps["nested-workflow-a.other"].status == "suspended"
    assert stored.steps["nested-workflow-a.other"].suspend_payload == {"ask": "other"}


async def test_stored_view_counts_a_nested_suspension_once() -> None:
    calls: Counter[str] = Counter()
    inner, _ = nested_a(calls)
    wf = outer_with(inner, calls)
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    view = wire(await wf.get_run(run.run_id))
    assert view is not None
    suspended = [k for k, v in view["steps"].items() if v["status"] == "suspended"]
    assert suspended == ["nested-workflow-a.other"]
    assert view["steps"]["nested-workflow-a"]["status"] == "running"
    assert list(view["suspendedPaths"]) == ["nested-workflow-a"]

    await run.resume(step=["nested-workflow-a", "other"], resume_data={"newValue": 0})
    view = wire(await wf.get_run(run.run_id))
    assert view is not None
    assert view["status"] == "success"
    assert [k for k, v in view["steps"].items() if v["status"] == "suspended"] == []
    assert set(view["steps"]) == {
        "begin-step",
        "nested-workflow-a",
        "nested-workflow-a.start",
        "nested-workflow-a.other",
        "nested-workflow-a.final",
        "last-step",
    }


@pytest.mark.parametrize("how", ["objects", "outer id", "path list", "dotted string", "result path", "omitted", "outer object"])
async def test_every_way_to_name_the_nested_step(how: str) -> None:
    calls: Counter[str] = Counter()
    inner, other = nested_a(calls)
    wf = outer_with(inner, calls)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    target = {
        "objects": [inner, other],
        "outer id": "nested-workflow-a",
        "path list": ["nested-workflow-a", "other"],
        "dotted string": "nested-workflow-a.other",
        "result path": first.suspended[0],
        "omitted": None,
        "outer object": inner,
    }[how]
    done = await run.resume(step=target, resume_data={"newValue": 0})
    assert done.status == "success"
    assert done.steps["nested-workflow-a"].output == {"finalValue": 27}
    assert done.result == {"finalValue": 27}
    assert done.steps["nested-workflow-a"].resume_payload == {"newValue": 0}
    # start is not re-run; other runs again; final and last once
    assert calls == Counter({"begin": 1, "start": 1, "other": 2, "final": 1, "last": 1})


async def test_naming_a_nested_step_that_is_not_suspended_is_refused() -> None:
    calls: Counter[str] = Counter()
    inner, _ = nested_a(calls)
    wf = outer_with(inner, calls)
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    with pytest.raises(ResumeError) as info:
        await run.resume(step="nested-workflow-a.start", resume_data={"newValue": 0})
    assert str(info.value) == (
        'This workflow step "nested-workflow-a.start" was not suspended. Available suspended steps: [nested-workflow-a.other]'
    )
    with pytest.raises(ResumeError) as info:
        await run.resume(step="begin-step", resume_data={"newValue": 0})
    assert str(info.value) == 'This workflow step "begin-step" was not suspended. Available suspended steps: [nested-workflow-a]'
    assert calls == Counter({"begin": 1, "start": 1, "other": 1})
    done = await run.resume(step="nested-workflow-a.other", resume_data={"newValue": 1})
    assert done.result == {"finalValue": 28}


async def test_consecutive_nested_workflows_each_suspend() -> None:
    calls: Counter[str] = Counter()

    class Suspect(BaseModel):
        suspect: str

    def sub(n: int) -> Workflow:
        async def execute(ctx: StepContext) -> Suspect:
            calls[f"step-{n}"] += 1
            if ctx.resume_data is None:
                await ctx.suspend({"need": f"suspect {n}"})
            return Suspect(suspect=ctx.resume_data.suspect)

        s = create_step(f"step-{n}", input_schema=Suspect, output_schema=Suspect, resume_schema=Suspect, execute=execute)
        return create_workflow(f"sub-workflow-{n}", input_schema=Suspect, output_schema=Suspect).then(s).commit()

    wf = create_workflow("consecutive", input_schema=Suspect, output_schema=Suspect).then(sub(1)).then(sub(2)).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"suspect": "initial"})
    assert first.suspended == [["sub-workflow-1", "step-1"]]
    mid = await run.resume(step=["sub-workflow-1", "step-1"], resume_data={"suspect": "first-suspect"})
    assert mid.status == "suspended"
    assert mid.steps["sub-workflow-1"].status == "success"
    assert mid.steps["sub-workflow-2"].status == "suspended"
    assert mid.suspended == [["sub-workflow-2", "step-2"]]
    done = await run.resume(step="sub-workflow-2.step-2", resume_data={"suspect": "second-suspect"})
    assert done.status == "success"
    assert done.to_dict()["result"] == {"suspect": "second-suspect"}
    assert done.steps["sub-workflow-1"].to_dict()["output"] == {"suspect": "first-suspect"}
    assert calls == Counter({"step-1": 2, "step-2": 2})


async def test_three_levels_of_nesting() -> None:
    calls: Counter[str] = Counter()
    inner_a, _ = nested_a(calls)

    def passthrough(step_id: str) -> Step:
        async def execute(ctx: StepContext) -> V:
            calls["passthrough"] += 1
            value: V = ctx.input_data
            return value

        return create_step(step_id, input_schema=V, output_schema=V, execute=execute)

    wf_b = (
        create_workflow("nested-workflow-b", input_schema=V, output_schema=dict[str, int])
        .then(passthrough("pass-b"))
        .then(inner_a)
        .commit()
    )
    wf_c = (
        create_workflow("nested-workflow-c", input_schema=V, output_schema=dict[str, int]).then(passthrough("pass-c")).then(wf_b).commit()
    )

    async def counter(ctx: StepContext) -> V:
        calls["counter"] += 1
        value: V = ctx.input_data
        return value

    wf = (
        create_workflow("three-levels", input_schema=V, output_schema=dict[str, int])
        .then(create_step("counter", input_schema=V, output_schema=V, execute=counter))
        .then(wf_c)
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.status == "suspended"
    meta = first.steps["nested-workflow-c"].suspend_payload["__workflow_meta"]
    assert meta["path"] == ["nested-workflow-b", "nested-workflow-a", "other"]
    assert first.suspended == [["nested-workflow-c", "nested-workflow-b", "nested-workflow-a", "other"]]
    assert first.suspend_payload == {"nested-workflow-c": {"ask": "other"}}
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.steps["nested-workflow-c.nested-workflow-b.nested-workflow-a.other"].status == "suspended"

    done = await run.resume(step=first.suspended[0], resume_data={"newValue": 0})
    assert done.status == "success"
    assert done.steps["nested-workflow-c"].output == {"finalValue": 27}
    assert calls == Counter({"counter": 1, "passthrough": 2, "start": 1, "other": 2, "final": 1})


async def test_labels_from_nested_steps_are_raised_to_the_parent() -> None:
    calls: Counter[str] = Counter()
    inner, _ = nested_a(calls, label="nested-approve")
    wf = outer_with(inner, calls)
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.resume_labels == {"nested-approve": {"stepId": "nested-workflow-a"}}
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.resume_labels == {"nested-approve": {"stepId": "nested-workflow-a", "path": ["nested-workflow-a", "other"]}}
    assert stored.steps["nested-workflow-a"].status == "suspended"
    assert stored.steps["nested-workflow-a"].suspend_payload["ask"] == "other"
    done = await run.resume(label="nested-approve", resume_data={"newValue": 2})
    assert done.status == "success"
    assert done.result == {"finalValue": 29}


async def test_branches_not_chosen_are_not_run_after_resuming_a_nested_workflow() -> None:
    calls: Counter[str] = Counter()

    class Item(BaseModel):
        type: str

    async def select_item(ctx: StepContext) -> Item:
        calls["select-item"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"choose": ["first", "second", "third"]})
        return Item(type=ctx.resume_data["type"])

    def handler(step_id: str) -> Step:
        async def execute(ctx: StepContext) -> dict[str, str]:
            calls[step_id] += 1
            return {"processed": step_id}

        return create_step(step_id, input_schema=Item, output_schema=dict[str, str], execute=execute)

    async def date_step(ctx: StepContext) -> dict[str, str]:
        calls["select-date"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"need": "date"})
        return {"processed": ctx.input_data.type, "date": ctx.resume_data["date"]}

    second_wf = (
        create_workflow("second-item-workflow", input_schema=Item, output_schema=dict[str, str])
        .then(create_step("select-date", input_schema=Item, output_schema=dict[str, str], execute=date_step))
        .commit()
    )

    async def final(ctx: StepContext) -> dict[str, str]:
        calls["final-processing"] += 1
        data: dict[str, str] = ctx.input_data
        return data

    wf = (
        create_workflow("pick-branch", input_schema=dict[str, Any], output_schema=dict[str, str])
        .then(create_step("select-item", input_schema=dict[str, Any], output_schema=Item, execute=select_item))
        .branch(
            [
                (lambda ctx: ctx.input_data.type == "first", handler("first-item-step")),
                (lambda ctx: ctx.input_data.type == "second", second_wf),
                (lambda ctx: ctx.input_data.type == "third", handler("third-item-step")),
            ]
        )
        .map(lambda ctx: next(v for v in ctx.input_data.values() if v is not None), id="pick")
        .then(create_step("final-processing", input_schema=dict[str, str], output_schema=dict[str, str], execute=final))
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={})
    mid = await run.resume(step=first.suspended[0], resume_data={"type": "second"})
    assert mid.status == "suspended"
    assert mid.suspended == [["second-item-workflow", "select-date"]]
    done = await run.resume(step=mid.suspended[0], resume_data={"date": "2024-12-31"})
    assert done.status == "success"
    assert "first-item-step" not in done.steps
    assert "third-item-step" not in done.steps
    assert done.steps["final-processing"].payload == {"processed": "second", "date": "2024-12-31"}
    assert calls == Counter({"select-item": 2, "select-date": 2, "final-processing": 1})


async def test_branch_conditions_are_not_rechecked_on_resume_even_with_a_rebuilt_workflow() -> None:
    seen: list[Any] = []

    def build() -> Workflow:
        async def ask(ctx: StepContext) -> dict[str, str]:
            if ctx.resume_data is None:
                await ctx.suspend({"question": "?"})
            return {"answer": ctx.resume_data["answer"]}

        nested = (
            create_workflow("nested", input_schema=dict[str, int], output_schema=dict[str, str])
            .then(create_step("ask", input_schema=dict[str, int], output_schema=dict[str, str], execute=ask))
            .commit()
        )
        fallback = create_step(
            "fallback", input_schema=dict[str, int], output_schema=dict[str, str], execute=lambda ctx: {"answer": "fallback"}
        )

        def big(ctx: StepContext) -> bool:
            seen.append(("big", dict(ctx.input_data)))
            mapped: int = ctx.input_data["mappedValue"]
            return mapped > 10

        def small(ctx: StepContext) -> bool:
            seen.append(("small", dict(ctx.input_data)))
            mapped: int = ctx.input_data["mappedValue"]
            return mapped <= 10

        return (
            create_workflow("map-branch", input_schema=V, output_schema=dict[str, Any])
            .map(lambda ctx: {"mappedValue": ctx.input_data["value"] * 2})
            .branch([(big, nested), (small, fallback)])
            .commit()
        )

    wf = build()
    run = await wf.create_run(run_id="rebuilt")
    first = await run.start(input_data={"value": 10})
    assert first.status == "suspended"
    assert sorted(seen) == [("big", {"mappedValue": 20}), ("small", {"mappedValue": 20})]
    seen.clear()

    wf2 = build()
    wf2.bind_storage(wf.storage)
    run2 = await wf2.create_run(run_id="rebuilt")
    done = await run2.resume(step=first.suspended[0], resume_data={"answer": "hello"})
    assert done.status == "success"
    assert seen == []
    assert done.steps["nested"].status == "success"
    assert done.result == {"nested": {"answer": "hello"}}
    assert "fallback" not in done.steps


async def test_request_context_reaches_a_nested_workflow_after_resume() -> None:
    async def setup(ctx: StepContext) -> dict[str, Any]:
        ctx.request_context.set("test-key", "test-context-value")
        return {"ok": True}

    async def wait(ctx: StepContext) -> dict[str, bool]:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return {"resumed": ctx.resume_data["confirmed"]}

    async def inner(ctx: StepContext) -> dict[str, bool]:
        return {
            "success": True,
            "hasTestData": ctx.request_context.get("test-key") == "test-context-value",
            "initIsOwnInput": ctx.get_init_data() == {"resumed": True},
        }

    nested = (
        create_workflow("ctx-nested", input_schema=dict[str, bool], output_schema=dict[str, bool])
        .then(create_step("inner", input_schema=dict[str, bool], output_schema=dict[str, bool], execute=inner))
        .commit()
    )
    wf = (
        create_workflow("ctx-outer", input_schema=dict[str, Any], output_schema=dict[str, bool])
        .then(create_step("setup-step", input_schema=dict[str, Any], output_schema=dict[str, Any], execute=setup))
        .then(create_step("suspend-step", input_schema=dict[str, Any], output_schema=dict[str, bool], execute=wait))
        .then(nested)
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={})
    done = await run.resume(resume_data={"confirmed": True})
    assert done.status == "success"
    assert done.result == {"success": True, "hasTestData": True, "initIsOwnInput": True}


async def test_nested_failure_after_resume_fails_the_parent() -> None:
    calls: Counter[str] = Counter()

    async def ask(ctx: StepContext) -> V:
        calls["ask"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({})
        raise ValueError("inner exploded")

    nested = (
        create_workflow("boom-nested", input_schema=V, output_schema=V)
        .then(create_step("ask", input_schema=V, output_schema=V, execute=ask))
        .commit()
    )
    wf = outer_with(nested, calls, "boom-outer")
    run = await wf.create_run()
    await run.start(input_data={"value": 1})
    done = await run.resume(resume_data={"x": 1})
    assert done.status == "failed"
    assert done.error is not None
    assert done.error["message"] == "inner exploded"
    assert done.error["name"] == "ValueError"
    assert done.steps["boom-nested"].status == "failed"
    assert "last-step" not in done.steps
    assert calls == Counter({"begin": 1, "ask": 2})


def _labelled_gate(name: str) -> Step:
    def execute(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            ctx.suspend({"who": name}, resume_label=f"l-{name}")
        return {name: ctx.resume_data}

    return create_step(id=name, execute=execute)


async def test_every_suspended_step_inside_nested_workflows_is_reported_and_resumable_by_label() -> None:
    inner = create_workflow("pair").parallel([_labelled_gate("a"), _labelled_gate("b")]).commit()
    middle = create_workflow("middle").then(inner).commit()
    wf = create_workflow("two-deep").then(middle).commit()
    run = await wf.create_run()
    first = await run.start(input_data={})
    assert first.suspended == [["middle", "pair", "a"], ["middle", "pair", "b"]]
    assert first.resume_labels == {"l-a": {"stepId": "middle"}, "l-b": {"stepId": "middle"}}
    with pytest.raises(ResumeError, match=r"Multiple suspended steps found: \[middle, pair, a\], \[middle, pair, b\]"):
        await run.resume(resume_data=0)
    # The second step first, by its label: the label names that very step, not just the container.
    second = await run.resume(label="l-b", resume_data=2)
    assert second.status == "suspended"
    assert second.suspended == [["middle", "pair", "a"]]
    assert second.resume_labels == {"l-a": {"stepId": "middle"}}  # the sibling's label survives
    done = await run.resume(label="l-a", resume_data=1)
    assert done.status == "success"
    assert done.result == {"a": {"a": 1}, "b": {"b": 2}}  # a nested workflow outputs its last node's output
