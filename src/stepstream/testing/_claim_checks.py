"""The storage contract's checks of `save_step(create=)` (part of `CHECKS`, see `storage_contract`).

A backend with `folds_claim` inserts a fresh run together with its first step write, so a
durable run costs one commit per step: the insert, the step, run changes and events commit
together or not at all, and a run already there refuses the whole write.
"""

from __future__ import annotations

from ..results import StepResult
from ..storage.base import LoggedEvent, RunChanges, RunRecord, Storage
from ._run_samples import WF, expect_storage_error
from ._target import ContractSkip, ContractTarget
from ._target import open_storage as _open


def _claim(run_id: str, owner: str = "tok") -> RunRecord:
    return RunRecord(WF, run_id, status="running", input={"n": 1}, state={"s": 1}, request_context={"rc": "ü"}, owner=owner)


def _events(first: int, count: int, run_id: str) -> list[LoggedEvent]:
    return [LoggedEvent(first + i, {"type": "workflow-step-start", "runId": run_id, "payload": {"i": first + i}}) for i in range(count)]


async def _folding(target: ContractTarget) -> Storage:
    storage = await _open(target)
    if not storage.folds_claim:
        await storage.close()
        raise ContractSkip(f"{type(storage).__name__} does not fold a run's insert into its first step write")
    return storage


async def check_save_step_create_inserts_the_run_with_its_step(target: ContractTarget) -> None:
    """`save_step(create=)` inserts the run, its first step, run changes and events in one write."""
    storage = await _folding(target)
    try:
        record = StepResult("success", {"n": 1}, {"n": 2}, started_at=1, ended_at=2)
        changes: RunChanges = {"status": "success", "result": {"n": 2}}
        events = _events(0, 3, "run-1")
        assert await storage.save_step(WF, "run-1", "a", record, changes, expected_owner="tok", events=events, create=_claim("run-1"))
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and loaded.steps == {"a": record}
        assert (loaded.status, loaded.result, loaded.input, loaded.state) == ("success", {"n": 2}, {"n": 1}, {"s": 1})
        assert (loaded.request_context, loaded.owner) == ({"rc": "ü"}, "tok")
        page = await storage.read_events(WF, "run-1")
        assert page is not None and page.events == events and page.next_offset == 3
        assert await storage.save_step(WF, "run-1", "b", StepResult("success"), expected_owner="tok")  # an ordinary run now
        plain = _claim("run-2")
        assert await storage.save_step(WF, "run-2", "only", record, create=plain)
        loaded = await storage.load_run(WF, "run-2")
        assert loaded is not None and list(loaded.steps) == ["only"] and loaded.status == "running"
    finally:
        await storage.close()


async def check_save_step_create_refuses_an_existing_run(target: ContractTarget) -> None:
    """A run already there (another claim won) refuses the whole write: no step, no change, no events."""
    storage = await _folding(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="pending"))
        written = await storage.save_step(
            WF, "run-1", "a", StepResult("success", 1, 2), {"status": "success"}, events=_events(0, 2, "run-1"), create=_claim("run-1")
        )
        assert written is False
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and loaded.steps == {} and loaded.status == "pending" and loaded.owner is None
        page = await storage.read_events(WF, "run-1")
        assert page is not None and page.events == [] and page.next_offset == 0
    finally:
        await storage.close()


async def check_save_step_create_is_all_or_nothing(target: ContractTarget) -> None:
    """A write refused inside (another owner expected, events not at the log's start) leaves no run behind."""
    storage = await _folding(target)
    try:
        step = StepResult("success", 1, 2)
        assert await storage.save_step(WF, "run-1", "a", step, expected_owner="other", create=_claim("run-1")) is False
        assert await storage.load_run(WF, "run-1") is None
        await expect_storage_error(
            storage.save_step(WF, "run-2", "a", step, events=_events(5, 1, "run-2"), create=_claim("run-2")),
            "events not at the log's start",
        )
        assert await storage.load_run(WF, "run-2") is None
        assert await storage.read_events(WF, "run-2") is None
    finally:
        await storage.close()
