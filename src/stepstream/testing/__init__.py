"""Test helpers for code built on stepstream: the storage contract suite.

`StorageContract` (pytest) and `run_storage_contract` (anywhere) check that a
`Storage` backend behaves as the engine needs; see `storage_contract`.
"""

from __future__ import annotations

from .storage_contract import (
    CHECKS,
    ContractSkip,
    ContractTarget,
    FaultTable,
    StorageContract,
    StorageMaker,
    assert_same_run,
    run_storage_contract,
)

__all__ = [
    "CHECKS",
    "ContractSkip",
    "ContractTarget",
    "FaultTable",
    "StorageContract",
    "StorageMaker",
    "assert_same_run",
    "run_storage_contract",
]
