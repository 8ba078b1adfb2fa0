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
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

from ..storage.base import Storage
from . import _claim_checks, _durability_checks, _event_log_checks, _record_checks
from ._item_checks import ITEM_CHECKS
from ._payload_checks import PAYLOAD_CHECKS
from ._run_samples import WF, assert_same_run
from ._target import ContractSkip, ContractTarget, FaultTable, StorageMaker
from .schedule_contract import SCHEDULE_CHECKS

__all__ = ["CHECKS", "WF", "StorageContract", "assert_same_run", "run_storage_contract"]

Check = Callable[[ContractTarget], Coroutine[Any, Any, None]]


def _checks(module: ModuleType) -> dict[str, Check]:
    """A module's `check_*` functions by name, in definition order."""
    return {name.removeprefix("check_"): fn for name, fn in vars(module).items() if name.startswith("check_") and callable(fn)}


CHECKS: dict[str, Check] = {
    **_checks(_record_checks),
    **_checks(_durability_checks),
    **_checks(_event_log_checks),
    **_checks(_claim_checks),
    **SCHEDULE_CHECKS,
}
"""Every check, by name: the records', durability's, the event log's, `save_step(create=)`'s, the schedules',
the payloads', the foreach items'."""

CHECKS.update(PAYLOAD_CHECKS)
CHECKS.update(ITEM_CHECKS)


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
