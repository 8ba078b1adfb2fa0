"""Restart: recovering a run interrupted by a crash (scenarios AA.176-AA.184).

Crashes are made two ways: by canceling the task that drives a run while a step is
blocked (the process "dies" mid-step: storage keeps status `running` and the records of
the steps that finished), and by rewriting a stored run through the storage API.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import Run, RunNotFoundError, RunStateError, Step, StepContext, Stepstream, Workflow, create_step, create_workflow
from stepstream.storage import InMemoryStorage

from .flows import Crash, Final, three_steps


async def crash_during(run: Run, crash: Crash, **start_kwargs: Any) -> None:
    """Starts `run`, waits until the crashing step is entered, then kills the task."""
    task = asyncio.create_task(run.start(**start_kwargs))
    await asyncio.wait_for(crash.entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def chain(
    calls: Counter[str], crash: Crash | None = None, flags: list[tuple[str, bool]] | None = None, wf_id: str = "restartable"
) -> Workflow:
    """step1 (+2) -> step2 (+1, may crash) -> step3 (+1)."""
    return three_steps(calls, wf_id, crash=crash, flags=flags)


# -- AA.176 / AA.183: which runs can be restarted ------------------------------------------------------


async def test_restart_of_a_run_that_never_started_is_refused() -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    run = await wf.create_run()
    with pytest.raises(RunStateError) as info:
        await run.restart()
    assert str(info.value).startswith("This workflow run was not active")
    assert calls == Counter()


async def test_restart_of_a_suspended_run_is_refused() -> None:
    async def ask(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return 1

    wf = create_workflow("restart-suspended").then(create_step("ask", execute=ask)).commit()
    run = await wf.create_run()
    await run.start(input_data={})
    with pytest.raises(RunStateError, match=r"^This workflow run was not active"):
        await run.restart()
    assert (await run.resume(resume_data={})).status == "success"


async def test_restart_of_a_deleted_run_is_not_found() -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    run = await wf.create_run(run_id="deleted")
    await wf.delete_run("deleted")
    with pytest.raises(RunNotFoundError, match=r"^No snapshot found for this workflow run: restartable deleted$"):
        await run.restart()


@pytest.mark.parametrize("value", [1, -10])
async def test_restart_of_a_finished_run_returns_the_stored_result_without_running(value: int) -> None:
    calls: Counter[str] = Counter()

    async def step(ctx: StepContext) -> dict[str, bool]:
        calls["step"] += 1
        if ctx.input_data["value"] < 0:
            raise RuntimeError("negative")
        return {"done": True}

    wf = create_workflow("restart-finished").then(create_step("step", execute=step)).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"value": value})
    restarted = await run.restart()
    assert restarted.status == first.status
    assert restarted.to_dict()["steps"]["step"] == first.to_dict()["steps"]["step"]
    if first.status == "success":
        assert restarted.result == {"done": True}
    else:
        assert restarted.error is not None
        assert restarted.error["message"] == "negative"
    assert calls == Counter({"step": 1})


async def test_restart_while_executing_in_this_process_is_refused() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()
    wf = chain(calls, crash, wf_id="restart-busy")
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"value": 0}))
    await crash.entered.wait()
    with pytest.raises(RunStateError, match=r"is executing in this process; it cannot be restarted"):
        await run.restart()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# -- AA.177: restart from the interrupted step ----------------------------------------------------------


async def test_restart_after_a_crash_reruns_only_the_interrupted_step_and_what_follows() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()
    flags: list[tuple[str, bool]] = []
    wf = chain(calls, crash, flags)
    run = await wf.create_run(run_id="crashed")
    await crash_during(run, crash, input_data={"value": 0})

    stored = await wf.storage.load_run(wf.id, "crashed")
    assert stored is not None
    assert stored.status == "running"
    assert set(stored.steps) == {"step1"}
    assert calls == Counter({"step1": 1, "step2": 1})

    # a new process: a fresh workflow object over the same storage
    calls2: Counter[str] = Counter()
    flags2: list[tuple[str, bool]] = []
    wf2 = chain(calls2, None, flags2)
    wf2.bind_storage(wf.storage)
    run2 = await wf2.create_run(run_id="crashed")
    assert run2.status == "running"
    result = await run2.restart()
    assert result.status == "success"
    assert result.result == Final(final=4)
    data = result.to_dict()
    assert data["input"] == {"value": 0}
    assert data["steps"]["step2"]["output"] == {"step2Result": 3}
    assert data["steps"]["step3"]["output"] == {"final": 4}
    assert data["steps"]["step1"] == stored.steps["step1"].to_dict()
    assert calls2 == Counter({"step2": 1, "step3": 1})  # step1 is never run again
    assert flags == [("step1", False), ("step2", False)]
    assert flags2[0] == ("step2", True)
    final = await wf.storage.load_run(wf.id, "crashed")
    assert final is not None
    assert final.status == "success"


async def test_restart_of_a_run_rewritten_through_the_storage_api() -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls, wf_id="rewritten")
    run = await wf.create_run(run_id="rw")
    await run.start(input_data={"value": 0})
    # make it look interrupted inside step2: status running, step2 and step3 never recorded
    await wf.storage.update_run(wf.id, "rw", {"status": "running", "result": None})
    await wf.storage.delete_steps(wf.id, "rw", ["step2", "step3"])
    calls.clear()
    result = await run.restart()
    assert result.status == "success"
    assert result.result == Final(final=4)
    assert calls == Counter({"step2": 1, "step3": 1})
    stored = await wf.storage.load_run(wf.id, "rw")
    assert stored is not None
    assert stored.status == "success"
    assert stored.result == {"final": 4}


async def test_restart_a_second_time_after_success_runs_nothing() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()
    wf = chain(calls, crash, wf_id="restart-twice")
    run = await wf.create_run()
    await crash_during(run, crash, input_data={"value": 1})
    first = await run.restart()
    assert first.status == "success"
    before = Counter(calls)
    again = await run.restart()
    assert again.status == "success"
    assert again.result == {"final": 5}
    assert calls == before


async def test_restart_keeps_state_and_request_context() -> None:
    class St(BaseModel):
        log: list[str] = []

    crash = Crash()

    async def first(ctx: StepContext) -> int:
        ctx.request_context.set("seen-first", True)
        await ctx.set_state({"log": [*ctx.state.log, "first"]})
        return 1

    async def second(ctx: StepContext) -> dict[str, Any]:
        await crash.maybe_hang()
        await ctx.set_state({"log": [*ctx.state.log, "second"]})
        return {"tenant": ctx.request_context.get("tenant"), "seen": ctx.request_context.get("seen-first")}

    wf = (
        create_workflow("restart-state", state_schema=St)
        .then(create_step("first", execute=first))
        .then(create_step("second", execute=second))
        .commit()
    )
    run = await wf.create_run()
    await crash_during(run, crash, input_data={}, initial_state={"log": ["parent"]}, request_context={"tenant": "acme"})
    result = await run.restart()
    assert result.status == "success"
    assert result.result == {"tenant": "acme", "seen": True}
    assert result.state == {"log": ["parent", "first", "second"]}


# -- AA.178 / AA.179 / AA.180: nested, parallel, loop ------------------------------------------------------


async def test_restart_inside_a_nested_workflow() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()

    def counted(step_id: str, fn: Callable[[Any], Any], hang: bool = False) -> Step:
        async def execute(ctx: StepContext) -> Any:
            calls[step_id] += 1
            if hang:
                await crash.maybe_hang()
            return fn(ctx.input_data)

        return create_step(step_id, execute=execute)

    nested = (
        create_workflow("nestedWorkflow")
        .then(counted("step2", lambda d: {"step2Result": d["step1Result"] + 1}))
        .then(counted("step3", lambda d: {"nestedFinal": d["step2Result"] + 1}, hang=True))
        .commit()
    )
    wf = (
        create_workflow("restart-nested")
        .then(counted("step1", lambda d: {"step1Result": d["value"] + 2}))
        .then(nested)
        .then(counted("step4", lambda d: {"final": d["nestedFinal"] + 1}))
        .commit()
    )
    run = await wf.create_run()
    await crash_during(run, crash, input_data={"value": 0})
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert set(stored.steps) == {"step1", "nestedWorkflow.step2"}
    calls.clear()
    result = await run.restart()
    assert result.status == "success"
    assert result.steps["nestedWorkflow"].output == {"nestedFinal": 4}
    assert result.result == {"final": 5}
    assert calls == Counter({"step3": 1, "step4": 1})


async def test_restart_a_parallel_block_reruns_only_unfinished_branches() -> None:
    calls: Counter[str] = Counter()
    crash = Crash(times=2)

    def branch(step_id: str, hang: bool) -> Step:
        async def execute(ctx: StepContext) -> dict[str, str]:
            calls[step_id] += 1
            if hang:
                await crash.maybe_hang()
            return {"result": f"{step_id} done"}

        return create_step(step_id, execute=execute)

    async def final(ctx: StepContext) -> dict[str, Any]:
        calls["finalStep"] += 1
        data: dict[str, Any] = ctx.input_data
        return data

    wf = (
        create_workflow("restart-parallel")
        .parallel([branch("parallelStep1", False), branch("parallelStep2", True), branch("parallelStep3", True)])
        .then(create_step("finalStep", execute=final))
        .commit()
    )
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={}))
    while crash.times:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert set(stored.steps) == {"parallelStep1"}
    calls.clear()
    result = await run.restart()
    assert result.status == "success"
    assert calls == Counter({"parallelStep2": 1, "parallelStep3": 1, "finalStep": 1})
    assert result.result == {f"parallelStep{i}": {"result": f"parallelStep{i} done"} for i in (1, 2, 3)}


async def test_restart_inside_a_loop_keeps_the_iteration_count() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()
    iterations: list[int | None] = []

    async def body(ctx: StepContext) -> int:
        calls["body"] += 1
        if ctx.input_data == 3:
            await crash.maybe_hang()
        n: int = ctx.input_data
        return n + 1

    def until(ctx: StepContext) -> bool:
        iterations.append(ctx.iteration_count)
        n: int = ctx.input_data
        return n >= 5

    wf = create_workflow("restart-loop").dountil(create_step("body", execute=body), until).commit()
    run = await wf.create_run()
    await crash_during(run, crash, input_data=0)
    assert iterations == [1, 2, 3]
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.steps["body"].output == 3
    assert stored.steps["body"].metadata == {"iterationCount": 3}
    iterations.clear()
    calls.clear()
    result = await run.restart()
    assert result.status == "success"
    assert result.result == 5
    assert result.steps["body"].metadata == {"iterationCount": 5}
    assert iterations == [3, 4, 5]
    assert calls == Counter({"body": 2})


async def test_restart_during_a_sleep() -> None:
    calls: Counter[str] = Counter()

    async def before(ctx: StepContext) -> int:
        calls["before"] += 1
        return 1

    async def after(ctx: StepContext) -> int:
        calls["after"] += 1
        n: int = ctx.input_data
        return n + 1

    wf = (
        create_workflow("restart-sleep")
        .then(create_step("before", execute=before))
        .sleep(5000)
        .then(create_step("after", execute=after))
        .commit()
    )
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={}))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "waiting"
    # a shorter sleep this time, so the test stays quick: the rewritten workflow shares the ids
    wf2 = (
        create_workflow("restart-sleep")
        .then(create_step("before", execute=before))
        .sleep(10)
        .then(create_step("after", execute=after))
        .commit()
    )
    wf2.bind_storage(wf.storage)
    run2 = await wf2.create_run(run_id=run.run_id)
    result = await run2.restart()
    assert result.status == "success"
    assert result.result == 2
    assert calls == Counter({"before": 1, "after": 1})


# -- AA.181: restart, then suspend and resume -------------------------------------------------------------


async def test_restart_then_suspend_and_resume() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()

    async def get_user_input(ctx: StepContext) -> dict[str, str]:
        calls["getUserInput"] += 1
        return {"userInput": ctx.input_data["input"]}

    async def prompt_agent(ctx: StepContext) -> dict[str, str]:
        calls["promptAgent"] += 1
        await crash.maybe_hang()
        if ctx.resume_data is None:
            await ctx.suspend({"testPayload": "hello"})
        return {"modelOutput": ctx.input_data["userInput"] + ctx.resume_data["more"]}

    async def improve(ctx: StepContext) -> dict[str, str]:
        calls["improveResponse"] += 1
        if ctx.resume_data is None:
            await ctx.suspend()
        return {"final": ctx.input_data["modelOutput"] + "!"}

    wf = (
        create_workflow("restart-suspend")
        .then(create_step("getUserInput", execute=get_user_input))
        .then(create_step("promptAgent", execute=prompt_agent))
        .then(create_step("improveResponse", execute=improve))
        .commit()
    )
    run = await wf.create_run()
    await crash_during(run, crash, input_data={"input": "in"})
    calls.clear()
    restarted = await run.restart()
    assert restarted.status == "suspended"
    assert restarted.suspended == [["promptAgent"]]
    mid = await run.resume(resume_data={"more": "+"})
    assert mid.suspended == [["improveResponse"]]
    done = await run.resume(resume_data={})
    assert done.status == "success"
    assert done.result == {"final": "in+!"}
    assert calls == Counter({"promptAgent": 2, "improveResponse": 2})  # getUserInput never again


# -- the app: restart every active run ---------------------------------------------------------------------


async def test_app_restarts_every_active_run() -> None:
    storage = InMemoryStorage()
    calls: Counter[str] = Counter()
    crash = Crash(times=2)
    wf = chain(calls, crash, wf_id="app-restart")
    app = Stepstream(workflows=[wf], storage=storage)
    runs = [await wf.create_run(run_id=f"r{i}") for i in range(2)]
    for run in runs:
        crash.entered.clear()
        await crash_during(run, crash, input_data={"value": 1})
    done = await wf.create_run(run_id="done")
    assert (await done.start(input_data={"value": 5})).status == "success"

    calls2: Counter[str] = Counter()
    wf2 = chain(calls2, None, wf_id="app-restart")
    app2 = Stepstream(workflows=[wf2], storage=storage)
    results = await app2.restart_active_runs()
    assert sorted(r.run_id for r in results) == ["r0", "r1"]
    assert all(r.status == "success" and r.result == Final(final=5) for r in results)
    assert calls2 == Counter({"step2": 2, "step3": 2})
    assert app is not app2


def _approvals(crash: Crash | None, seen: list[Any]) -> Workflow:
    """A nested approval step and a foreach of approvals; each records the resume data it got."""

    async def approve(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({"item": ctx.input_data})
        if crash is not None:
            await crash.maybe_hang()
        seen.append((ctx.input_data, ctx.resume_data))
        return {"item": ctx.input_data, "ok": ctx.resume_data["ok"]}

    inner = create_workflow(id="inner-approval").then(create_step(id="approve", execute=approve)).commit()
    each = create_step(id="each", execute=approve)
    return create_workflow(id="approvals").then(inner).map(lambda ctx: [1, 2]).foreach(each).commit()


@pytest.mark.parametrize("target", ["nested", "foreach"])
async def test_a_crash_in_a_resumed_nested_or_foreach_step_restarts_with_its_resume_data(target: str) -> None:
    """The accepted resume (its path, foreach index and data) is stored with the claim."""
    storage = InMemoryStorage()
    first: list[Any] = []
    wf = _approvals(None, first)
    Stepstream([wf], storage=storage)
    run = await wf.create_run(run_id="r")
    assert (await run.start(input_data=0)).suspended == [["inner-approval", "approve"]]
    if target == "foreach":
        assert (await run.resume(step="inner-approval.approve", resume_data={"ok": "n"})).status == "suspended"
    crash = Crash()
    crashing = _approvals(crash, first)
    app = Stepstream([crashing], storage=storage)
    run = await crashing.create_run(run_id="r")
    resume = {"step": "inner-approval.approve"} if target == "nested" else {"step": "each", "for_each_index": 0}
    task = asyncio.create_task(run.resume(resume_data={"ok": "yes"}, **resume))
    await asyncio.wait_for(crash.entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # a new process
    seen: list[Any] = []
    again = Stepstream([_approvals(None, seen)], storage=storage)
    results = await again.restart_active_runs()
    assert [r.status for r in results] == ["suspended"]
    if target == "nested":
        assert seen == [(0, {"ok": "yes"})]  # the approval was not lost: foreach items now wait
        assert results[0].steps["inner-approval"].output == {"item": 0, "ok": "yes"}
    else:
        assert seen == [(1, {"ok": "yes"})]  # item 0 got its approval; the next item now waits
        assert results[0].suspended == [["each"]]
    await app.close()


async def test_restart_runs_a_step_id_used_again_after_the_interrupted_step() -> None:
    """`inc -> slow -> inc` dies in `slow`: the restart runs `slow`, then `inc` again on its output,
    though the run holds a success record for `inc` (the first entry's)."""
    calls: Counter[str] = Counter()
    crash = Crash()

    class V(BaseModel):
        value: int

    async def inc(ctx: StepContext) -> V:
        calls["inc"] += 1
        return V(value=ctx.input_data.value + 1)

    async def slow(ctx: StepContext) -> V:
        calls["slow"] += 1
        await crash.maybe_hang()
        return V(value=ctx.input_data.value * 10)

    inc_step = create_step("inc", execute=inc, input_schema=V, output_schema=V)
    wf = (
        create_workflow("inc-slow-inc", input_schema=V, output_schema=V)
        .then(inc_step)
        .then(create_step("slow", execute=slow, input_schema=V, output_schema=V))
        .then(inc_step)
        .commit()
    )
    Stepstream([wf], storage=InMemoryStorage())
    run = await wf.create_run()
    await crash_during(run, crash, input_data={"value": 1})
    assert calls == Counter(inc=1, slow=1)
    result = await run.restart()
    assert result.status == "success"
    assert result.result == V(value=21)  # (1 + 1) * 10 + 1
    assert calls == Counter(inc=2, slow=2)


async def test_restart_async_claims_the_run_and_returns_its_id_at_once() -> None:
    calls: Counter[str] = Counter()
    crash = Crash()
    wf = chain(calls, crash)
    run = await wf.create_run(run_id="crashed-async")
    await crash_during(run, crash, input_data={"value": 0})
    assert await run.restart_async() == "crashed-async"
    stored = await wf.storage.load_run(wf.id, "crashed-async")
    assert stored is not None and stored.status == "running"  # claimed: a new owner, still running
    stream = run.observe_stream()
    assert [e.type async for e in stream][-1] == "workflow-finish"
    result = await stream.result
    assert (result.status, result.result) == ("success", {"final": 4})  # an observer reads the log's JSON
    assert calls == Counter({"step1": 1, "step2": 2, "step3": 1})
    with pytest.raises(RunStateError):  # finished: nothing to restart, and the refusal is raised here
        await (await wf.create_run()).restart_async()
