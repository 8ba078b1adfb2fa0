"""SQLiteStorage faults and guarantees the contract does not cover."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from stepstream import RunQuery
from stepstream.errors import StorageError
from stepstream.events import EMPTY_USAGE
from stepstream.results import StepResult
from stepstream.storage.base import LoggedEvent, RunRecord
from stepstream.storage.migrations import VERSION_TABLE, latest_version, load_migrations
from stepstream.storage.sqlite import SQLiteStorage, _statements

RECORD = StepResult("success", {"prompt": "p" * 200}, {"text": "o" * 200}, started_at=1, ended_at=2)


async def _pragma(storage: SQLiteStorage, sql: str) -> Any:
    return await storage._run(lambda conn: conn.execute(sql).fetchone()[0], "test")


def _versions(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")]
    finally:
        conn.close()


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- files that are not ours -------------------------------------------------------


async def test_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 200
    path.write_bytes(content)
    storage = SQLiteStorage(path)
    with pytest.raises(StorageError, match="is not a SQLite database") as info:
        await storage.setup()
    assert str(path) in str(info.value)
    await storage.close()
    assert path.read_bytes() == content
    assert _names(tmp_path) == ["notes.db"], "no journal or WAL files may be left behind"


async def test_database_with_foreign_tables_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    storage = SQLiteStorage(path)
    with pytest.raises(StorageError, match="tables that are not stepstream's") as info:
        await storage.setup()
    assert str(path) in str(info.value) and "users" in str(info.value)
    await storage.close()
    assert path.read_bytes() == content, "the file (even its journal mode) must be untouched"


async def test_newer_schema_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    storage = SQLiteStorage(path)
    assert await storage.create_run(RunRecord("wf", "r1", state={"keep": True}))
    await storage.close()
    conn = sqlite3.connect(path)
    conn.execute(f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (?, 0)", (latest_version("sqlite") + 1,))
    conn.commit()
    conn.close()
    content = path.read_bytes()
    newer = SQLiteStorage(path)
    with pytest.raises(StorageError, match=f"schema version {latest_version('sqlite') + 1}, newer than") as info:
        await newer.load_run("wf", "r1")
    assert str(path) in str(info.value)
    await newer.close()
    assert path.read_bytes() == content


async def test_unopenable_path_raises_storage_error(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "missing-dir" / "runs.db")
    with pytest.raises(StorageError, match="missing-dir"):
        await storage.setup()
    await storage.close()


# -- migrations --------------------------------------------------------------------


async def test_migrations_are_idempotent_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    for i in range(3):
        storage = SQLiteStorage(path)
        await storage.setup()
        await storage.setup()
        assert await storage.create_run(RunRecord("wf", f"r{i}"))
        await storage.close()
    assert _versions(path) == list(range(1, latest_version("sqlite") + 1))
    storage = SQLiteStorage(path)
    assert (await storage.list_runs())[1] == 3
    await storage.close()


async def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    storages = [SQLiteStorage(path) for _ in range(6)]
    try:
        await asyncio.gather(*(s.setup() for s in storages))
    finally:
        for s in storages:
            await s.close()
    assert _versions(path) == list(range(1, latest_version("sqlite") + 1))


def _database_at(path: Path, version: int) -> sqlite3.Connection:
    """A database with stepstream's schema at `version` (an older release's file)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
    for number, _name, sql in load_migrations("sqlite")[:version]:
        for statement in _statements(sql):
            conn.execute(statement)
        conn.execute(f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (?, 0)", (number,))
    return conn


async def test_a_v6_database_migrates_keeping_its_steps_and_events(tmp_path: Path) -> None:
    """v8 moved the event log into stepstream_steps: records keep their order, events their offsets."""
    path = tmp_path / "runs.db"
    conn = _database_at(path, 6)
    wire = [{"type": "workflow-step-start", "runId": "r1", "from": "WORKFLOW", "payload": {"i": i}} for i in range(3)]
    conn.execute("INSERT INTO stepstream_runs (workflow_id, run_id, status, created_at, updated_at) VALUES ('wf', 'r1', 'running', 1, 1)")
    for key in ("b", "a"):  # first-write order, not key order
        conn.execute(
            "INSERT INTO stepstream_steps (workflow_id, run_id, key, record) VALUES ('wf', 'r1', ?, ?)", (key, '{"status":"success"}')
        )
    for seq, next_seq in ((0, 2), (2, 3)):
        batch = json.dumps(wire[seq:next_seq])
        conn.execute("INSERT INTO stepstream_events VALUES ('wf', 'r1', ?, ?, ?)", (seq, next_seq, batch))
    conn.close()
    storage = SQLiteStorage(path)
    try:
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and list(loaded.steps) == ["b", "a"]
        page = await storage.read_events("wf", "r1", 1)
        assert page is not None and page.next_offset == 3
        assert page.events == [LoggedEvent(1, wire[1]), LoggedEvent(2, wire[2])]
        more = [LoggedEvent(3, {"type": "workflow-finish", "runId": "r1", "from": "WORKFLOW", "payload": {}})]
        with pytest.raises(StorageError):
            await storage.append_events("wf", "r1", [LoggedEvent(2, more[0].data)])
        assert await storage.update_run("wf", "r1", {"status": "success"}, events=more)
        page = await storage.read_events("wf", "r1")
        assert page is not None and [e.data for e in page.events] == [*wire, more[0].data]
        assert await storage.delete_run("wf", "r1")
        rows = await storage._run(lambda c: c.execute("SELECT COUNT(*) FROM stepstream_steps").fetchone()[0], "test")
        assert rows == 0, "a run's events go with it"
    finally:
        await storage.close()
    assert _versions(path) == list(range(1, latest_version("sqlite") + 1))


def test_statement_splitter_handles_comments_and_semicolons() -> None:
    sql = "-- a; comment\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n\n-- trailing comment\nCREATE INDEX i ON a (x);\n-- end\n"
    assert _statements(sql) == ["-- a; comment\nCREATE TABLE a (x TEXT DEFAULT 'a;b');", "-- trailing comment\nCREATE INDEX i ON a (x);"]
    with pytest.raises(RuntimeError, match="incomplete"):
        _statements("CREATE TABLE a (x TEXT)")


# -- durability settings -------------------------------------------------------------


async def test_wal_and_synchronous_normal_by_default(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    try:
        assert await _pragma(storage, "PRAGMA journal_mode") == "wal"
        assert await _pragma(storage, "PRAGMA synchronous") == 1  # NORMAL
        assert await _pragma(storage, "PRAGMA foreign_keys") == 1
    finally:
        await storage.close()


async def test_synchronous_full_on_request(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db", synchronous="full")
    try:
        assert await _pragma(storage, "PRAGMA synchronous") == 2  # FULL
        assert await storage.create_run(RunRecord("wf", "r1"))
        assert (await storage.load_run("wf", "r1")) is not None
    finally:
        await storage.close()


def test_synchronous_rejects_unknown_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be 'NORMAL' or 'FULL', got 'OFF'"):
        SQLiteStorage(tmp_path / "runs.db", synchronous="OFF")


async def test_a_locked_database_never_blocks_the_event_loop(tmp_path: Path) -> None:
    """NORMAL mode writes inline; when another process holds the lock the write waits on the
    worker thread, and other coroutines keep running meanwhile."""
    path = tmp_path / "runs.db"
    storage = SQLiteStorage(path, busy_timeout=0.2, lock_timeout=30)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    try:
        assert await storage.create_run(RunRecord("wf", "r1", status="running"))
        async with _LockHolder(path) as holder:
            write = asyncio.ensure_future(storage.save_step("wf", "r1", "a", RECORD))
            tick_task = asyncio.ensure_future(ticker())
            while ticks < 5:  # the loop is free while the write waits for the lock
                await asyncio.sleep(0.005)
            assert not write.done()
            await holder.release()
            await write
            tick_task.cancel()
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and list(loaded.steps) == ["a"]
    finally:
        await storage.close()


async def test_memory_database_works_without_wal() -> None:
    storage = SQLiteStorage(":memory:")
    try:
        assert await storage.create_run(RunRecord("wf", "r1"))
        assert await _pragma(storage, "PRAGMA journal_mode") == "memory"
    finally:
        await storage.close()


async def test_closed_storage_raises_storage_error(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    await storage.setup()
    await storage.close()
    await storage.close()
    with pytest.raises(StorageError, match="closed"):
        await storage.load_run("wf", "r1")
    with pytest.raises(StorageError, match="closed"):
        await storage.setup()


async def test_unknown_run_field_raises_storage_error(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    try:
        assert await storage.create_run(RunRecord("wf", "r1"))
        with pytest.raises(StorageError, match="unknown run field"):
            await storage.update_run("wf", "r1", {"status; DROP TABLE stepstream_runs": "x"})  # type: ignore[typeddict-unknown-key]
        assert await storage.load_run("wf", "r1") is not None
    finally:
        await storage.close()


async def test_nan_is_stored_as_null(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    try:
        assert await storage.create_run(RunRecord("wf", "r1"))
        await storage.save_step("wf", "r1", "s", StepResult("success", output={"x": float("nan"), "y": [float("inf"), 1.0]}))
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and loaded.steps["s"].output == {"x": None, "y": [None, 1.0]}
    finally:
        await storage.close()


# -- locking ---------------------------------------------------------------------------

_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
conn.close()
"""


class _LockHolder:
    """Another process holding the database's write lock until `release()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> _LockHolder:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _HOLD_LOCK, str(self.path), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert self.proc.stdout is not None
        assert await asyncio.wait_for(self.proc.stdout.readline(), 30) == b"locked\n"
        return self

    async def release(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"\n")
            await self.proc.communicate()

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


async def test_locked_database_is_waited_for_then_written(tmp_path: Path) -> None:
    """A write lock held by another process longer than busy_timeout: retried with backoff, nothing lost."""
    path = tmp_path / "runs.db"
    storage = SQLiteStorage(path, busy_timeout=0.05, lock_timeout=30)
    try:
        assert await storage.create_run(RunRecord("wf", "r1", status="running"))
        async with _LockHolder(path) as holder:
            started = time.monotonic()
            writes = asyncio.gather(
                storage.save_step("wf", "r1", "a", RECORD, {"state": {"n": 1}}),
                storage.save_step("wf", "r1", "b", RECORD),
                storage.update_run("wf", "r1", {"status": "success"}, expected_status=["running"]),
            )
            await asyncio.sleep(0.6)  # several busy_timeouts: our own retry loop must be what keeps going
            assert not writes.done()
            await holder.release()
            _, _, claimed = await writes
        assert claimed is True and time.monotonic() - started >= 0.6
        loaded = await storage.load_run("wf", "r1")
        # the two step writes race through the retry loop (jittered backoff): either may land first
        assert loaded is not None and sorted(loaded.steps) == ["a", "b"] and loaded.status == "success"
        assert loaded.state == {"n": 1}
    finally:
        await storage.close()


async def test_lock_never_released_raises_storage_error_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    storage = SQLiteStorage(path, busy_timeout=0.02, lock_timeout=0.3)
    try:
        assert await storage.create_run(RunRecord("wf", "r1", status="running"))
        await storage.save_step("wf", "r1", "a", RECORD)
        async with _LockHolder(path):
            with pytest.raises(StorageError, match="still locked after") as info:
                await storage.save_step("wf", "r1", "b", RECORD, {"status": "failed"})
            assert str(path) in str(info.value)
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and list(loaded.steps) == ["a"] and loaded.status == "running"
    finally:
        await storage.close()


# -- write size -------------------------------------------------------------------------


async def _settled(storage: SQLiteStorage) -> None:
    """Waits for a WAL checkpoint's passes on the worker thread, so the next call runs on the
    inline connection (it starts the second pass, if any, and waits for it)."""
    checkpoints = storage._checkpoints
    if checkpoints.first is not None:
        await asyncio.wrap_future(checkpoints.first)
    if checkpoints.second is not None:
        await checkpoints.second


async def _inline(storage: SQLiteStorage, fn: Any) -> Any:
    """`fn(connection)` on the inline connection (total_changes is per connection)."""
    await _settled(storage)
    return await storage._run(fn, "test")


async def _per_step_writes(path: Path, steps: int) -> list[tuple[int, int, int]]:
    """For each save_step: (JSON chars sent, rows changed, WAL pages committed)."""
    storage = SQLiteStorage(path)
    out: list[tuple[int, int, int]] = []
    try:
        assert await storage.create_run(RunRecord("wf", "r1", state={"big": "s" * 20_000}, input={"i": "x" * 5_000}))
        for i in range(steps):
            await _inline(storage, lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
            changes_before = await _inline(storage, lambda c: c.total_changes)
            await _settled(storage)
            await storage.save_step("wf", "r1", f"step-{i:05d}", RECORD)
            frames = await _inline(storage, lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
            rows = await _inline(storage, lambda c: c.total_changes) - changes_before
            out.append((storage._last_write_size, rows, frames))
    finally:
        await storage.close()
    return out


async def test_bytes_written_per_step_do_not_grow_with_the_run(tmp_path: Path) -> None:
    short = await _per_step_writes(tmp_path / "short.db", 10)
    long = await _per_step_writes(tmp_path / "long.db", 1000)
    # The JSON sent and the rows changed are identical for the 5th and the 1000th step.
    assert {(size, rows) for size, rows, _ in short} == {(size, rows) for size, rows, _ in long} == {(short[0][0], 1)}
    # Pages committed: the step row and its two index entries (a B-tree split now and then), never the run.
    early = statistics.median(frames for _, _, frames in short)
    late = statistics.median(frames for _, _, frames in long[-100:])
    assert late <= early + 1, (early, late)
    assert max(frames for _, _, frames in long) <= 12  # the run's 20 KB state alone would be 6+ pages


async def test_our_table_names_without_version_table_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE stepstream_runs (id INTEGER)")
    conn.close()
    content = path.read_bytes()
    storage = SQLiteStorage(path)
    with pytest.raises(StorageError, match="named like stepstream's but no stepstream_schema_version"):
        await storage.setup()
    await storage.close()
    assert path.read_bytes() == content


_WRITER = """
import asyncio, sys
from stepstream.results import StepResult
from stepstream.storage.base import RunRecord
from stepstream.storage.sqlite import SQLiteStorage

async def main():
    storage = SQLiteStorage(sys.argv[1])
    await storage.create_run(RunRecord("wf", "r1", status="running"))
    i = 0
    while True:
        await storage.save_step("wf", "r1", f"step-{i:05d}", StepResult("success", i, i), {"state": {"last": i}})
        print(i, flush=True)  # reported complete
        i += 1

asyncio.run(main())
"""


async def test_killed_process_loses_no_reported_step(tmp_path: Path) -> None:
    """SIGKILL mid-run: every step whose save_step returned is there, with its run changes."""
    path = tmp_path / "runs.db"
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", _WRITER, str(path), stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    reported = -1
    while reported < 200:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        reported = int(line)
    proc.kill()
    await proc.communicate()
    storage = SQLiteStorage(path)
    try:
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None
        saved = [int(key.removeprefix("step-")) for key in loaded.steps]
        assert saved == list(range(len(saved))) and len(saved) > reported
        assert loaded.state == {"last": saved[-1]}, "the run changes commit with their step"
    finally:
        await storage.close()


async def test_wal_stays_bounded_under_sustained_load(tmp_path: Path) -> None:
    """Thousands of back-to-back runs: the periodic checkpoint must catch up with the log so
    SQLite restarts it; before the fix the -wal file grew ~85 MiB per 1,000 three-step runs."""
    from stepstream import Stepstream, create_step, create_workflow

    steps = [create_step(id=f"s{i}", execute=lambda ctx: {"value": "v" * 100}) for i in range(3)]
    wf = create_workflow(id="wal-load").then(steps[0]).then(steps[1]).then(steps[2]).commit()
    path = tmp_path / "runs.db"
    app = Stepstream([wf], storage=SQLiteStorage(path))
    wal = Path(f"{path}-wal")
    largest = 0
    try:
        for i in range(2500):
            run = await wf.create_run()
            assert (await run.start(input_data={})).status == "success"
            if i % 100 == 99:
                largest = max(largest, await asyncio.to_thread(os.path.getsize, wal))
        runs, total = await app.storage.list_runs(RunQuery(workflow_id="wal-load", per_page=1, page=0))
        assert total == 2500 and runs[0].status == "success"
    finally:
        await app.close()
    # Bounded, not small: the log grows while a checkpoint's first pass runs beside the
    # commits, so a starved worker thread lets it grow further (3.5-4 MiB here, 8.5 MiB once
    # in a suite run beside two busy CPUs); with no second pass it reached 184 MiB here.
    assert largest < 24 * 1024 * 1024, f"the WAL grew to {largest / 2**20:.1f} MiB"


async def test_a_checkpoint_copies_the_log_beside_the_commits_then_catches_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checkpoint's first pass runs on the worker thread while inline commits go on;
    the next call after it ends waits for a second pass, which copies what was committed
    meanwhile, so SQLite restarts the log (a checkpoint that overlaps commits never
    catches up on its own)."""
    from stepstream.storage import _sqlite_checkpoint, sqlite

    real = _sqlite_checkpoint.checkpoint
    held = threading.Event()
    started = threading.Event()
    passes: list[int] = []

    def checkpoint(conn: sqlite3.Connection) -> tuple[int, int] | None:
        passes.append(len(passes))
        if len(passes) == 1:
            started.set()
            assert held.wait(10), "the first pass was never released"
        return real(conn)

    monkeypatch.setattr(_sqlite_checkpoint, "checkpoint", checkpoint)
    monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY", 5)
    storage = SQLiteStorage(tmp_path / "runs.db")
    try:
        assert await storage.create_run(RunRecord("wf", "r1", status="running"))
        saved = 0
        while not started.is_set() and saved < 20:  # the first pass starts after the 5th commit, and is held
            assert await asyncio.wait_for(storage.save_step("wf", "r1", f"s{saved}", RECORD), 5)
            saved += 1
        assert await asyncio.to_thread(started.wait, 10), "no checkpoint pass started"  # its thread may start late
        for _ in range(15):  # while the first pass is held
            assert await asyncio.wait_for(storage.save_step("wf", "r1", f"s{saved}", RECORD), 5)
            saved += 1
        assert passes == [0], "commits went on beside the first pass, and no other started"
        held.set()
        first = storage._checkpoints.first
        assert first is not None
        await asyncio.wrap_future(first)
        # no pass of their own from here: the commit count depends on how late the first pass's
        # thread started, and a pass started by a commit below would hold the log
        monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY", 1 << 30)
        assert await storage.save_step("wf", "r1", "after", RECORD)  # starts the second pass, and waits for it
        assert passes == [0, 1]
        assert storage._checkpoints.first is None and storage._checkpoints.second is None
        # the log was copied whole: the next write restarts it, and the log holds that write alone
        assert await storage.save_step("wf", "r1", "restarted", RECORD)
        frames = await storage._run(lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1], "test")
        assert 0 < frames <= 12, frames
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and len(loaded.steps) == saved + 2
    finally:
        held.set()
        await storage.close()


async def test_the_log_restarts_on_the_worker_thread_not_in_the_next_inline_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a checkpoint has copied the whole log, SQLite rewrites the log's header (new
    salts) at the next write, and at synchronous=NORMAL syncs it: that write is the second
    pass's, on the worker thread, so the inline commit after it leaves the header alone and
    the event loop never waits on that sync."""
    from stepstream.storage import sqlite

    def header() -> bytes:  # the log's checkpoint sequence number and salts
        with open(f"{path}-wal", "rb") as f:
            return f.read(24)[12:]

    monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY", 5)
    path = tmp_path / "runs.db"
    storage = SQLiteStorage(path)
    try:
        assert await storage.create_run(RunRecord("wf", "r1", status="running"))
        other = sqlite3.connect(path)
        other.execute("PRAGMA user_version=7")  # the application's own, which the restart keeps
        other.commit()
        other.close()
        for i in range(4):  # the 5th inline commit (the run's is the 1st) starts the first pass
            assert await storage.save_step("wf", "r1", f"s{i}", RECORD)
        first = storage._checkpoints.first
        assert first is not None
        # no commit beside it (one during it leaves the log partly copied, and no second pass runs)
        copied = await asyncio.wrap_future(first)
        assert copied is not None and copied[0] == copied[1] > 0, copied
        before = header()
        await storage._checkpoints.wait(storage._conn, storage._executor)  # what the next call does first
        restarted = header()
        assert restarted != before, "the second pass restarted the log"
        monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY", 1 << 30)
        assert await storage.save_step("wf", "r1", "inline", RECORD)
        assert header() == restarted, "the inline commit appended to the log, and did not restart it"
        assert await _inline(storage, lambda c: c.execute("PRAGMA user_version").fetchone()[0]) == 7
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and list(loaded.steps) == [f"s{i}" for i in range(4)] + ["inline"]
    finally:
        await storage.close()


@pytest.mark.parametrize(
    ("record", "bailed"),
    [
        (StepResult("success", {"n": 1}, {"n": 2}, started_at=1, ended_at=2), False),
        (StepResult("success", {"n": 1}, {"n": 2}, started_at=1, ended_at=2), True),
        (StepResult("suspended", {"n": 1}, None, started_at=1, suspend_payload={"q": "ok?"}), False),
    ],
)
def test_a_steps_events_read_back_from_their_short_stored_form(record: StepResult, bailed: bool) -> None:
    """A step's start and result entries and the run's finish are stored without their fixed
    keys (a result right after its step's start without the step's name and call id), and
    read back as their wire JSON, key for key, from any offset; events stored in the earlier
    form still read back."""
    from types import SimpleNamespace

    from stepstream.engine._step_events import StepSettled, StepStarted
    from stepstream.storage._sqlite_events import event_row, row_events

    rs = SimpleNamespace(next_offset=4, run_id="run-1", pending=[], flush_off=False)
    entries: list[LoggedEvent] = [StepStarted(rs, "a", "call-1", {"n": 1}, 1), StepSettled(rs, "a", "call-1", record, bailed)]  # type: ignore[arg-type]
    entries.append(StepSettled(rs, "b", "call-2", record, bailed))  # type: ignore[arg-type]
    usage = dict(EMPTY_USAGE)
    for payload in (
        {"workflowStatus": "success", "output": {"usage": usage}, "metadata": {}, "finalWorkflowResult": {"n": 3}},
        {"workflowStatus": "failed", "output": {"usage": {**usage, "totalTokens": 5}}, "metadata": {}},
        {"workflowStatus": "success", "output": {"usage": usage}, "metadata": {"k": 1}, "finalWorkflowResult": None},
        {"workflowStatus": "success", "output": {"usage": 0}, "metadata": {}},
    ):
        entries.append(LoggedEvent(len(entries) + 4, {"type": "workflow-finish", "runId": "run-1", "from": "WORKFLOW", "payload": payload}))
    first, end, text = event_row("run-1", entries)
    assert (first, end) == (4, 4 + len(entries)) and '"stepName"' not in text and text.count("call-1") == 1
    for offset in range(4, end + 1):
        read = row_events("run-1", end, text, offset)
        assert [(e.offset, list(e.data), list(e.data["payload"])) for e in read] == [
            (e.offset, list(e.data), list(e.data["payload"])) for e in entries[offset - 4 :]
        ]
        assert read == entries[offset - 4 :]
    older = json.dumps([[e.data["type"], e.data["payload"]] for e in entries])  # the form written before
    assert row_events("run-1", end, older, 4) == entries


async def test_a_batch_off_the_logs_end_writes_nothing_in_every_write_path(tmp_path: Path) -> None:
    """A step written with run changes, or with the run's insert, checks its batch against
    the log's end too: off it, StorageError and nothing of the write is kept."""
    storage = SQLiteStorage(tmp_path / "runs.db")
    try:
        step = StepResult("success", 1, 2)
        events = [LoggedEvent(i, {"type": "custom", "runId": "run-1", "from": "USER", "payload": i}) for i in range(3)]
        fresh = RunRecord("wf", "run-1", status="running", owner="exec-1")
        with pytest.raises(StorageError, match="does not start at the end"):
            await storage.save_step("wf", "run-1", "a", step, expected_owner="exec-1", events=events[1:], create=fresh)
        assert await storage.load_run("wf", "run-1") is None
        assert not await storage.save_step("wf", "run-1", "a", step, expected_owner="exec-2", events=events[:1], create=fresh)
        assert await storage.load_run("wf", "run-1") is None
        assert await storage.save_step("wf", "run-1", "a", step, expected_owner="exec-1", events=events[:1], create=fresh)
        with pytest.raises(StorageError, match="does not start at the end"):
            await storage.save_step("wf", "run-1", "b", step, {"status": "success"}, expected_owner="exec-1", events=events[2:])
        with pytest.raises(StorageError, match="does not start at the end"):
            await storage.save_step("wf", "run-1", "b", step, {"status": "success"}, expected_owner="exec-1", events=events[:1])
        loaded = await storage.load_run("wf", "run-1")
        assert loaded is not None and loaded.status == "running" and list(loaded.steps) == ["a"]
        assert await storage.save_step("wf", "run-1", "b", step, {"status": "success"}, expected_owner="exec-1", events=events[1:])
        page = await storage.read_events("wf", "run-1")
        assert page is not None and page.events == events and page.status == "success"
    finally:
        await storage.close()


async def test_an_in_memory_database_runs_no_checkpoint_beside_its_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """ ":memory:" has one connection, used inline: a checkpoint pass on the worker thread ran on
    it beside the commits, and a commit then failed now and then ("cannot commit transaction -
    SQL statements in progress"); it has no log to copy, so it runs none."""
    from stepstream.storage import _sqlite_checkpoint, sqlite

    passes: list[int] = []
    real = _sqlite_checkpoint.checkpoint

    def checkpoint(conn: sqlite3.Connection) -> tuple[int, int] | None:
        passes.append(1)
        return real(conn)

    monkeypatch.setattr(_sqlite_checkpoint, "checkpoint", checkpoint)
    monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY", 5)
    storage = SQLiteStorage(":memory:")
    try:
        assert await storage.create_run(RunRecord("wf", "r1", status="running"))
        for i in range(30):
            assert await storage.save_step("wf", "r1", f"s{i}", RECORD)
        await storage._checkpoints.settled()
        assert passes == []
        loaded = await storage.load_run("wf", "r1")
        assert loaded is not None and len(loaded.steps) == 30
    finally:
        await storage.close()
