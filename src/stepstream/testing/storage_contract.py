"""The contract every `Storage` backend must meet, as a reusable test suite.

Each check is an `async def check_*(target)` taking a `ContractTarget`; all are
listed in `CHECKS`. Two ways to run them:

With pytest, subclass `StorageContract` in a test module (the subclass name must
start with `Test`) and give it a `make_storage` fixture that returns a
zero-argument callable building a new, not yet set up storage. Every call made
during one test must open the same fresh database (that is how the suite tests
separate instances and processes against one database)::

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def make_storage(self, tmp_path):
            return functools.partial(MyStorage, tmp_path / "runs.db")

        async def inject_fault(self, storage, table):  # optional: enables the fault checks
            ...

Each check runs in its own event loop (`asyncio.run`), so only pytest is needed,
not an async plugin. Class attributes tune the suite: `shared_instances` (False
when two instances never share data, as with InMemoryStorage or ":memory:"),
`serializes` (False when values are kept by reference), `claimers`. The
cross-process check runs when `make_storage` can be pickled (a
`functools.partial` of an importable class can; a lambda cannot).

Without pytest: `await run_storage_contract(ContractTarget(make_storage, ...))`
runs every check, raises AssertionError on the first failure and returns the
names of the checks it skipped.

This module imports pytest only inside `StorageContract`'s tests, so spawned
child processes and plain scripts do not need it.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from ..errors import StorageError
from ..results import StepResult
from ..storage.base import RunRecord, Storage
from ._payload_checks import PAYLOAD_CHECKS
from ._target import ContractSkip, ContractTarget, FaultTable, StorageMaker, in_processes, open_storage, require_processes
from .schedule_contract import SCHEDULE_CHECKS

WF = "contract-wf"
_BASE_MS = 1_700_000_000_000  # a whole second, so datetime bounds convert exactly


def _steps() -> dict[str, StepResult]:
    return {
        "fetch": StepResult("success", {"url": "https://example.com/ü"}, {"body": "ok", "bytes": 2}, started_at=1, ended_at=2),
        "outer": StepResult(
            "suspended",
            {"items": [1, 2, 3]},
            suspend_payload={"__workflow_meta": {"runId": "run-1", "path": ["inner"], "foreachIndex": 2}},
            started_at=3,
            suspended_at=4,
        ),
        "outer.inner": StepResult(
            "suspended",
            {"x": 1},
            suspend_payload={"reason": "needs approval ✓"},
            suspend_output={"partial": True},
            started_at=3,
            suspended_at=4,
            metadata={"nestedRunId": "nested-1"},
        ),
        "outer[2].inner": StepResult(
            "failed", {"i": 2}, error={"message": "boom ✗", "name": "RuntimeError", "code": 42}, started_at=5, ended_at=6
        ),
        "raised": StepResult("failed", error=ValueError("bad value"), started_at=6, ended_at=7),
        "falsy": StepResult("success", "", 0, started_at=7, ended_at=7),
        "schritt-ü-日本": StepResult("success", [], False, resume_payload={"ok": True}, started_at=8, ended_at=9, resumed_at=8),
        "bare": StepResult("running"),
    }


def _rich(run_id: str = "run-1", **overrides: Any) -> RunRecord:
    values: dict[str, Any] = {
        "workflow_id": WF,
        "run_id": run_id,
        "status": "suspended",
        "resource_id": "user-ü-1",
        "input": {"text": "héllo wörld ✓ 日本語 🚀", "n": 3, "f": 1.5, "nested": {"list": [1, None, True, {"k": "v"}]}},
        "state": {"counter": 2, "tags": ["a", "b"], "empty": {}},
        "request_context": {"tenant": "acme", "locale": "fr-FR"},
        "result": {"partial": [1, 2]},
        "error": {"message": "earlier failure", "name": "Error", "cause": {"message": "root", "name": "ValueError"}},
        "suspended": [["outer", "inner"], ["approve"]],
        "resume_labels": {"go": {"stepId": "approve"}, "retry": {"stepId": "outer", "foreachIndex": 2}},
        "tracing_context": {"traceId": "t" * 32, "spanId": "s" * 16, "parentSpanId": None},
        "owner": "exec-0",
        "steps": _steps(),
        "created_at": _BASE_MS,
        "updated_at": _BASE_MS + 500,
    }
    values.update(overrides)
    return RunRecord(**values)


def assert_same_run(got: RunRecord | None, want: RunRecord, *, steps: bool = True) -> None:
    """Asserts two runs hold the same fields (and, with `steps`, the same records in the same order)."""
    assert got is not None, f"run {want.workflow_id}/{want.run_id} is missing"
    for f in fields(RunRecord):
        if f.name == "steps":
            continue
        assert getattr(got, f.name) == getattr(want, f.name), f"{f.name}: {getattr(got, f.name)!r} != {getattr(want, f.name)!r}"
    if steps:
        assert list(got.steps) == list(want.steps), f"step order: {list(got.steps)} != {list(want.steps)}"
        for key, record in want.steps.items():
            assert got.steps[key] == record, f"step {key!r}: {got.steps[key]!r} != {record!r}"
    else:
        assert got.steps == {}, "list_runs must not return step records"


async def _expect_storage_error(call: Awaitable[Any], what: str) -> None:
    try:
        await call
    except StorageError:
        return
    raise AssertionError(f"{what}: expected StorageError")


# -- checks --------------------------------------------------------------------


async def check_create_run_is_insert_only(target: ContractTarget) -> None:
    """create_run returns True once; a duplicate returns False and overwrites nothing."""
    storage = await open_storage(target)
    try:
        first = _rich()
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
        rich = _rich()
        bare = RunRecord(WF, "run-bare", created_at=_BASE_MS, updated_at=_BASE_MS)
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
        original = _rich()
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
        assert await storage.create_run(_rich(status="suspended", owner=None))
        assert await storage.update_run(WF, "run-1", {"status": "running", "owner": "exec-a"}, expected_status=["suspended"]) is True
        step = StepResult("success", {"n": 1}, {"n": 2}, started_at=_BASE_MS, ended_at=_BASE_MS + 1)
        assert await storage.save_step(WF, "run-1", "fenced", step, expected_owner="exec-a") is True
        # Another process takes the run over (a restart claims it with a new token).
        assert await storage.update_run(WF, "run-1", {"owner": "exec-b"}, expected_status=["running"], expected_owner="exec-a") is True
        assert await storage.update_run(WF, "run-1", {"owner": "exec-c"}, expected_status=["running"], expected_owner="exec-a") is False
        stale = StepResult("success", {"n": 1}, {"n": 99}, started_at=_BASE_MS, ended_at=_BASE_MS + 1)
        assert await storage.save_step(WF, "run-1", "fenced", stale, {"state": {"stale": True}}, expected_owner="exec-a") is False
        assert await storage.save_step(WF, "run-1", "late", stale, expected_owner="exec-a") is False
        assert await storage.update_run(WF, "run-1", {"status": "success"}, expected_owner="exec-a") is False
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        assert loaded.owner == "exec-b" and loaded.status == "running"
        assert loaded.steps["fenced"] == step and "late" not in loaded.steps
        assert loaded.state == _rich().state, "a fenced save_step must not apply its changes"
        assert await storage.save_step(WF, "run-1", "late", stale, expected_owner="exec-b") is True
        assert await storage.save_step(WF, "missing", "late", stale) is False
    finally:
        await storage.close()


async def check_delete_steps(target: ContractTarget) -> None:
    """delete_steps removes the given keys (unknown keys are ignored); a re-saved key goes last."""
    storage = await open_storage(target)
    try:
        assert await storage.create_run(_rich())
        await storage.delete_steps(WF, "run-1", ["outer.inner", "outer[2].inner", "not-there"])
        await storage.delete_steps(WF, "run-1", [])
        await storage.delete_steps(WF, "missing", ["fetch"])
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None
        expected = [k for k in _steps() if k not in ("outer.inner", "outer[2].inner")]
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
            "a1": RunRecord("wf-a", "a1", status="success", resource_id="u1", created_at=_BASE_MS + 1000),
            "a2": RunRecord("wf-a", "a2", status="failed", resource_id="u2", created_at=_BASE_MS + 2000),
            "a3": _rich("a3", workflow_id="wf-a", resource_id="u1", created_at=_BASE_MS + 3000),
            "b1": RunRecord("wf-b", "b1", status="success", created_at=_BASE_MS + 4000, steps=_steps()),
            "b2": RunRecord("wf-b", "b2", status="running", resource_id="u1", created_at=_BASE_MS + 5000),
        }
        for run_id in ("a2", "b1", "a1", "b2", "a3"):
            assert await storage.create_run(runs[run_id])

        async def ids(expected_total: int | None = None, **filters: Any) -> list[str]:
            found, total = await storage.list_runs(**filters)
            for record in found:
                assert_same_run(record, runs[record.run_id], steps=False)
            want = len(found) if expected_total is None else expected_total
            assert total == want, f"total for {filters}: {total} != {want}"
            return [r.run_id for r in found]

        def at(ms: int) -> datetime:
            return datetime.fromtimestamp((_BASE_MS + ms) // 1000, tz=UTC)

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
        assert await storage.create_run(_rich())
        assert await storage.create_run(_rich("run-2"))
        assert await storage.delete_run(WF, "run-1") is True
        assert await storage.delete_run(WF, "run-1") is False
        assert await storage.load_run(WF, "run-1") is None
        assert_same_run(await storage.load_run(WF, "run-2"), _rich("run-2"))
        assert await storage.create_run(RunRecord(WF, "run-1"))
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and loaded.steps == {}, "steps of a deleted run must not come back"
        assert (await storage.list_runs(workflow_id=WF))[1] == 2
    finally:
        await storage.close()


async def _claim(storage: Storage, run_id: str = "run-1") -> bool:
    return await storage.update_run(WF, run_id, {"status": "running"}, expected_status=["suspended"])


async def check_concurrent_claims_on_one_instance(target: ContractTarget) -> None:
    """N concurrent `suspended -> running` claims on one run: exactly one wins."""
    storage = await open_storage(target)
    try:
        for round_ in range(3):
            run_id = f"run-{round_}"
            assert await storage.create_run(RunRecord(WF, run_id, status="suspended"))
            wins = await asyncio.gather(*(_claim(storage, run_id) for _ in range(target.claimers)))
            assert wins.count(True) == 1, f"round {round_}: {wins.count(True)} claims won"
            loaded = await storage.load_run(WF, run_id)
            assert loaded is not None and loaded.status == "running"
    finally:
        await storage.close()


async def check_concurrent_claims_across_instances(target: ContractTarget) -> None:
    """Separate instances on one database: exactly one claim wins."""
    if not target.shared_instances:
        raise ContractSkip("instances of this backend do not share a database")
    storages = [await open_storage(target) for _ in range(target.claimers)]
    try:
        for round_ in range(3):
            run_id = f"run-{round_}"
            assert await storages[0].create_run(RunRecord(WF, run_id, status="suspended"))
            wins = await asyncio.gather(*(_claim(s, run_id) for s in storages))
            assert wins.count(True) == 1, f"round {round_}: {wins.count(True)} claims won"
    finally:
        for storage in storages:
            await storage.close()


async def check_concurrent_claims_across_processes(target: ContractTarget) -> None:
    """Separate processes on one database: exactly one claim wins."""
    require_processes(target)
    storage = await open_storage(target)
    try:
        assert await storage.create_run(RunRecord(WF, "run-1", status="suspended"))
        wins = await asyncio.to_thread(in_processes, target.make_storage, functools.partial(_claim, run_id="run-1"), target.processes)
        assert all(isinstance(w, bool) for w in wins), f"a child process failed: {wins}"
        assert wins.count(True) == 1, f"{wins.count(True)} of {len(wins)} processes won the claim"
        loaded = await storage.load_run(WF, "run-1")
        assert loaded is not None and loaded.status == "running"
    finally:
        await storage.close()


async def check_concurrent_step_writes_are_all_kept(target: ContractTarget) -> None:
    """Concurrent save_step calls on one run (and instances, if shared) lose no step."""
    count = 4 if target.shared_instances else 1
    storages = [await open_storage(target) for _ in range(count)]
    try:
        assert await storages[0].create_run(RunRecord(WF, "run-1", status="running"))
        keys = [f"branch[{i}].step" for i in range(40)]
        await asyncio.gather(
            *(
                storages[i % count].save_step(WF, "run-1", key, StepResult("success", i, {"i": i}), {"state": {"last": i}})
                for i, key in enumerate(keys)
            )
        )
        loaded = await storages[-1].load_run(WF, "run-1")
        assert loaded is not None
        assert sorted(loaded.steps) == sorted(keys)
        assert all(loaded.steps[key].output == {"i": i} for i, key in enumerate(keys))
    finally:
        for storage in storages:
            await storage.close()


async def check_data_survives_reopen(target: ContractTarget) -> None:
    """A new instance on the same database sees everything a closed one wrote."""
    if not target.shared_instances:
        raise ContractSkip("instances of this backend do not share a database")
    storage = await open_storage(target)
    try:
        assert await storage.create_run(_rich())
        await storage.save_step(WF, "run-1", "late", StepResult("success", 1, 2), {"status": "running"})
    finally:
        await storage.close()
    expected = _rich(status="running")
    expected.steps["late"] = StepResult("success", 1, 2)
    reopened = await open_storage(target)
    try:
        loaded = await reopened.load_run(WF, "run-1")
        assert loaded is not None
        loaded.updated_at = expected.updated_at
        assert_same_run(loaded, expected)
    finally:
        await reopened.close()


async def _failed_write_keeps_data(target: ContractTarget, table: FaultTable) -> None:
    if target.inject_fault is None:
        raise ContractSkip("no inject_fault for this backend")
    storage = await open_storage(target)
    try:
        assert await storage.create_run(_rich())
        before = await storage.load_run(WF, "run-1")
        assert before is not None
        await target.inject_fault(storage, table)
        new_step = StepResult("success", {"new": True})
        await _expect_storage_error(
            storage.save_step(WF, "run-1", "new-step", new_step, {"status": "failed", "state": {"lost": True}}),
            f"save_step with changes, {table} failing",
        )
        await _expect_storage_error(
            storage.save_step(WF, "run-1", "fetch", new_step, {"status": "failed"}), f"save_step upsert, {table} failing"
        )
        if table == "runs":
            await _expect_storage_error(storage.update_run(WF, "run-1", {"status": "failed"}), "update_run, runs failing")
        else:
            await _expect_storage_error(storage.save_step(WF, "run-1", "plain", new_step), "save_step, steps failing")
        assert_same_run(await storage.load_run(WF, "run-1"), before)
    finally:
        await storage.close()


async def check_failed_step_write_raises_storage_error_and_keeps_data(target: ContractTarget) -> None:
    """Step writes failing inside the backend: StorageError, and the run-level changes of that save_step roll back."""
    await _failed_write_keeps_data(target, "steps")


async def check_failed_run_write_raises_storage_error_and_keeps_data(target: ContractTarget) -> None:
    """Run updates failing inside the backend: StorageError, and the step of that save_step is not written."""
    await _failed_write_keeps_data(target, "runs")


async def check_unserializable_value_raises_storage_error(target: ContractTarget) -> None:
    """A value that cannot become JSON raises StorageError and writes nothing."""
    if not target.serializes:
        raise ContractSkip("this backend keeps values by reference")
    storage = await open_storage(target)
    try:
        assert await storage.create_run(_rich())
        circular: list[Any] = []
        circular.append(circular)
        await _expect_storage_error(storage.save_step(WF, "run-1", "bad", StepResult("success", output=circular)), "step")
        await _expect_storage_error(storage.save_step(WF, "run-1", "good", StepResult("success"), {"state": {"loop": circular}}), "changes")
        await _expect_storage_error(storage.update_run(WF, "run-1", {"result": circular}), "update_run")
        await _expect_storage_error(storage.create_run(_rich("run-2", input=circular)), "create_run")
        assert_same_run(await storage.load_run(WF, "run-1"), _rich())
        assert await storage.load_run(WF, "run-2") is None
    finally:
        await storage.close()


Check = Callable[[ContractTarget], Coroutine[Any, Any, None]]
CHECKS: dict[str, Check] = {
    name.removeprefix("check_"): fn for name, fn in list(globals().items()) if name.startswith("check_") and callable(fn)
}
"""Every check, by name, in definition order (then the event log's, the schedules', the payloads')."""

from . import _claim_checks, _event_log_checks  # noqa: E402 - they use the helpers above

CHECKS.update(
    (name.removeprefix("check_"), fn) for name, fn in vars(_event_log_checks).items() if name.startswith("check_") and callable(fn)
)
CHECKS.update(
    (name.removeprefix("check_"), fn) for name, fn in vars(_claim_checks).items() if name.startswith("check_") and callable(fn)
)
CHECKS.update(SCHEDULE_CHECKS)
CHECKS.update(PAYLOAD_CHECKS)


async def run_storage_contract(target: ContractTarget) -> list[str]:
    """Runs every check in order; raises on the first failure; returns the skipped checks' names."""
    skipped: list[str] = []
    for name, check in CHECKS.items():
        try:
            await check(target)
        except ContractSkip:
            skipped.append(name)
    return skipped


class StorageContract:
    """pytest base class: one test per check. Subclass it and provide a `make_storage` fixture."""

    shared_instances: bool = True
    serializes: bool = True
    claimers: int = 8
    processes: int = 4

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        """Override to enable the fault checks (see `ContractTarget`)."""
        raise ContractSkip("inject_fault is not overridden")

    def contract_target(self, make_storage: StorageMaker) -> ContractTarget:
        """The target the checks run against."""
        overridden = type(self).inject_fault is not StorageContract.inject_fault
        return ContractTarget(
            make_storage,
            shared_instances=self.shared_instances,
            serializes=self.serializes,
            inject_fault=self.inject_fault if overridden else None,
            claimers=self.claimers,
            processes=self.processes,
        )


def _make_test(name: str, check: Check) -> Callable[[StorageContract, StorageMaker], None]:
    def test(self: StorageContract, make_storage: StorageMaker) -> None:
        try:
            asyncio.run(check(self.contract_target(make_storage)))
        except ContractSkip as skip:
            import pytest

            pytest.skip(str(skip))

    test.__name__ = test.__qualname__ = f"test_{name}"
    test.__doc__ = check.__doc__
    return test


for _name, _check in CHECKS.items():
    setattr(StorageContract, f"test_{_name}", _make_test(_name, _check))
