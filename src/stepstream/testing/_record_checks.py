"""The storage contract's checks of run and step records: insert, load, upsert, compare-and-set,
owner fencing, deletes and listing (part of `CHECKS`, see `storage_contract`)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from ..results import StepResult
from ..run_query import RunQuery
from ..storage.base import RunRecord
from ._run_samples import BASE_MS, WF, assert_same_run, sample_run, sample_steps
from ._target import ContractTarget, open_storage


async def check_create_run_is_insert_only(target: ContractTarget) -> None:
    """create_run returns True once; a duplicate returns False and overwrites nothing."""
    storage = await open_storage(target)
    try:
        first = sample_run()
        assert await storage.create_run(first) is True
        other = RunRecord(WF, "run-1", status="success", state={"other": True}, steps={"x": StepResult("success")})
        assert await storage.create_run(other) is False
        assert_same_run(await storage.load_run(WF, "run-1"), first)
        assert await storage.create_run(RunRecord("another-wf", "run-1")) is True, "ids are (workflow_id, run_id)"
        assert_same_run(await storage.load_run(WF, "run-1"), first)
    finally:
        await storage.close()


async def check_load_run_round_trips_every_field(target: ContractTarget) -> None:
    """Every run field and step record comes back equal, nested keys and unicode included."""
    storage = await open_storage(target)
    try:
        rich = sample_run()
        bare = RunRecord(WF, "run-bare", created_at=BASE_MS, updated_at=BASE_MS)
        nones = RunRecord(WF, "run-nones", status="failed", input=None, result=None, error=None, tracing_context=None)
        for record in (rich, bare, nones):
            assert await storage.create_run(record)
            assert_same_run(await storage.load_run(WF, record.run_id), record)
        assert await storage.load_run(WF, "missing") is None
        assert await storage.load_run("missing-wf", "run-1") is None
    finally:
        await storage.close()


async def check_save_step_upserts_in_first_write_order(target: ContractTarget) -> None:
    """save_step inserts new keys at the end and replaces existing ones in place."""
    storage = await open_storage(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", steps={"first": StepResult("success", 1, 1)}))
        for key in ("b", "outer.inner", "a", "outer[2].inner"):
            await storage.save_step(WF, "run-1", key, StepResult("running", {"key": key}))
        replaced = StepResult("success", {"key": "b"}, {"done": "✓"}, started_at=1, ended_at=2)
        await storage.save_step(WF, "run-1", "b", replaced)
        await storage.save_step(WF, "run-1", "first", StepResult("failed", error={"message": "x", "name": "Error"}))
        await storage.save_step(WF, "run-1", "z", StepResult("success"))
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        assert list(loaded.steps) == ["first", "b", "outer.inner", "a", "outer[2].inner", "z"]
        assert loaded.steps["b"] == replaced
        assert loaded.steps["first"].status == "failed"
        many = [f"s{i}" for i in random.Random(7).sample(range(200), 200)]
        for key in many:
            await storage.save_step(WF, "run-1", key, StepResult("success", key))
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and list(loaded.steps)[6:] == many
    finally:
        await storage.close()


async def check_save_step_applies_changes_with_the_step(target: ContractTarget) -> None:
    """save_step with run-level changes applies both; without a run it writes nothing."""
    storage = await open_storage(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="running"))
        record = StepResult("suspended", {"p": 1}, suspend_payload={"why": "approval"}, suspended_at=5)
        changes: Any = {
            "status": "suspended",
            "state": {"n": 1},
            "suspended": [["approve"]],
            "resume_labels": {"go": {"stepId": "approve"}},
            "tracing_context": {"traceId": "abc"},
        }
        await storage.save_step(WF, "run-1", "approve", record, changes)
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        assert loaded.steps == {"approve": record}
        assert (loaded.status, loaded.state, loaded.suspended) == ("suspended", {"n": 1}, [["approve"]])
        assert (loaded.resume_labels, loaded.tracing_context) == ({"go": {"stepId": "approve"}}, {"traceId": "abc"})
        await storage.save_step(WF, "missing", "a", StepResult("success"))
        await storage.save_step(WF, "missing", "b", StepResult("success"), {"status": "success"})
        assert await storage.load_run(WF, "missing") is None
    finally:
        await storage.close()


async def check_update_run_compare_and_set(target: ContractTarget) -> None:
    """update_run applies changes; with expected_status only on a match; False for a missing run."""
    storage = await open_storage(target)
    try:
        original = sample_run()
        assert await storage.create_run(original)
        assert await storage.update_run(WF, "run-1", {"status": "running"}, expected_status=["running", "pending"]) is False
        assert await storage.update_run(WF, "run-1", {"status": "running"}, expected_status=[]) is False
        assert_same_run(await storage.load_run(WF, "run-1"), original)
        assert await storage.update_run(WF, "missing", {"status": "running"}) is False
        assert await storage.update_run(WF, "missing", {"status": "running"}, expected_status=["suspended"]) is False
        assert await storage.load_run(WF, "missing") is None
        assert await storage.update_run(WF, "run-1", {"status": "running"}, expected_status=("waiting", "suspended")) is True
        assert await storage.update_run(WF, "run-1", {"status": "running"}, expected_status=["suspended"]) is False
        everything: Any = {
            "status": "success",
            "input": [1, "two"],
            "state": {"final": True},
            "request_context": {"k": "v"},
            "result": {"answer": 42, "text": "ünïcödé"},
            "error": None,
            "suspended": [],
            "resume_labels": {},
            "tracing_context": None,
            "resource_id": "user-2",
        }
        assert await storage.update_run(WF, "run-1", everything) is True
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        for name, value in everything.items():
            assert getattr(loaded, name) == value, name
        assert loaded.created_at == original.created_at
        assert loaded.updated_at >= original.updated_at
        assert list(loaded.steps) == list(original.steps), "update_run must not touch step records"
    finally:
        await storage.close()


async def check_owner_fences_writes(target: ContractTarget) -> None:
    """With expected_owner, update_run and save_step write only while the run has that owner."""
    storage = await open_storage(target)
    try:
        assert await storage.create_run(sample_run(status="suspended", owner=None))
        assert await storage.update_run(WF, "run-1", {"status": "running", "owner": "exec-a"}, expected_status=["suspended"]) is True
        step = StepResult("success", {"n": 1}, {"n": 2}, started_at=BASE_MS, ended_at=BASE_MS + 1)
        assert await storage.save_step(WF, "run-1", "fenced", step, expected_owner="exec-a") is True
        # Another process takes the run over (a restart claims it with a new token).
        assert await storage.update_run(WF, "run-1", {"owner": "exec-b"}, expected_status=["running"], expected_owner="exec-a") is True
        assert await storage.update_run(WF, "run-1", {"owner": "exec-c"}, expected_status=["running"], expected_owner="exec-a") is False
        stale = StepResult("success", {"n": 1}, {"n": 99}, started_at=BASE_MS, ended_at=BASE_MS + 1)
        assert await storage.save_step(WF, "run-1", "fenced", stale, {"state": {"stale": True}}, expected_owner="exec-a") is False
        assert await storage.save_step(WF, "run-1", "late", stale, expected_owner="exec-a") is False
        assert await storage.update_run(WF, "run-1", {"status": "success"}, expected_owner="exec-a") is False
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        assert loaded.owner == "exec-b" and loaded.status == "running"
        assert loaded.steps["fenced"] == step and "late" not in loaded.steps
        assert loaded.state == sample_run().state, "a fenced save_step must not apply its changes"
        assert await storage.save_step(WF, "run-1", "late", stale, expected_owner="exec-b") is True
        assert await storage.save_step(WF, "missing", "late", stale) is False
    finally:
        await storage.close()


async def check_delete_steps(target: ContractTarget) -> None:
    """delete_steps removes the given keys (unknown keys are ignored); a re-saved key goes last."""
    storage = await open_storage(target)
    try:
        assert await storage.create_run(sample_run())
        await storage.delete_steps(WF, "run-1", ["outer.inner", "outer[2].inner", "not-there"])
        await storage.delete_steps(WF, "run-1", [])
        await storage.delete_steps(WF, "missing", ["fetch"])
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        expected = [k for k in sample_steps() if k not in ("outer.inner", "outer[2].inner")]
        assert list(loaded.steps) == expected
        await storage.save_step(WF, "run-1", "outer.inner", StepResult("running"))
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and list(loaded.steps) == [*expected, "outer.inner"]
    finally:
        await storage.close()


async def check_list_runs_filters_and_pages(target: ContractTarget) -> None:
    """list_runs filters, orders newest first, counts the total and pages (0-based)."""
    storage = await open_storage(target)
    try:
        runs = {
            "a1": RunRecord("wf-a", "a1", status="success", resource_id="u1", created_at=BASE_MS + 1000),
            "a2": RunRecord("wf-a", "a2", status="failed", resource_id="u2", created_at=BASE_MS + 2000),
            "a3": sample_run("a3", workflow_id="wf-a", resource_id="u1", created_at=BASE_MS + 3000),
            "b1": RunRecord("wf-b", "b1", status="success", created_at=BASE_MS + 4000, steps=sample_steps()),
            "b2": RunRecord("wf-b", "b2", status="running", resource_id="u1", created_at=BASE_MS + 5000),
        }
        for run_id in ("a2", "b1", "a1", "b2", "a3"):
            assert await storage.create_run(runs[run_id])

        async def ids(expected_total: int | None = None, **filters: Any) -> list[str]:
            found, total = await storage.list_runs(RunQuery(**filters))
            for record in found:
                assert_same_run(record, runs[record.run_id], steps=False)
            want = len(found) if expected_total is None else expected_total
            assert total == want, f"total for {filters}: {total} != {want}"
            return [r.run_id for r in found]

        def at(ms: int) -> datetime:
            return datetime.fromtimestamp((BASE_MS + ms) // 1000, tz=UTC)

        assert await ids() == ["b2", "b1", "a3", "a2", "a1"]
        assert await ids(workflow_id="wf-a") == ["a3", "a2", "a1"]
        assert await ids(workflow_id="nope") == []
        assert await ids(status="success") == ["b1", "a1"]
        assert await ids(status=["failed", "suspended"]) == ["a3", "a2"]
        assert await ids(status=[]) == []
        assert await ids(resource_id="u1") == ["b2", "a3", "a1"]
        assert await ids(from_date=at(2000)) == ["b2", "b1", "a3", "a2"]
        assert await ids(to_date=at(3000)) == ["a3", "a2", "a1"]
        assert await ids(from_date=at(2000), to_date=at(4000)) == ["b1", "a3", "a2"]
        assert await ids(workflow_id="wf-a", resource_id="u1", status="suspended") == ["a3"]
        assert await ids(5, page=0, per_page=2) == ["b2", "b1"]
        assert await ids(5, page=1, per_page=2) == ["a3", "a2"]
        assert await ids(5, page=2, per_page=2) == ["a1"]
        assert await ids(5, page=3, per_page=2) == []
        assert await ids(3, workflow_id="wf-a", page=1, per_page=2) == ["a1"]
        assert await ids(page=1) == ["b2", "b1", "a3", "a2", "a1"], "pagination needs both page and per_page"
        assert await ids(per_page=1) == ["b2", "b1", "a3", "a2", "a1"], "pagination needs both page and per_page"
    finally:
        await storage.close()


async def check_delete_run(target: ContractTarget) -> None:
    """delete_run removes the run and its steps; False when there is none."""
    storage = await open_storage(target)
    try:
        assert await storage.create_run(sample_run())
        assert await storage.create_run(sample_run("run-2"))
        assert await storage.delete_run(WF, "run-1") is True
        assert await storage.delete_run(WF, "run-1") is False
        assert await storage.load_run(WF, "run-1") is None
        assert_same_run(await storage.load_run(WF, "run-2"), sample_run("run-2"))
        assert await storage.create_run(RunRecord(WF, "run-1"))
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and loaded.steps == {}, "steps of a deleted run must not come back"
        assert (await storage.list_runs(RunQuery(workflow_id=WF)))[1] == 2
    finally:
        await storage.close()
