"""Contract checks for the payload methods of a `Storage` (part of `CHECKS`).

They skip a backend whose `supports_payloads` is False. Payloads are content-addressed
blobs (stepstream.temporal keeps large Temporal payloads in them): a digest stored
once keeps its first bytes, and they must come back byte for byte, at any size.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

from ..storage.base import Storage, now_ms
from ._target import ContractSkip, ContractTarget, open_storage


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _with_storage(target: ContractTarget, body: Callable[[Storage], Coroutine[Any, Any, None]]) -> None:
    storage = await open_storage(target)
    try:
        if not storage.supports_payloads:
            raise ContractSkip(f"{type(storage).__name__} does not store payloads")
        await body(storage)
    finally:
        await storage.close()


async def check_payloads_round_trip(target: ContractTarget) -> None:
    """Bytes come back as stored (every byte value, 10 MB too); a digest stored twice keeps its first bytes."""

    async def body(storage: Storage) -> None:
        small = bytes(range(256)) * 3
        large = bytes(range(256)) * (10 * 1024 * 1024 // 256)
        for data in (small, large, b""):
            await storage.save_payload(_digest(data), data)
            assert await storage.load_payload(_digest(data)) == data
        await storage.save_payload(_digest(small), b"other bytes")
        assert await storage.load_payload(_digest(small)) == small, "save_payload must not overwrite a stored digest"
        assert await storage.load_payload(_digest(b"never stored")) is None

    await _with_storage(target, body)


async def check_payloads_are_deleted_by_age(target: ContractTarget) -> None:
    """`delete_payloads(before)` drops only payloads stored before `before` and counts them."""

    async def body(storage: Storage) -> None:
        await storage.save_payload("old", b"old")
        await asyncio.sleep(0.005)
        boundary = now_ms()
        await asyncio.sleep(0.005)
        await storage.save_payload("new", b"new")
        assert await storage.delete_payloads(boundary) == 1
        assert await storage.load_payload("old") is None
        assert await storage.load_payload("new") == b"new"
        assert await storage.delete_payloads(boundary) == 0

    await _with_storage(target, body)


async def check_payloads_are_shared_across_instances(target: ContractTarget) -> None:
    """A payload one instance stores, another instance on the same database reads."""
    if not target.shared_instances:
        raise ContractSkip("instances of this backend do not share a database")

    async def body(storage: Storage) -> None:
        await storage.save_payload("shared", b"\x00shared\xff")
        other = await open_storage(target)
        try:
            assert await other.load_payload("shared") == b"\x00shared\xff"
        finally:
            await other.close()

    await _with_storage(target, body)


PAYLOAD_CHECKS = {name.removeprefix("check_"): fn for name, fn in list(globals().items()) if name.startswith("check_") and callable(fn)}
"""The payload checks, by name, in definition order."""
