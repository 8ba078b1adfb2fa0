"""Concurrent resumes (scenarios T.134-T.136): the rest of the run executes exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import (
    ResumeAlreadyClaimedError,
    ResumeError,
    Step,
    StepContext,
    ValidationError,
    Workflow,
    WorkflowResult,
    create_step,
    create_workflow,
)
from stepstream.storage import InMemoryStorage
from stepstream.storage.base import LoggedEvent, RunChanges, RunRecord


class V(BaseModel):
    value: int


class SlowStorage(InMemoryStorage):
    """In-memory storage whose reads yield to the event loop, as a networked store would:
    two callers can both read `suspended` before either claims the run."""

    async def load_run(self, workflow_id: str, run_id: str) -> RunRecord | None:
        await asyncio.sleep(0.01)
        return await super().load_run(workflow_id, run_id)

    async def update_run(
        self,
        workflow_id: str,
        run_id: str,
        changes: RunChanges,
        *,
        expected_status: Collection[str] | None = None,
        expected_owner: str | None = None,
        events: Sequence[LoggedEvent] = (),
    ) -> bool:
        await asyncio.sleep(0)
        return await super().update_run(
            workflow_id, run_id, changes, expected_status=expected_status, expected_owner=expected_owner, events=events
        )


def build(calls: Counter[str], wf_id: str = "concurrent") -> Workflow:
    async def gate(ctx: StepContext) -> V:
        calls["gate"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({"approve": True})
        await asyncio.sleep(0.01)
        return V(value=ctx.input_data.value + ctx.resume_data.value)

    async def downstream(ctx: StepContext) -> V:
        calls["downstream"] += 1
        await asyncio.sleep(0.01)
        return V(value=ctx.input_data.value * 2)

    return (
        create_workflow(wf_id, input_schema=V, output_schema=V)
        .then(create_step("gate", input_schema=V, output_schema=V, resume_schema=V, execute=gate))
        .then(create_step("downstream", input_schema=V, output_schema=V, execute=downstream))
        .commit()
    )


def split(outcomes: Sequence[WorkflowResult | BaseException]) -> tuple[list[WorkflowResult], list[BaseException]]:
    wins = [o for o in outcomes if not isinstance(o, BaseException)]
    losses = [o for o in outcomes if isinstance(o, BaseException)]
    return wins, losses


def assert_lost(exc: BaseException) -> None:
    assert isinstance(exc, ResumeError)
    if not isinstance(exc, ResumeAlreadyClaimedError):
        assert str(exc).startswith("This workflow run was not suspended")


async def test_two_resumes_of_one_run_object_run_downstream_once() -> None:
    calls: Counter[str] = Counter()
    wf = build(calls)
    run = await wf.create_run()
    await run.start(input_data={"value": 1})
    outcomes = await asyncio.gather(
        run.resume(resume_data={"value": 1}),
        run.resume(resume_data={"value": 100}),
        return_exceptions=True,
    )
    wins, losses = split(outcomes)
    assert len(wins) == 1 and len(losses) == 1
    assert wins[0].status == "success"
    assert_lost(losses[0])
    assert calls == Counter({"gate": 2, "downstream": 1})
    stored = await wf.storage.load_run(wf.id, run.run_id)
    assert stored is not None
    assert stored.status == "success"
    assert stored.result == wins[0].to_dict()["result"]


async def test_resumes_from_two_processes_sharing_storage_claim_once() -> None:
    storage = SlowStorage()
    calls_a: Counter[str] = Counter()
    calls_b: Counter[str] = Counter()
    wf_a = build(calls_a)
    wf_b = build(calls_b)
    wf_a.bind_storage(storage)
    wf_b.bind_storage(storage)
    run_a = await wf_a.create_run(run_id="shared")
    await run_a.start(input_data={"value": 1})
    run_b = await wf_b.create_run(run_id="shared")
    assert run_b is not run_a
    assert run_b.status == "suspended"

    outcomes = await asyncio.gather(
        run_a.resume(resume_data={"value": 1}),
        run_b.resume(resume_data={"value": 2}),
        return_exceptions=True,
    )
    wins, losses = split(outcomes)
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], ResumeAlreadyClaimedError)
    assert losses[0].code == "WORKFLOW_RESUME_ALREADY_CLAIMED"
    assert wins[0].status == "success"
    assert calls_a["downstream"] + calls_b["downstream"] == 1
    # the losing process ran nothing at all
    loser_calls = calls_a if outcomes[0] is losses[0] else calls_b
    assert loser_calls["gate"] == 0 and loser_calls["downstream"] == 0
    stored = await storage.load_run(wf_a.id, "shared")
    assert stored is not None
    assert stored.status == "success"


@pytest.mark.parametrize("count", [3, 8])
async def test_many_concurrent_resumes_exactly_one_wins(count: int) -> None:
    storage = SlowStorage()
    calls: Counter[str] = Counter()
    workflows = [build(calls) for _ in range(count)]
    for wf in workflows:
        wf.bind_storage(storage)
    first = await workflows[0].create_run(run_id="many")
    await first.start(input_data={"value": 3})
    runs = [await wf.create_run(run_id="many") for wf in workflows]
    outcomes = await asyncio.gather(*(r.resume(resume_data={"value": i}) for i, r in enumerate(runs)), return_exceptions=True)
    wins, losses = split(outcomes)
    assert len(wins) == 1
    assert len(losses) == count - 1
    for exc in losses:
        assert_lost(exc)
    assert calls["downstream"] == 1
    assert calls["gate"] == 2


async def test_a_rejected_resume_releases_nothing_and_the_next_one_succeeds() -> None:
    calls: Counter[str] = Counter()

    class Approve(BaseModel):
        approved: bool

    async def gate(ctx: StepContext) -> V:
        calls["gate"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({})
        if ctx.resume_data.approved is not True:
            await ctx.suspend({"again": True})
        value: V = ctx.input_data
        return value

    wf = (
        create_workflow("reject-then-ok", input_schema=V, output_schema=V)
        .then(create_step("gate", input_schema=V, output_schema=V, resume_schema=Approve, execute=gate))
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={"value": 1})
    with pytest.raises(ValidationError):
        await run.resume(resume_data={"approved": "not a bool"})
    done = await run.resume(resume_data={"approved": True})
    assert done.status == "success"
    assert calls["gate"] == 2


async def test_concurrent_resumes_of_different_parallel_branches_both_eventually_apply() -> None:
    """Two callers each resume their own suspended branch at the same moment. One claims the
    run; the other is refused without side effects and can simply retry."""
    calls: Counter[str] = Counter()

    def branch(step_id: str) -> Step:
        async def execute(ctx: StepContext) -> V:
            calls[step_id] += 1
            if ctx.resume_data is None:
                await ctx.suspend({})
            await asyncio.sleep(0.01)
            return V(value=ctx.resume_data.value)

        return create_step(step_id, input_schema=V, output_schema=V, resume_schema=V, execute=execute)

    async def after(ctx: StepContext) -> dict[str, Any]:
        calls["after"] += 1
        return {k: v.value for k, v in ctx.input_data.items()}

    wf = (
        create_workflow("par-concurrent", input_schema=V, output_schema=dict[str, Any])
        .parallel([branch("a"), branch("b")])
        .then(create_step("after", input_schema=dict[str, V], output_schema=dict[str, Any], execute=after))
        .commit()
    )
    storage = SlowStorage()
    wf.bind_storage(storage)
    run = await wf.create_run()
    await run.start(input_data={"value": 0})
    outcomes = await asyncio.gather(
        run.resume(step="a", resume_data={"value": 1}),
        run.resume(step="b", resume_data={"value": 2}),
        return_exceptions=True,
    )
    statuses = sorted(o.status if not isinstance(o, BaseException) else type(o).__name__ for o in outcomes)
    if "ResumeAlreadyClaimedError" in statuses:
        assert statuses == ["ResumeAlreadyClaimedError", "suspended"]
        loser = "a" if isinstance(outcomes[0], BaseException) else "b"
        stored = await storage.load_run(wf.id, run.run_id)
        assert stored is not None
        assert stored.status == "suspended"
        assert stored.suspended == [[loser]]
        done = await run.resume(step=loser, resume_data={"value": 1 if loser == "a" else 2})
    else:
        # the second caller waited for the first to settle, then resumed its own branch
        assert statuses == ["success", "suspended"]
        done = next(o for o in outcomes if not isinstance(o, BaseException) and o.status == "success")
    assert done.status == "success"
    assert done.result == {"a": 1, "b": 2}
    assert calls == Counter({"a": 2, "b": 2, "after": 1})


async def test_resume_waits_for_a_run_still_executing_in_this_process() -> None:
    """A resume issued while the run is still executing (before it suspends) waits for it to settle."""
    calls: Counter[str] = Counter()
    release = asyncio.Event()

    async def slow(ctx: StepContext) -> V:
        calls["slow"] += 1
        await release.wait()
        value: V = ctx.input_data
        return value

    async def gate(ctx: StepContext) -> V:
        calls["gate"] += 1
        if ctx.resume_data is None:
            await ctx.suspend({})
        return V(value=ctx.resume_data.value)

    wf = (
        create_workflow("wait-settle", input_schema=V, output_schema=V)
        .then(create_step("slow", input_schema=V, output_schema=V, execute=slow))
        .then(create_step("gate", input_schema=V, output_schema=V, resume_schema=V, execute=gate))
        .commit()
    )
    run = await wf.create_run()
    started = asyncio.create_task(run.start(input_data={"value": 1}))
    await asyncio.sleep(0.01)
    resumed = asyncio.create_task(run.resume(resume_data={"value": 9}))
    await asyncio.sleep(0.01)
    assert not resumed.done()
    release.set()
    first = await started
    assert first.status == "suspended"
    done = await resumed
    assert done.status == "success"
    assert done.result == V(value=9)
    assert calls == Counter({"slow": 1, "gate": 2})
