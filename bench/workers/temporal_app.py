"""The app a `stepstream worker` process loads for (i): the same chain, storage and Temporal
target as bench/workers/stepstream_worker.py's op_temporal_chain (passed in the environment)."""

from __future__ import annotations

import os

from stepstream_worker import DSN, chain

from stepstream import Stepstream
from stepstream.storage import PostgresStorage
from stepstream.temporal import TemporalExecutor  # type: ignore[import-not-found, unused-ignore]

app = Stepstream(
    workflows=[chain(int(os.environ["BENCH_TEMPORAL_N"]), "async")],
    storage=PostgresStorage(DSN, schema=os.environ["BENCH_TEMPORAL_SCHEMA"]),
    executor=TemporalExecutor(os.environ["BENCH_TEMPORAL_TARGET"], task_queue="bench-stepstream"),
)
