"""Suspend and resume inside loops and foreach (scenarios S.121-S.129)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import ResumeError, StepContext, Workflow, WorkflowResult, create_step, create_workflow


class V(BaseModel):
    value: int


# -- loops -------------------------------------------------------------------------------------


async def test_dountil_over_a_nested_workflow_that_suspends() -> None:
    calls: Counter[str] = Counter()
    iterations: list[int | None] = []

    async def increment(ctx: StepContext) -> V:
        calls["increment"] += 1
        return V(value=ctx.input_data.value + 1)

    async def resume(ctx: StepContext) -> V:
        calls["resume"] += 1
        if ctx.resume_data is None or ctx.resume_data.value + ctx.input_data.value < 10:
            await ctx.suspend({"current": ctx.input_data.value})
        return V(value=ctx.resume_data.value + ctx.input_data.value)

    nested = (
        create_workflow("simple-resume-workflow", input_schema=V, output_schema=V)
        .then(create_step("increment", input_schema=V, output_schema=V, execute=increment))
        .then(create_step("resume", input_schema=V, output_schema=V, resume_schema=V, execute=resume))
        .commit()
    )

    def until(ctx: StepContext) -> bool:
        iterations.append(ctx.iteration_count)
        data: V = ctx.input_data
        return data.value >= 10

    final = create_step("final", input_schema=V, output_schema=V, execute=lambda ctx: V(value=ctx.input_data.value * 100))
    wf = create_workflow("dountil-nested", input_schema=V, output_schema=V).dountil(nested, until).then(final).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.status == "suspended"
    assert first.steps["simple-resume-workflow"].status == "suspended"
    assert first.suspended == [["simple-resume-workflow", "resume"]]

    again = await run.resume(step=["simple-resume-workflow", "resume"], resume_data={"value": 2})
    assert again.status == "suspended"  # 2 + 1 = 3 < 10
    assert again.steps["simple-resume-workflow"].suspend_payload["current"] == 1
    assert calls == Counter({"increment": 1, "resume": 2})

    done = await run.resume(step=["simple-resume-workflow", "resume"], resume_data={"value": 21})
    assert done.status == "success"
    assert done.steps["simple-resume-workflow"].status == "success"
    assert done.steps["simple-resume-workflow"].output == {"value": 22}
    assert done.result == V(value=2200)
    assert iterations == [1]
    assert calls == Counter({"increment": 1, "resume": 3})


async def test_loop_iteration_count_keeps_counting_across_resumes() -> None:
    iterations: list[int | None] = []
    calls: Counter[str] = Counter()

    async def body(ctx: StepContext) -> V:
        calls["body"] += 1
        if ctx.input_data.value % 2 == 1 and ctx.resume_data is None:
            await ctx.suspend({"at": ctx.input_data.value})
        return V(value=ctx.input_data.value + 1)

    def until(ctx: StepContext) -> bool:
        iterations.append(ctx.iteration_count)
        data: V = ctx.input_data
        return data.value >= 4

    s = create_step("body", input_schema=V, output_schema=V, resume_schema=dict[str, Any], execute=body)
    wf = create_workflow("count-loop", input_schema=V, output_schema=V).dountil(s, until).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0})
    assert first.status == "suspended"
    assert first.steps["body"].metadata == {"iterationCount": 2}
    second = await run.resume(resume_data={})
    assert second.status == "suspended"
    assert second.steps["body"].metadata == {"iterationCount": 4}
    done = await run.resume(resume_data={})
    assert done.status == "success"
    assert done.result == V(value=4)
    assert iterations == [1, 2, 3, 4]
    assert done.steps["body"].metadata == {"iterationCount": 4}
    assert calls["body"] == 6


async def test_looped_step_sees_the_right_input_after_each_resume() -> None:
    class S(BaseModel):
        value: int
        condition: bool

    async def step1(ctx: StepContext) -> S:
        if not (ctx.resume_data or {}).get("shouldContinue"):
            await ctx.suspend({"value": ctx.input_data.value})
        value = ctx.input_data.value + 1
        return S(value=value, condition=value >= 10)

    async def step2(ctx: StepContext) -> S:
        data: S = ctx.input_data
        return data

    s1 = create_step("step-1", input_schema=S, output_schema=S, resume_schema=dict[str, bool], execute=step1)
    s2 = create_step("step-2", input_schema=S, output_schema=S, execute=step2)
    wf = create_workflow("loop-input", input_schema=S, output_schema=S).dountil(s1, lambda ctx: ctx.input_data.condition).then(s2).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": 0, "condition": False})
    assert first.steps["step-1"].to_dict()["payload"] == {"value": 0, "condition": False}
    payloads = []
    for _ in range(3):
        result = await run.resume(resume_data={"shouldContinue": True})
        assert result.status == "suspended"
        payloads.append(result.steps["step-1"].to_dict()["payload"]["value"])
    assert payloads == [1, 2, 3]


async def test_each_loop_iteration_feeds_the_nested_workflow_a_new_input() -> None:
    inits: list[Any] = []
    keys_seen: list[list[str]] = []

    class By(BaseModel):
        amountToIncrementBy: int

    async def increment(ctx: StepContext) -> V:
        inits.append(ctx.get_init_data().value)
        keys_seen.append(list(ctx.request_context.keys()))
        if ctx.resume_data is None:
            await ctx.suspend({"at": ctx.input_data.value})
        return V(value=ctx.input_data.value + ctx.resume_data.amountToIncrementBy)

    inc = create_step("increment", input_schema=V, output_schema=V, resume_schema=By, execute=increment)
    nested = create_workflow("nested-inc", input_schema=V, output_schema=V).then(inc).commit()
    wf = (
        create_workflow("loop-nested-input", input_schema=V, output_schema=V)
        .dountil(nested, lambda ctx: ctx.input_data.value >= 10)
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={"value": 2})
    r = await run.resume(step=[nested, "increment"], resume_data={"amountToIncrementBy": 2})
    assert r.status == "suspended"  # 4 < 10: a new iteration suspended again
    assert r.steps["nested-inc"].suspend_payload["at"] == 4
    r = await run.resume(step=[nested, inc], resume_data={"amountToIncrementBy": 7})
    assert r.status == "success"
    assert r.result == V(value=11)
    # the first iteration's input 2 twice (start + resume), then the second iteration's input 4 twice
    assert inits == [2, 2, 4, 4]
    assert keys_seen == [[], [], [], []]


# -- foreach -------------------------------------------------------------------------------------


class Item(BaseModel):
    value: int


class Resume(BaseModel):
    resumeValue: int


def foreach_workflow(
    calls: Counter[str], concurrency: int, *, only_above: int | None = None, labels: bool = False, delay: float = 0.0
) -> Workflow:
    """Each item suspends (only items above `only_above` if given); on resume it returns value + 11 + resumeValue."""

    async def body(ctx: StepContext) -> Item:
        calls["body"] += 1
        if delay:
            await asyncio.sleep(delay)
        suspends = only_above is None or ctx.input_data.value > only_above
        if suspends and ctx.resume_data is None:
            label = f"test-label-{ctx.input_data.value}" if labels else None
            await ctx.suspend({"item": ctx.input_data.value}, resume_label=label)
        extra = ctx.resume_data.resumeValue if ctx.resume_data is not None else 0
        return Item(value=ctx.input_data.value + 11 + extra)

    async def final(ctx: StepContext) -> dict[str, int]:
        calls["final"] += 1
        return {"finalValue": sum(i.value for i in ctx.input_data)}

    step = create_step("map", input_schema=Item, output_schema=Item, resume_schema=Resume, execute=body)
    return (
        create_workflow("each", input_schema=list[Item], output_schema=dict[str, int])
        .foreach(step, concurrency=concurrency)
        .then(create_step("final", input_schema=list[Item], output_schema=dict[str, int], execute=final))
        .commit()
    )


def outputs(result: WorkflowResult) -> list[int]:
    return [o["value"] for o in result.to_dict()["steps"]["map"]["output"]]


async def test_foreach_one_item_at_a_time() -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 1)
    run = await wf.create_run()
    first = await run.start(input_data=[{"value": 1}, {"value": 22}, {"value": 333}])
    assert first.status == "suspended"
    assert first.suspended == [["map"]]
    assert first.suspend_payload == {"map": {"item": 1}}
    assert calls["body"] == 1  # a suspended item stops the queue
    statuses = []
    for rv in (0, 5, 0):
        result = await run.resume(resume_data={"resumeValue": rv})
        statuses.append(result.status)
    assert statuses == ["suspended", "suspended", "success"]
    assert calls == Counter({"body": 6, "final": 1})
    rec = result.to_dict()["steps"]["map"]
    assert rec["output"] == [{"value": 12}, {"value": 38}, {"value": 344}]
    assert rec["payload"] == [{"value": 1}, {"value": 22}, {"value": 333}]
    assert rec["resumePayload"] == {"resumeValue": 0}
    assert rec["status"] == "success"
    assert {"startedAt", "endedAt", "suspendedAt", "resumedAt"} <= set(rec)
    assert "suspendOutput" not in rec
    assert result.result == {"finalValue": 394}


async def test_concurrent_foreach_one_resume_resumes_every_suspended_item() -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 3, only_above=5)
    run = await wf.create_run()
    first = await run.start(input_data=[{"value": 22}, {"value": 1}, {"value": 333}])
    assert first.status == "suspended"
    meta = first.steps["map"].suspend_payload["__workflow_meta"]
    assert [e["status"] for e in meta["foreachOutput"]] == ["suspended", "success", "suspended"]
    done = await run.resume(resume_data={"resumeValue": 5})
    assert done.status == "success"
    assert calls == Counter({"body": 5, "final": 1})
    assert outputs(done) == [38, 12, 349]
    assert done.steps["map"].resume_payload == {"resumeValue": 5}
    assert done.result == {"finalValue": 399}


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ([(2, 5), (1, 0), (0, 3)], [15, 33, 349]),
        ([(0, 5), (1, 0), (2, 3)], [17, 33, 347]),
    ],
)
async def test_resume_one_foreach_item_by_index(order: list[tuple[int, int]], expected: list[int]) -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 3)
    run = await wf.create_run()
    first = await run.start(input_data=[{"value": 1}, {"value": 22}, {"value": 333}])
    assert first.status == "suspended"
    statuses = []
    for index, rv in order:
        result = await run.resume(for_each_index=index, resume_data={"resumeValue": rv})
        statuses.append(result.status)
        entries = result.steps["map"].suspend_payload
        if result.status == "suspended":
            assert entries["__workflow_meta"]["foreachOutput"][index]["status"] == "success"
    assert statuses == ["suspended", "suspended", "success"]
    assert outputs(result) == expected
    assert result.steps["map"].resume_payload == {"resumeValue": order[-1][1]}
    assert calls["body"] == 6


async def test_resume_foreach_items_by_label() -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 3, labels=True)
    run = await wf.create_run()
    first = await run.start(input_data=[{"value": 0}, {"value": 1}, {"value": 2}])
    assert first.resume_labels == {
        "test-label-0": {"stepId": "map", "foreachIndex": 0},
        "test-label-1": {"stepId": "map", "foreachIndex": 1},
        "test-label-2": {"stepId": "map", "foreachIndex": 2},
    }
    r = await run.resume(label="test-label-2", resume_data={"resumeValue": 5})
    assert r.status == "suspended"
    assert set(r.resume_labels) == {"test-label-0", "test-label-1"}
    r = await run.resume(label="test-label-1", resume_data={"resumeValue": 0})
    assert r.resume_labels == {"test-label-0": {"stepId": "map", "foreachIndex": 0}}
    r = await run.resume(label="test-label-0", resume_data={"resumeValue": 3})
    assert r.status == "success"
    assert outputs(r) == [14, 12, 18]
    assert r.result == {"finalValue": 44}


async def test_partial_concurrency_resumes_suspended_and_never_started_items() -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 3, only_above=5)
    run = await wf.create_run()
    items = [{"value": 22}, {"value": 1}, {"value": 333}, {"value": 444}, {"value": 1000}]
    first = await run.start(input_data=items)
    assert first.status == "suspended"
    assert calls["body"] == 3  # the first suspension stops new items from starting
    entries = first.steps["map"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert [e and e["status"] for e in entries] == ["suspended", "success", "suspended", None, None]
    second = await run.resume(resume_data={"resumeValue": 5})
    # queued items were not dropped (#24581): they ran, and suspended in turn
    assert second.status == "suspended"
    entries = second.steps["map"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert [e["status"] for e in entries] == ["success", "success", "success", "suspended", "suspended"]
    done = await run.resume(resume_data={"resumeValue": 5})
    assert done.status == "success"
    assert calls == Counter({"body": 9, "final": 1})
    assert outputs(done) == [38, 12, 349, 460, 1016]


async def test_partial_concurrency_resumed_by_index() -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 3, only_above=5)
    run = await wf.create_run()
    await run.start(input_data=[{"value": 22}, {"value": 1}, {"value": 333}, {"value": 444}, {"value": 1000}])
    statuses = []
    for index, rv in ((2, 5), (0, 3), (3, 2), (4, 8)):
        result = await run.resume(for_each_index=index, resume_data={"resumeValue": rv})
        statuses.append(result.status)
    assert statuses == ["suspended", "suspended", "suspended", "success"]
    assert outputs(result) == [36, 12, 349, 457, 1019]
    assert result.steps["map"].resume_payload == {"resumeValue": 8}


async def test_each_suspended_item_keeps_its_own_suspend_payload() -> None:
    class Doc(BaseModel):
        name: str

    async def review(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            await ctx.suspend({"streamState": {"name": ctx.input_data.name, "token": f"tok-{ctx.input_data.name}"}})
        return {"name": ctx.input_data.name, "approved": ctx.resume_data["approved"], "saw": ctx.suspend_data}

    step = create_step("review", input_schema=Doc, output_schema=dict[str, Any], execute=review)
    wf = create_workflow("payloads", input_schema=list[Doc], output_schema=list[dict[str, Any]]).foreach(step, concurrency=3).commit()
    run = await wf.create_run()
    first = await run.start(input_data=[{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}])
    entries = first.steps["review"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert entries == [
        {"status": "suspended", "payload": {"name": n}, "suspendPayload": {"streamState": {"name": n, "token": f"tok-{n}"}}}
        for n in ("alpha", "beta", "gamma")
    ]
    mid = await run.resume(for_each_index=0, resume_data={"approved": True})
    entries = mid.steps["review"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert entries[0]["status"] == "success"
    assert entries[1]["suspendPayload"] == {"streamState": {"name": "beta", "token": "tok-beta"}}
    assert entries[2]["suspendPayload"] == {"streamState": {"name": "gamma", "token": "tok-gamma"}}
    mid = await run.resume(for_each_index=1, resume_data={"approved": False})
    done = await run.resume(for_each_index=2, resume_data={"approved": True})
    assert done.status == "success"
    assert done.result == [
        {"name": "alpha", "approved": True, "saw": {"streamState": {"name": "alpha", "token": "tok-alpha"}}},
        {"name": "beta", "approved": False, "saw": {"streamState": {"name": "beta", "token": "tok-beta"}}},
        {"name": "gamma", "approved": True, "saw": {"streamState": {"name": "gamma", "token": "tok-gamma"}}},
    ]


async def test_bad_for_each_index_is_refused_and_the_run_stays_resumable() -> None:
    calls: Counter[str] = Counter()
    wf = foreach_workflow(calls, 3, only_above=5)
    run = await wf.create_run()
    await run.start(input_data=[{"value": 22}, {"value": 1}, {"value": 333}])
    for index in (1, 3, -1):  # 1 already succeeded; 3 and -1 are out of range
        with pytest.raises(ResumeError) as info:
            await run.resume(for_each_index=index, resume_data={"resumeValue": 1})
        assert str(info.value) == f'Item {index} of foreach step "map" is not suspended'
    assert calls["body"] == 3
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "suspended"
    r = await run.resume(for_each_index=2, resume_data={"resumeValue": 1})
    assert r.status == "suspended"
    r = await run.resume(for_each_index=0, resume_data={"resumeValue": 1})
    assert r.status == "success"
    assert outputs(r) == [34, 12, 345]


async def test_foreach_over_a_nested_workflow_that_suspends() -> None:
    calls: Counter[str] = Counter()

    async def ask(ctx: StepContext) -> Item:
        calls["ask"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"item": ctx.input_data.value})
        return Item(value=ctx.input_data.value * ctx.resume_data["times"])

    nested = (
        create_workflow("per-item", input_schema=Item, output_schema=Item)
        .then(create_step("ask", input_schema=Item, output_schema=Item, execute=ask))
        .commit()
    )
    wf = create_workflow("each-nested", input_schema=list[Item], output_schema=list[Item]).foreach(nested, concurrency=2).commit()
    run = await wf.create_run()
    first = await run.start(input_data=[{"value": 1}, {"value": 2}])
    assert first.status == "suspended"
    assert first.suspended[0][0] == "per-item"
    mid = await run.resume(for_each_index=1, resume_data={"times": 10})
    assert mid.status == "suspended"
    done = await run.resume(resume_data={"times": 3})
    assert done.status == "success"
    assert done.to_dict()["result"] == [{"value": 3}, {"value": 20}]
    assert calls["ask"] == 4


async def test_foreach_item_failing_after_resume_fails_the_run() -> None:
    async def body(ctx: StepContext) -> Item:
        if ctx.resume_data is None:
            await ctx.suspend({})
        if ctx.input_data.value == 2:
            raise RuntimeError("item 2 rejected")
        item: Item = ctx.input_data
        return item

    step = create_step("check", input_schema=Item, output_schema=Item, execute=body)
    wf = create_workflow("each-fail", input_schema=list[Item], output_schema=list[Item]).foreach(step, concurrency=2).commit()
    run = await wf.create_run()
    await run.start(input_data=[{"value": 1}, {"value": 2}])
    done = await run.resume(resume_data={"ok": True})
    assert done.status == "failed"
    assert done.error is not None
    assert done.error["message"] == "item 2 rejected"
    assert done.steps["check"].status == "failed"


async def test_a_later_iteration_does_not_keep_the_resume_payload() -> None:
    """Mastra keeps a stale `resumePayload` on the loop step's record after later iterations;
    the record of an iteration that ran without resume data has none."""

    async def body(ctx: StepContext) -> dict[str, int]:
        n = ctx.input_data["n"]
        if n == 0 and ctx.resume_data is None:
            await ctx.suspend({"ask": True})
        return {"n": n + 1}

    wf = create_workflow("loop-stale-resume").dountil(create_step("body", execute=body), lambda ctx: ctx.input_data["n"] >= 3).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"n": 0})).status == "suspended"
    done = await run.resume(resume_data={"ok": 1})
    assert done.status == "success"
    record = done.steps["body"]
    assert record.output == {"n": 3}
    assert record.resume_payload is None
    assert "resumePayload" not in record.to_dict()
