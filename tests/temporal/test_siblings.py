"""Concurrent attempts of one execution in one worker process (`stepstream.temporal._siblings`)."""

from __future__ import annotations

import asyncio

import pytest

from stepstream.temporal import _siblings
from stepstream.temporal._siblings import Siblings, siblings


async def test_an_attempt_enters_its_body_after_the_one_started_before_it() -> None:
    sib = Siblings()
    order: list[int] = []

    async def attempt(number: int, after: int | None) -> None:
        sib.arrived(number)
        if after is not None:
            await sib.wait_entered(after)
        order.append(number)
        sib.entered(number)

    second = asyncio.ensure_future(attempt(1, 0))
    await asyncio.sleep(0.05)  # the first one shows up late
    await asyncio.gather(attempt(0, None), second)
    assert order == [0, 1]


async def test_an_attempt_goes_ahead_when_the_one_before_it_runs_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_siblings, "GATE_SECONDS", 0.02)
    sib = Siblings()
    sib.arrived(1)
    await asyncio.wait_for(sib.wait_entered(0), 1)  # returns after the gate, 0 never arrived
    assert 0 not in sib.started


async def test_a_present_attempt_is_waited_for_past_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_siblings, "GATE_SECONDS", 0.01)
    sib = Siblings()
    sib.arrived(0)
    waiter = asyncio.ensure_future(sib.wait_entered(0))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    sib.entered(0)
    await asyncio.wait_for(waiter, 1)


def test_ended_updates_reach_running_siblings_and_late_ones_that_lack_them() -> None:
    sib = Siblings()
    first: dict[str, int] = {"count": 0}
    sib.watch(0, first, [])
    sib.watch(1, {"count": 0}, [0])
    sib.ended_with(1, "success", {"count": 1})
    assert first == {"count": 1}
    sib.ended_with(0, "failed", {"count": 5})  # a failed step's updates are not applied
    late: dict[str, int] = {"count": 0}
    sib.watch(2, late, [1])  # started by the walk while 1 was in flight: lacks its update
    assert late == {"count": 1}
    taken: dict[str, int] = {"count": 1}
    sib.watch(3, taken, [])  # the walk had taken 1's result: its snapshot has it
    assert taken == {"count": 1}
    sib.ended_with(2, "suspended", {"other": 2})
    assert taken == {"count": 1, "other": 2}


async def test_an_execution_entry_is_shared_while_its_attempts_run() -> None:
    with siblings("wf/run") as a, siblings("wf/run") as b:
        assert a is b
        with siblings("wf/other") as c:
            assert c is not a


def test_what_the_walk_had_taken_is_forgotten() -> None:
    """A long execution on one worker keeps nothing of the attempts its walk has taken."""
    sib = Siblings()
    for number in range(100):
        sib.arrived(number)
        sib.watch(number, {}, [])  # a chain: the walk took each result before the next attempt
        sib.entered(number)
        sib.ended_with(number, "success", {"n": number})
    assert (sib.present, sib.started, list(sib.ended)) == ({99}, {99}, [99])
    late: dict[str, int] = {}
    sib.watch(101, late, [100])  # 100 is in flight: 99 was taken
    assert late == {} and not sib.ended


async def test_an_attempt_the_walk_has_taken_counts_as_entered() -> None:
    sib = Siblings()
    sib.watch(5, {}, [])
    await asyncio.wait_for(sib.wait_entered(3), 0.01)  # no wait: 3 ended before 5 was started
