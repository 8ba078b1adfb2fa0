"""The app the worker process of (i) serves: the same chain, storage and Temporal target as
bench/workers/stepstream_worker.py's op_temporal_chain (passed in the environment).
`python temporal_app.py` runs its worker (what `stepstream worker temporal_app:app` does,
without needing the CLI's extra in the harness venv)."""

from __future__ import annotations

import asyncio
import os

from stepstream_worker import DSN, chain

from stepstream import Stepstream
from stepstream.storage import PostgresStorage
from stepstream.temporal import TemporalExecutor, run_worker  # type: ignore[import-not-found, unused-ignore]

app = Stepstream(
    workflows=[chain(int(os.environ["BENCH_TEMPORAL_N"]), "async")],
    storage=PostgresStorage(DSN, schema=os.environ["BENCH_TEMPORAL_SCHEMA"]),
    executor=TemporalExecutor(os.environ["BENCH_TEMPORAL_TARGET"], task_queue="bench-stepstream"),
)

if __name__ == "__main__":
    asyncio.run(run_worker(app))
