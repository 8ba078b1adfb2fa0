"""The data converter of stepstream on Temporal: pydantic values, and large payloads kept in
stepstream storage, travelling through Temporal as references.

Temporal caps a payload at 2 MB (and warns from 512 KB), and a step's output may cross
Temporal several times (activity result, then workflow input or result). Payloads over
`threshold` bytes (256 KB by default) are stored, content-addressed by their SHA-256, with
`Storage.save_payload`; Temporal's history holds only the reference. This uses the SDK's
own external-storage mechanism (`temporalio.converter.ExternalStorage`) with a driver
writing to stepstream's storage, so workers need no other store: they already share the
app's storage (PostgreSQL in production).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    ExternalStorage,
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from ..errors import StorageError
from ..storage.base import Storage

DEFAULT_THRESHOLD = 256 * 1024
"""Payloads of at least this many bytes travel as references (Temporal's own default)."""


class StoragePayloadDriver(StorageDriver):
    """A `temporalio` storage driver that keeps payloads in a stepstream `Storage`."""

    def __init__(self, storage: Storage, *, name: str = "stepstream"):
        if not storage.supports_payloads:
            raise StorageError(
                f"{type(storage).__name__} does not store payloads, which stepstream on Temporal needs for large values; "
                "use SQLiteStorage or PostgresStorage"
            )
        self.storage = storage
        self._name = name

    def name(self) -> str:
        return self._name

    def type(self) -> str:
        return "stepstream.storage"

    async def store(self, context: StorageDriverStoreContext, payloads: Sequence[Payload]) -> list[StorageDriverClaim]:
        claims = []
        for payload in payloads:
            data = payload.SerializeToString(deterministic=True)
            digest = hashlib.sha256(data).hexdigest()
            await self.storage.save_payload(digest, data)
            claims.append(StorageDriverClaim({"digest": digest, "size": str(len(data))}))
        return claims

    async def retrieve(self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]) -> list[Payload]:
        payloads = []
        for claim in claims:
            digest = claim.claim_data.get("digest", "")
            data = await self.storage.load_payload(digest)
            if data is None:
                raise StorageError(
                    f"payload {digest or '(no digest)'} is not in {type(self.storage).__name__}: it was deleted "
                    "(delete_payloads), or this worker uses another storage than the process that stored it"
                )
            payloads.append(Payload.FromString(data))
        return payloads


def data_converter(storage: Storage, *, threshold: int = DEFAULT_THRESHOLD) -> DataConverter:
    """Temporal's pydantic data converter, with payloads of `threshold` bytes or more kept in
    `storage` (see the module docstring). Give the same converter to the client and workers."""
    external = ExternalStorage(drivers=[StoragePayloadDriver(storage)], payload_size_threshold=threshold)
    return dataclasses.replace(pydantic_data_converter, external_storage=external)
