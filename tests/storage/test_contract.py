"""The storage contract on every backend that ships with stepstream."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from stepstream.storage import InMemoryStorage, Storage
from stepstream.storage.base import LoggedEvent, RunChanges
from stepstream.storage.postgres import PostgresStorage
from stepstream.storage.sqlite import SQLiteStorage
from stepstream.testing import CHECKS, ContractSkip, ContractTarget, FaultTable, StorageContract, StorageMaker, run_storage_contract

from .faults import postgres_fault, sqlite_fault


class TestInMemoryContract(StorageContract):
    shared_instances = False
    serializes = False

    @pytest.fixture
    def make_storage(self) -> StorageMaker:
        return InMemoryStorage

    # Not collected: each InMemoryStorage is its own database (nothing to share across
    # instances, processes or a reopen), it has no driver to fail, and keeps values by reference.
    test_concurrent_claims_across_instances = None
    test_concurrent_claims_across_processes = None
    test_racing_schedule_claims_across_instances = None
    test_racing_schedule_claims_across_processes = None
    test_data_survives_reopen = None
    test_wait_events_sees_appends_of_other_instances = None
    test_wait_events_sees_appends_of_other_processes = None
    test_payloads_are_shared_across_instances = None
    test_failed_step_write_raises_storage_error_and_keeps_data = None
    test_failed_run_write_raises_storage_error_and_keeps_data = None
    test_unserializable_value_raises_storage_error = None


class TestSQLiteFileContract(StorageContract):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageMaker:
        return functools.partial(SQLiteStorage, tmp_path / "runs.db")

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        await sqlite_fault(storage, table)


class TestSQLiteMemoryContract(StorageContract):
    shared_instances = False

    # Not collected: every ":memory:" connection is a separate database.
    test_concurrent_claims_across_instances = None
    test_concurrent_claims_across_processes = None
    test_racing_schedule_claims_across_instances = None
    test_racing_schedule_claims_across_processes = None
    test_data_survives_reopen = None
    test_wait_events_sees_appends_of_other_instances = None
    test_wait_events_sees_appends_of_other_processes = None
    test_payloads_are_shared_across_instances = None

    @pytest.fixture
    def make_storage(self) -> StorageMaker:
        return functools.partial(SQLiteStorage, ":memory:")

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        await sqlite_fault(storage, table)


class TestPostgresContract(StorageContract):
    @pytest.fixture
    def make_storage(self, pg_dsn: str, pg_schema: str) -> StorageMaker:
        return functools.partial(PostgresStorage, pg_dsn, schema=pg_schema, connect_timeout=5)

    async def inject_fault(self, storage: Storage, table: FaultTable) -> None:
        await postgres_fault(storage, table)


async def test_run_storage_contract_without_pytest_classes() -> None:
    """The plain-function entry point runs every check and reports the ones that do not apply."""
    skipped = await run_storage_contract(ContractTarget(InMemoryStorage, shared_instances=False, serializes=False))
    assert set(skipped) == {
        "concurrent_claims_across_instances",
        "concurrent_claims_across_processes",
        "racing_schedule_claims_across_instances",
        "racing_schedule_claims_across_processes",
        "data_survives_reopen",
        "wait_events_sees_appends_of_other_instances",
        "wait_events_sees_appends_of_other_processes",
        "payloads_are_shared_across_instances",
        "failed_step_write_raises_storage_error_and_keeps_data",
        "failed_run_write_raises_storage_error_and_keeps_data",
        "unserializable_value_raises_storage_error",
    }
    assert set(skipped) < set(CHECKS)


async def test_schedule_checks_skip_a_backend_without_schedules(tmp_path: Path) -> None:
    """A backend that does not store schedules skips every schedule check, naming itself."""

    class NoSchedules(SQLiteStorage):
        supports_schedules = False

    target = ContractTarget(functools.partial(NoSchedules, tmp_path / "runs.db"))
    for name in ("schedules_round_trip_and_filter", "racing_schedule_claims_on_one_instance"):
        with pytest.raises(ContractSkip, match="NoSchedules does not store schedules"):
            await CHECKS[name](target)


async def test_contract_catches_a_racy_schedule_claim(tmp_path: Path) -> None:
    """The racing-claims check fails a backend whose claim reads, then writes."""

    class Racy(SQLiteStorage):
        async def claim_schedule_fire(
            self, schedule_id: str, expected_next_fire_at: int, next_fire_at: int, *, fired_at: int | None = None, run_id: str | None = None
        ) -> bool:
            row = await self.load_schedule(schedule_id)
            if row is None or row.next_fire_at != expected_next_fire_at:
                return False
            await self.update_schedule(schedule_id, {"next_fire_at": next_fire_at})
            return True

    target = ContractTarget(functools.partial(Racy, tmp_path / "runs.db", synchronous="FULL"))
    with pytest.raises(AssertionError, match="claims won"):
        await CHECKS["racing_schedule_claims_across_instances"](target)


async def test_contract_catches_a_racy_compare_and_set(tmp_path: Path) -> None:
    """The concurrency checks fail a backend whose CAS is a read followed by a write."""

    class Racy(SQLiteStorage):
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
            if expected_status is not None:
                run = await self.load_run(workflow_id, run_id)
                if run is None or run.status not in expected_status:
                    return False
            return await super().update_run(workflow_id, run_id, changes, expected_owner=expected_owner, events=events)

    # FULL runs every call through the worker thread, where the racy read-then-write interleaves;
    # inline (NORMAL) calls never yield between the read and the write in one process.
    target = ContractTarget(functools.partial(Racy, tmp_path / "runs.db", synchronous="FULL"))
    with pytest.raises(AssertionError, match="claims won"):
        await CHECKS["concurrent_claims_across_instances"](target)
