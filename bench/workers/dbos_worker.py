"""DBOS's side (bench/.venv-dbos): a workflow calling a `@DBOS.step()` once per chain step.

DBOS checkpoints every step's output in its system database before the next step runs, so it
is compared with stepstream's durable runs. One worker process per database (DBOS is
configured once per process): `dbos_worker.py sqlite` (DBOS's own SQLite settings: rollback
journal, the sqlite3 default `synchronous=FULL`) or `dbos_worker.py postgres`
(`synchronous_commit=on`, a database of its own that DBOS creates).
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DSN, serve, stored_bytes, timed, timed_async, warmups, written_bytes
from dbos import DBOS, DBOSConfig

STORE = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
TMP = tempfile.mkdtemp(prefix="dbos-bench-")
DB_PATH = os.path.join(TMP, "dbos.db")
PG_DB = f"bench_dbos_{uuid.uuid4().hex[:8]}"
URL = f"sqlite:///{DB_PATH}" if STORE == "sqlite" else DSN.rsplit("/", 1)[0] + f"/{PG_DB}"

config: DBOSConfig = {"name": "stepstream-bench", "system_database_url": URL, "run_admin_server": False}
DBOS(config=config)


@DBOS.step()
def inc(n: int) -> int:
    return n + 1


@DBOS.step()
async def ainc(n: int) -> int:
    return n + 1


@DBOS.workflow()
def chain(n: int, steps: int) -> int:
    for _ in range(steps):
        n = inc(n)
    return n


@DBOS.workflow()
async def achain(n: int, steps: int) -> int:
    for _ in range(steps):
        n = await ainc(n)
    return n


DBOS.launch()


def op_chain(reps: int, n: int, mode: str = "sync", store: str = "") -> Any:
    if store and not store.startswith(STORE):
        raise ValueError(f"this DBOS worker stores in {STORE}, not {store}")
    if mode == "sync":

        def one(_i: int) -> None:
            assert chain(0, n) == n

        return {"s": timed(reps, one, warmups(reps))}

    async def aone(_i: int) -> None:
        assert await achain(0, n) == n

    async def measure() -> dict[str, Any]:
        return {"s": await timed_async(reps, aone, warmups(reps))}

    return measure()


def op_bytes(reps: int, n: int) -> dict[str, Any]:
    if STORE != "sqlite":
        raise ValueError("bytes are measured on SQLite")
    chain(0, min(n, 10))  # a short run first: tables and caches warm
    kept0, written0 = stored_bytes(DB_PATH), written_bytes()
    chain(0, n)
    written = written_bytes() - written0
    return {"written": [written / n], "kept": [(stored_bytes(DB_PATH) - kept0) / n]}


def op_close(reps: int) -> dict[str, Any]:
    DBOS.destroy()
    if STORE == "postgres":
        import psycopg

        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    return {}


if __name__ == "__main__":
    serve({"chain": op_chain, "bytes": op_bytes, "close": op_close})
