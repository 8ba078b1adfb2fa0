"""The storage contract's checks of durability: concurrent claims (one instance, several,
several processes), concurrent step writes, reopening, and failed or unserializable
writes that keep what was stored (part of `CHECKS`, see `storage_contract`)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from ..results import StepResult
from ..storage.base import RunRecord, Storage
from ._run_samples import WF, assert_same_run, expect_storage_error, sample_run
from ._target import ContractSkip, ContractTarget, FaultTable, in_processes, open_storage, require_processes


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
        assert await storage.create_run(sample_run())
        await storage.save_step(WF, "run-1", "late", StepResult("success", 1, 2), {"status": "running"})
    finally:
        await storage.close()
    expected = sample_run(status="running")
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
        assert await storage.create_run(sample_run())
        before = await storage.load_run(WF, "run-1")
        assert before is not None
        await target.inject_fault(storage, table)
        new_step = StepResult("success", {"new": True})
        await expect_storage_error(
            storage.save_step(WF, "run-1", "new-step", new_step, {"status": "failed", "state": {"lost": True}}),
            f"save_step with changes, {table} failing",
        )
        await expect_storage_error(
            storage.save_step(WF, "run-1", "fetch", new_step, {"status": "failed"}), f"save_step upsert, {table} failing"
        )
        if table == "runs":
            await expect_storage_error(storage.update_run(WF, "run-1", {"status": "failed"}), "update_run, runs failing")
        else:
            await expect_storage_error(storage.save_step(WF, "run-1", "plain", new_step), "save_step, steps failing")
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
        assert await storage.create_run(sample_run())
        circular: list[Any] = []
        circular.append(circular)
        await expect_storage_error(storage.save_step(WF, "run-1", "bad", StepResult("success", output=circular)), "step")
        await expect_storage_error(storage.save_step(WF, "run-1", "good", StepResult("success"), {"state": {"loop": circular}}), "changes")
        await expect_storage_error(storage.update_run(WF, "run-1", {"result": circular}), "update_run")
        await expect_storage_error(storage.create_run(sample_run("run-2", input=circular)), "create_run")
        assert_same_run(await storage.load_run(WF, "run-1"), sample_run())
        assert await storage.load_run(WF, "run-2") is None
    finally:
        await storage.close()
