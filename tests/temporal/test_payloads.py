"""Large values on Temporal: payloads over the threshold stay in stepstream storage
(PostgreSQL here) and cross Temporal as references, so a 10 MB value works although
Temporal caps a payload at 2 MB."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import psycopg
import pytest
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from stepstream.errors import StorageError
from stepstream.storage import InMemoryStorage, Storage
from stepstream.storage.postgres import PostgresStorage
from stepstream.temporal import StoragePayloadDriver, data_converter

from .conftest import DevServer

TEN_MB = 10 * 1024 * 1024
TIMEOUT = timedelta(seconds=60)


class Blob(BaseModel):
    text: str


class Digest(BaseModel):
    size: int
    sha256: str


@activity.defn
async def make_blob(size: int) -> Blob:
    return Blob(text="x" * (size - 1) + "!")


@activity.defn
async def digest_blob(blob: Blob) -> Digest:
    return Digest(size=len(blob.text), sha256=hashlib.sha256(blob.text.encode()).hexdigest())


@workflow.defn
class BigValues:
    @workflow.run
    async def run(self, size: int) -> Blob:
        blob = await workflow.execute_activity(make_blob, size, start_to_close_timeout=TIMEOUT)
        digest = await workflow.execute_activity(digest_blob, blob, start_to_close_timeout=TIMEOUT)
        assert digest.size == size
        return blob


async def _payload_count(dsn: str, schema: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        row = await (await conn.execute(f"SELECT COUNT(*) FROM {schema}.stepstream_payloads")).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_10_mb_value_crosses_temporal_as_a_reference(temporal_server: DevServer, pg_dsn: str, pg_schema: str) -> None:
    storage = PostgresStorage(pg_dsn, schema=pg_schema)
    try:
        client = await Client.connect(temporal_server.address, namespace=temporal_server.namespace, data_converter=data_converter(storage))
        queue = f"test-{uuid.uuid4().hex}"
        async with Worker(client, task_queue=queue, workflows=[BigValues], activities=[make_blob, digest_blob]):
            blob = await client.execute_workflow(BigValues.run, TEN_MB, id=f"big-{uuid.uuid4().hex}", task_queue=queue)
            small = await client.execute_workflow(BigValues.run, 1000, id=f"small-{uuid.uuid4().hex}", task_queue=queue)
        assert len(blob.text) == TEN_MB and blob.text.endswith("!")
        assert small.text == "x" * 999 + "!"
        # The 10 MB blob is stored once (content-addressed) however often it crossed Temporal;
        # the small run stored nothing.
        assert await _payload_count(pg_dsn, pg_schema) == 1
    finally:
        await storage.close()


def test_a_storage_without_payloads_is_refused_naming_it() -> None:
    class NoPayloads(InMemoryStorage):
        supports_payloads = False

    storage: Storage = NoPayloads()
    with pytest.raises(StorageError, match=r"NoPayloads does not store payloads"):
        data_converter(storage)
    with pytest.raises(StorageError, match=r"NoPayloads does not store payloads"):
        StoragePayloadDriver(storage)
