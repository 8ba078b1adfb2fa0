"""Test helpers for code built on stepstream: the storage contract suite and a fake clock.

`StorageContract` (pytest) and `run_storage_contract` (anywhere) check that a
`Storage` backend behaves as the engine and the scheduler need; see
`storage_contract` and `schedule_contract`. `FakeClock` drives the scheduler
without sleeping.
"""

from __future__ import annotations

from ._target import ContractSkip, ContractTarget, FaultTable, StorageMaker
from .clock import FakeClock
from .storage_contract import CHECKS, StorageContract, assert_same_run, run_storage_contract

__all__ = [
    "CHECKS",
    "ContractSkip",
    "ContractTarget",
    "FakeClock",
    "FaultTable",
    "StorageContract",
    "StorageMaker",
    "assert_same_run",
    "run_storage_contract",
]
