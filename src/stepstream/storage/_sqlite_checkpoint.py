"""SQLite's WAL checkpoints, on the worker thread, beside the inline commits.

The inline connection commits on the event loop and never checkpoints (`wal_autocheckpoint=0`);
every `EVERY` inline commits `Checkpoints` copies the WAL into the database on the worker
thread, in two passes.

The first pass runs beside the inline commits and copies what the log held when it started:
the bulk of the work (about 3 ms every 130 commits here: the pages and three fdatasyncs).
The second copies only the frames committed during the first, and every call waits for it
(inline ones on the loop), so that it copies the whole log: SQLite only restarts (and, with
`journal_size_limit`, truncates) a WAL whose frames were all copied, and a checkpoint that
overlaps new commits never catches up on its own (the WAL grew without bound under sustained
load: 448 MiB after 6,000 three-step runs with the first pass alone). Waiting for the whole
checkpoint instead held every write for its full length (handing each call to the worker
thread cost more CPU than the wait: under load half the calls came during a checkpoint).
Commits are as durable as before: nothing is skipped, only queued.

The second pass also restarts the log once it is all copied (`restart`): SQLite rewrites a
reused log's header at the first commit after a complete checkpoint, and at
`synchronous=NORMAL` it syncs that header, an fdatasync (0.5-2.5 ms here, more on a busy
disk) that, left to the next inline commit, held the event loop. A second pass runs whenever
the first copied the whole log, even with no commit meanwhile, so that sync is always its.

The first pass is a plain thread future, polled by the next call (`ready`): a caller that
runs short runs back to back may not give the loop a pass for a while.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from concurrent.futures import ThreadPoolExecutor

from ._sqlite_tx import write_tx

EVERY = 130
"""Inline commits between two checkpoints (a commit with events dirties ~1.5x the pages)."""


def checkpoint(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """A passive WAL checkpoint (on the worker thread): the frames of the log as it found it
    and how many it copied, or None when it failed (retried after the next batch of commits)."""
    try:
        _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error:
        return None
    return frames, copied


def restart(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """The second pass: a passive checkpoint and, when it copied the whole log, a write that
    restarts it (the header rewritten and synced here, on the worker thread). The write sets
    `user_version` to what it is, and never waits for a lock: another process writing has
    restarted the log itself."""
    copied = checkpoint(conn)
    if copied is None or copied[0] != copied[1] or copied[0] == 0:
        return copied
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    try:
        conn.execute("PRAGMA busy_timeout=0")
        write_tx(conn, _rewrite_user_version)  # (under the write lock: no update lost)
    except sqlite3.Error:
        pass
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout)}")
    return copied


def _rewrite_user_version(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    conn.execute(f"PRAGMA user_version={int(version)}")


class Checkpoints:
    """The checkpoint passes of one `SQLiteStorage` (see the module's docstring). Its inline
    path reads `first` and `second` (None but while a checkpoint runs) and counts `commits`."""

    __slots__ = ("commits", "first", "second")

    def __init__(self) -> None:
        #: inline commits so far (a checkpoint starts every `EVERY`)
        self.commits = 0
        #: the first pass, beside the inline commits
        self.first: concurrent.futures.Future[tuple[int, int] | None] | None = None
        #: the second pass, which every call waits for
        self.second: asyncio.Future[tuple[int, int] | None] | None = None

    def start(self, conn: sqlite3.Connection | None, executor: ThreadPoolExecutor | None) -> None:
        """Starts the first pass, unless a checkpoint runs."""
        if conn is not None and executor is not None and self.first is None and (self.second is None or self.second.done()):
            self.first = executor.submit(checkpoint, conn)

    async def wait(self, conn: sqlite3.Connection | None, executor: ThreadPoolExecutor | None) -> None:
        """Before a call, while a checkpoint runs: waits for its second pass, started here
        when the first has ended having copied the whole log as it found it (it copies what
        was committed since, and restarts the log)."""
        first = self.first
        if first is not None and first.done():
            self.first = None
            copied = first.result()
            if copied is not None and copied[0] == copied[1] and conn is not None and executor is not None:
                self.second = asyncio.get_running_loop().run_in_executor(executor, restart, conn)
        while self.second is not None:
            second = self.second
            if not second.done():
                await asyncio.shield(second)
            if self.second is second:
                self.second = None

    async def settled(self) -> None:
        """Waits for both passes (closing the storage)."""
        if self.first is not None:
            await asyncio.wait([asyncio.wrap_future(self.first)])
        if self.second is not None:
            await asyncio.wait([self.second])
