"""The backend under test, shared by the storage and schedule contract checks."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..storage.base import Storage

FaultTable = Literal["runs", "steps"]
StorageMaker = Callable[[], Storage]
FaultInjector = Callable[[Storage, FaultTable], Awaitable[None]]


class ContractSkip(Exception):
    """A check does not apply to this backend (the reason is the message)."""


@dataclass
class ContractTarget:
    """The backend under test.

    `inject_fault(storage, table)` must make every later write to that table
    ("runs": updates of run-level fields; "steps": inserts and updates of step
    records) fail inside the backend's transaction, e.g. with a trigger that
    raises, while reads keep working. Leave it None to skip the fault checks.
    """

    make_storage: StorageMaker
    shared_instances: bool = True
    serializes: bool = True
    inject_fault: FaultInjector | None = None
    claimers: int = 8
    processes: int = 4


async def open_storage(target: ContractTarget) -> Storage:
    """A new storage of the target, set up."""
    storage = target.make_storage()
    await storage.setup()
    return storage


def require_processes(target: ContractTarget) -> None:
    """ContractSkip unless separate processes can open the target's database."""
    if not target.shared_instances:
        raise ContractSkip("instances of this backend do not share a database")
    try:
        pickle.dumps(target.make_storage)
    except Exception as exc:
        raise ContractSkip(f"make_storage cannot be pickled ({exc}); use functools.partial of an importable class") from exc


ChildCall = Callable[[Storage], Awaitable[Any]]


def _child(make_storage: StorageMaker, call: ChildCall, barrier: Any, results: Any) -> None:
    """Child process: open a storage, wait for the others, make one call, report its result."""

    async def main() -> Any:
        storage = make_storage()
        try:
            await storage.setup()
            barrier.wait(60)
            return await call(storage)
        finally:
            await storage.close()

    try:
        results.put(asyncio.run(main()))
    except BaseException as exc:
        results.put(f"error: {exc!r}")
        raise


def in_processes(make_storage: StorageMaker, call: ChildCall, count: int) -> list[Any]:
    """Runs `call(storage)` in `count` spawned processes at once (released by a barrier);
    their results. `make_storage` and `call` must be picklable (module-level or partials)."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(count), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(make_storage, call, barrier, results)) for _ in range(count)]
    for proc in procs:
        proc.start()
    try:
        return [results.get(timeout=90) for _ in procs]
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
        results.join_thread()
