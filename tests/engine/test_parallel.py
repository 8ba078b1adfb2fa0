"""C. Parallel (Mastra scenarios 21-27)."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from stepstream import create_step, create_workflow

from .matchers import T


def _ms(value: int | None) -> int:
    """A timestamp of a finished step's record (always set)."""
    assert value is not None
    return value


class Empty(BaseModel):
    pass


class Value(BaseModel):
    value: str


# -- 21: basic parallel ------------------------------------------------------------------------


async def test_basic_parallel_exact_records() -> None:
    calls: list[str] = []

    def make(name: str) -> Any:
        def body(ctx: Any) -> Value:
            calls.append(name)
            return Value(value=name)

        return create_step(id=name, input_schema=Empty, output_schema=Value, execute=body)

    wf = create_workflow(id="par", input_schema=Empty, output_schema=Any).parallel([make("step1"), make("step2")]).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert sorted(calls) == ["step1", "step2"]
    assert result.to_dict()["steps"] == {
        "input": {},
        "step1": {"status": "success", "output": {"value": "step1"}, "payload": {}, "startedAt": T, "endedAt": T},
        "step2": {"status": "success", "output": {"value": "step2"}, "payload": {}, "startedAt": T, "endedAt": T},
    }
    assert result.to_dict()["result"] == {"step1": {"value": "step1"}, "step2": {"value": "step2"}}


# -- 22: keyed output, real concurrency, ordered timing ---------------------------------------------


async def test_parallel_steps_overlap_and_timing_is_ordered() -> None:
    active = 0
    peak = 0
    final_payload: list[Any] = []

    async def initial(ctx: Any) -> dict[str, str]:
        await asyncio.sleep(0.02)
        return {"result": "initial"}

    def parallel_step(i: int) -> Any:
        async def body(ctx: Any) -> dict[str, str]:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.05)
            active -= 1
            return {"result": f"p{i}:{ctx.input_data['result']}"}

        return create_step(id=f"parallelStep{i}", input_schema=dict[str, str], output_schema=dict[str, str], execute=body)

    def final(ctx: Any) -> dict[str, Any]:
        final_payload.append(ctx.input_data)
        return {"done": True}

    wf = (
        create_workflow(id="par-timing", input_schema=Empty, output_schema=Any)
        .then(create_step(id="initialStep", input_schema=Empty, output_schema=dict[str, str], execute=initial))
        .parallel([parallel_step(1), parallel_step(2), parallel_step(3)])
        .then(create_step(id="finalStep", input_schema=dict[str, Any], output_schema=dict[str, bool], execute=final))
        .commit()
    )
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await (await wf.create_run()).start(input_data={})
    elapsed = loop.time() - t0
    assert result.status == "success"
    assert peak == 3
    assert elapsed < 0.02 + 3 * 0.05  # the three 50 ms steps ran at the same time
    assert final_payload == [
        {
            "parallelStep1": {"result": "p1:initial"},
            "parallelStep2": {"result": "p2:initial"},
            "parallelStep3": {"result": "p3:initial"},
        }
    ]
    steps = result.steps
    initial_end = _ms(steps["initialStep"].ended_at)
    par = [steps[f"parallelStep{i}"] for i in (1, 2, 3)]
    assert all(_ms(p.started_at) >= initial_end for p in par)
    assert _ms(steps["finalStep"].started_at) >= max(_ms(p.ended_at) for p in par)
    assert result.step_execution_path[0] == "initialStep"
    assert result.step_execution_path[-1] == "finalStep"


# -- 23: two parallel blocks in a row ------------------------------------------------------------


async def test_consecutive_parallel_blocks() -> None:
    seen: dict[str, Any] = {}

    def rec(name: str, fn: Any) -> Any:
        def body(ctx: Any) -> Any:
            seen[name] = ctx.input_data
            return fn(ctx.input_data)

        return create_step(id=name, input_schema=dict[str, Any], output_schema=dict[str, str], execute=body)

    step1 = rec("step1", lambda d: {"result1": f"processed-{d['input']}"})
    step2 = rec("step2", lambda d: {"result2": f"transformed-{d['input']}"})
    step3 = rec("step3", lambda d: {"result3": f"combined-{d['step1']['result1']}-{d['step2']['result2']}"})
    step4 = rec("step4", lambda d: {"result4": "ok"})
    wf = (
        create_workflow(id="par-par", input_schema=dict[str, str], output_schema=Any)
        .parallel([step1, step2])
        .parallel([step3, step4])
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"input": "test-data"})
    merged = {"step1": {"result1": "processed-test-data"}, "step2": {"result2": "transformed-test-data"}}
    assert seen == {"step1": {"input": "test-data"}, "step2": {"input": "test-data"}, "step3": merged, "step4": merged}
    assert result.steps["step3"].output == {"result3": "combined-processed-test-data-transformed-test-data"}
    assert result.result == {"step3": {"result3": "combined-processed-test-data-transformed-test-data"}, "step4": {"result4": "ok"}}


# -- 26: a failed branch is recorded per step -------------------------------------------------------


async def test_failed_parallel_branch_fails_the_run_after_siblings_finish() -> None:
    calls: list[str] = []

    async def slow_ok(ctx: Any) -> Value:
        await asyncio.sleep(0.02)
        calls.append("step1")
        return Value(value="ok")

    def fail(ctx: Any) -> Value:
        calls.append("step2")
        raise RuntimeError("Step execution failed")

    step1 = create_step(id="step1", input_schema=Empty, output_schema=Value, execute=slow_ok)
    step2 = create_step(id="step2", input_schema=Empty, output_schema=Value, execute=fail)
    step3 = create_step(id="step3", input_schema=Any, output_schema=Any, execute=lambda ctx: calls.append("step3"))
    wf = create_workflow(id="par-fail", input_schema=Empty, output_schema=Any).parallel([step1, step2]).then(step3).commit()
    result = await (await wf.create_run()).start(input_data={})

    assert result.status == "failed"
    assert sorted(calls) == ["step1", "step2"]  # no short-circuit, and nothing after the block
    steps = result.to_dict()["steps"]
    assert steps["step1"] == {"status": "success", "payload": {}, "output": {"value": "ok"}, "startedAt": T, "endedAt": T}
    assert steps["step2"]["status"] == "failed"
    assert steps["step2"]["payload"] == {}
    assert "step3" not in steps
    err = result.steps["step2"].error
    assert isinstance(err, RuntimeError)
    assert str(err) == "Step execution failed"
    assert result.error == {"message": "Step execution failed", "name": "RuntimeError"}


async def test_first_failure_in_declaration_order_is_the_run_error() -> None:
    async def fail_late(ctx: Any) -> Any:
        await asyncio.sleep(0.02)
        raise ValueError("first declared")

    def fail_early(ctx: Any) -> Any:
        raise KeyError("second declared")

    a = create_step(id="a", execute=fail_late)
    b = create_step(id="b", execute=fail_early)
    wf = create_workflow(id="par-two-fail", input_schema=Any, output_schema=Any).parallel([a, b]).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "first declared"
    assert result.steps["a"].status == "failed"
    assert result.steps["b"].status == "failed"


# -- 27: writers in parallel -----------------------------------------------------------------------


async def test_parallel_steps_writing_at_once() -> None:
    def writer_step(i: int) -> Any:
        async def body(ctx: Any) -> dict[str, int]:
            for n in range(3):
                await ctx.writer.custom({"type": "data-progress", "data": {"step": i, "n": n}})
                await ctx.writer.write({"step": i, "n": n})
                await asyncio.sleep(0)
            return {"i": i}

        return create_step(id=f"w{i}", input_schema=Any, output_schema=dict[str, int], execute=body)

    wf = (
        create_workflow(id="par-writer", input_schema=Any, output_schema=Any)
        .parallel([writer_step(1), writer_step(2), writer_step(3)])
        .commit()
    )
    run = await wf.create_run()
    stream = run.stream(input_data={})
    events = [e async for e in stream]
    result = await stream.result
    assert result.status == "success"
    assert all(result.steps[f"w{i}"].status == "success" for i in (1, 2, 3))
    custom = [e.to_dict() for e in events if e.type == "data-progress"]
    assert len(custom) == 9
    assert sorted((c["data"]["step"], c["data"]["n"]) for c in custom) == [(i, n) for i in (1, 2, 3) for n in range(3)]
    outputs = [e.to_dict() for e in events if e.type == "workflow-step-output"]
    assert len(outputs) == 9
    assert {o["payload"]["stepName"] for o in outputs} == {"w1", "w2", "w3"}
    assert all(o["from"] == "USER" and o["payload"]["runId"] == run.run_id for o in outputs)
    assert {(o["payload"]["output"]["step"], o["payload"]["output"]["n"]) for o in outputs} == {(i, n) for i in (1, 2, 3) for n in range(3)}


# -- 24, 25: allow_failure --------------------------------------------------------------------------


def _allow_failure_workflow(wf_id: str, *, allow_failure: bool, all_fail: bool = False) -> Any:
    def boom(ctx: Any) -> Any:
        raise RuntimeError("failing step")

    ok = create_step(
        id="success-step", input_schema=Any, output_schema=dict[str, str], execute=boom if all_fail else (lambda ctx: {"value": "ok"})
    )
    failing = create_step(id="failing-step", input_schema=Any, output_schema=dict[str, str], execute=boom)

    def downstream_body(ctx: Any) -> dict[str, str]:
        data = ctx.input_data
        good = data["success-step"]
        return {"result": f"success={good['value'] if good else None}, failed={'yes' if data['failing-step'] is None else 'no'}"}

    downstream = create_step(id="downstream", input_schema=dict[str, Any], output_schema=dict[str, str], execute=downstream_body)
    return (
        create_workflow(id=wf_id, input_schema=Any, output_schema=Any)
        .parallel([ok, failing], allow_failure=allow_failure)
        .then(downstream)
        .commit()
    )


async def test_allow_failure_lets_the_block_survive_a_failed_step() -> None:
    wf = _allow_failure_workflow("allow-failure", allow_failure=True)
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    steps = result.to_dict()["steps"]
    assert steps["success-step"]["status"] == "success"
    assert steps["failing-step"]["status"] == "failed"
    assert steps["failing-step"]["error"] == {"message": "failing step", "name": "RuntimeError"}
    assert steps["downstream"]["payload"] == {"success-step": {"value": "ok"}, "failing-step": None}
    assert result.result == {"result": "success=ok, failed=yes"}
    assert result.error is None


async def test_without_allow_failure_the_block_fails() -> None:
    wf = _allow_failure_workflow("no-allow-failure", allow_failure=False)
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error == {"message": "failing step", "name": "RuntimeError"}
    assert "downstream" not in result.steps


async def test_allow_failure_with_every_step_failing() -> None:
    wf = _allow_failure_workflow("all-fail", allow_failure=True, all_fail=True)
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.steps["downstream"].payload == {"success-step": None, "failing-step": None}
    assert result.result == {"result": "success=None, failed=yes"}


async def test_suspension_wins_over_an_allowed_failure() -> None:
    async def suspends(ctx: Any) -> Any:
        if ctx.resume_data is None:
            await ctx.suspend({"waitingFor": "approval"})
        return {"resumed": True}

    def boom(ctx: Any) -> Any:
        raise RuntimeError("failing step")

    downstream_calls: list[Any] = []
    wf = (
        create_workflow(id="allow-failure-suspend", input_schema=Any, output_schema=Any)
        .parallel(
            [
                create_step(id="suspending-step", resume_schema=Any, execute=suspends),
                create_step(id="failing-step", execute=boom),
            ],
            allow_failure=True,
        )
        .then(create_step(id="downstream", execute=lambda ctx: downstream_calls.append(ctx.input_data)))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "suspended"
    assert result.suspended == [["suspending-step"]]
    assert result.steps["failing-step"].status == "failed"
    assert downstream_calls == []


async def _suspend_late(ctx: Any) -> Any:
    if ctx.resume_data is None:
        await asyncio.sleep(0.05)  # suspends after its sibling
        await ctx.suspend({"who": "late"})
    return ctx.resume_data


def _suspend_late_in_thread(ctx: Any) -> Any:
    if ctx.resume_data is None:
        import time

        time.sleep(0.05)  # on its worker thread: suspends after its sibling
        ctx.suspend({"who": "late"})
    return ctx.resume_data


def _suspend_now(ctx: Any) -> Any:
    if ctx.resume_data is None:
        ctx.suspend({"who": "now"})
    return ctx.resume_data


async def test_suspended_branches_are_listed_in_the_parallel_s_order_whatever_order_they_suspend_in() -> None:
    """Mastra lists a parallel's suspended steps in the order of its steps; sync steps on worker
    threads (or async steps that wait) may suspend in any order, and the result must not follow it."""
    for late in (_suspend_late, _suspend_late_in_thread):
        wf = (
            create_workflow(id="order")
            .parallel([create_step(id="first", execute=late), create_step(id="second", execute=_suspend_now)])
            .commit()
        )
        run = await wf.create_run()
        result = await run.start(input_data=None)
        assert result.status == "suspended"
        assert result.suspended == [["first"], ["second"]]
        assert list(result.suspend_payload) == ["first", "second"]
        stored = await wf.storage.load_run(wf.id, run.run_id)
        assert stored is not None and stored.suspended == [["first"], ["second"]]
