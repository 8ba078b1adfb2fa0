"""A foreach's items in rows of their own (SQLite): resuming one item reads and writes that
item, not every item's entry, while readers still see Mastra's `foreachOutput`."""

from __future__ import annotations

import gc
import json
import sqlite3
import types
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow
from stepstream.engine._foreach_items import VIEWS
from stepstream.storage import SQLiteStorage

W = 30


class V(BaseModel):
    n: int


class Add(BaseModel):
    add: int


async def ask(ctx: StepContext[V, Any]) -> V:
    if ctx.resume_data is None:
        await ctx.suspend({"item": ctx.input_data.n})
    return V(n=ctx.input_data.n + ctx.resume_data.add)


class Spy(SQLiteStorage):
    """Records the item rows each execution reads and writes."""

    def __init__(self, path: Path, *, items: bool = True) -> None:
        super().__init__(path)
        self.supports_items = items
        self.written: list[set[int]] = []
        self.read: list[list[int] | None] = []
        self.read_all = 0

    async def save_items(self, workflow_id: str, run_id: str, key: str, entries: Mapping[int, Any], **kw: Any) -> bool:
        self.written.append(set(entries))
        return await super().save_items(workflow_id, run_id, key, entries, **kw)

    async def load_items(self, workflow_id: str, run_id: str, key: str, indexes: Collection[int] | None = None) -> dict[int, Any]:
        self.read.append(None if indexes is None else sorted(indexes))
        return await super().load_items(workflow_id, run_id, key, indexes)

    async def load_items_json(self, workflow_id: str, run_id: str, key: str) -> str:
        self.read_all += 1
        return await super().load_items_json(workflow_id, run_id, key)


def _workflow(storage: SQLiteStorage) -> Any:
    step = create_step(id="ask", input_schema=V, output_schema=V, resume_schema=Add, execute=ask)
    wf = create_workflow(id="each-items", input_schema=list[V], output_schema=list[V]).foreach(step, concurrency=W).commit()
    wf.bind_storage(storage)
    return wf


def _stored_record(path: Path, run_id: str) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT record FROM stepstream_steps WHERE run_id = ? AND key = 'ask'", (run_id,)).fetchone()
    return json.loads(row[0])  # type: ignore[no-any-return]


async def test_resuming_one_item_reads_and_writes_that_item_only(tmp_path: Path) -> None:
    storage = Spy(tmp_path / "runs.db")
    run = await _workflow(storage).create_run()
    assert (await run.start(input_data=[{"n": i} for i in range(W)])).status == "suspended"
    assert storage.written == [set(range(W))]  # the first pass stores every item once
    storage.written.clear()

    result = await run.resume(for_each_index=7, resume_data={"add": 100})
    assert result.status == "suspended"
    assert storage.written == [{7}]
    assert storage.read == [[0, 7]]  # the resumed item and the first one that stays suspended, in one read
    stored = _stored_record(tmp_path / "runs.db", run.run_id)
    meta = stored["suspendPayload"]["__workflow_meta"]
    assert "foreachOutput" not in meta
    assert meta["foreachItems"] == {"n": W, "codes": "s" * 7 + "S" + "s" * (W - 8)}

    # readers see Mastra's shape: every item's entry, the resumed one a success
    for record in (result.steps["ask"], (await storage.load_run("each-items", run.run_id)).steps["ask"]):  # type: ignore[union-attr]
        entries = record.suspend_payload["__workflow_meta"]["foreachOutput"]
        assert len(entries) == W
        assert entries[7] == {"status": "success", "output": {"n": 107}}
        assert entries[8] == {"status": "suspended", "payload": {"n": 8}, "suspendPayload": {"item": 8}}
        assert "foreachItems" not in record.suspend_payload["__workflow_meta"]
    await storage.close()


async def test_a_plain_resume_runs_every_suspended_item_and_reads_the_outputs_once(tmp_path: Path) -> None:
    storage = Spy(tmp_path / "runs.db")
    run = await _workflow(storage).create_run()
    await run.start(input_data=[{"n": i} for i in range(W)])
    await run.resume(for_each_index=3, resume_data={"add": 1})
    storage.read.clear()
    done = await run.resume(resume_data={"add": 2})
    assert done.status == "success"
    assert done.result == [V(n=i + (1 if i == 3 else 2)) for i in range(W)]
    assert storage.read == [[i for i in range(W) if i != 3], None]  # the suspended ones, then every output
    await storage.close()


async def test_a_record_with_its_entries_inline_resumes_and_is_stored_thin(tmp_path: Path) -> None:
    """Records written before the item table (entries inline) still resume."""
    path = tmp_path / "runs.db"
    before = Spy(path, items=False)
    run = await _workflow(before).create_run()
    await run.start(input_data=[{"n": i} for i in range(W)])
    assert "foreachOutput" in _stored_record(path, run.run_id)["suspendPayload"]["__workflow_meta"]
    await before.close()

    after = Spy(path)
    again = await _workflow(after).create_run(run.run_id)
    result = await again.resume(for_each_index=2, resume_data={"add": 5})
    assert result.steps["ask"].suspend_payload["__workflow_meta"]["foreachOutput"][2]["output"] == {"n": 7}
    assert after.written == [set(range(W))]  # every entry moves to its row, once
    assert _stored_record(path, run.run_id)["suspendPayload"]["__workflow_meta"]["foreachItems"]["codes"][2] == "S"
    done = await again.resume(resume_data={"add": 1})
    assert done.result == [V(n=i + (5 if i == 2 else 1)) for i in range(W)]
    await after.close()


async def test_the_result_shows_every_entry_without_reading_them_while_this_process_holds_them(tmp_path: Path) -> None:
    """Resumed item by item, the result's entries come from the previous result and the items
    the resume stored; after another instance resumed the run, they are read again."""
    path = tmp_path / "runs.db"
    storage = Spy(path)
    run = await _workflow(storage).create_run()
    await run.start(input_data=[{"n": i} for i in range(W)])
    first = await run.resume(for_each_index=4, resume_data={"add": 1})
    second = await run.resume(for_each_index=9, resume_data={"add": 2})
    assert storage.read_all == 0
    stored = await storage.load_run("each-items", run.run_id)
    assert stored is not None
    assert second.steps["ask"] == stored.steps["ask"]
    assert [e["status"] for e in first.steps["ask"].suspend_payload["__workflow_meta"]["foreachOutput"]].count("success") == 1

    held = VIEWS[("each-items", run.run_id, "ask")]
    other = Spy(path)
    elsewhere = await _workflow(other).create_run(run.run_id)
    await elsewhere.resume(for_each_index=11, resume_data={"add": 3})
    VIEWS[("each-items", run.run_id, "ask")] = held  # as if that resume ran in another process
    third = await run.resume(for_each_index=12, resume_data={"add": 4})
    assert storage.read_all == 1  # the view it held no longer shows the stored record
    entries = third.steps["ask"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert [i for i, e in enumerate(entries) if e["status"] == "success"] == [4, 9, 11, 12]
    await other.close()
    await storage.close()


async def test_the_run_keeps_the_views_its_results_showed_not_the_results(tmp_path: Path) -> None:
    """A caller that drops each result still resumes without reading the entries (the run
    holds the view), and a dropped result is gone: freed by the caller that dropped it, not
    by the run's next call (a 10,000-item start's result took ~5 ms to free)."""
    storage = Spy(tmp_path / "runs.db")
    run = await _workflow(storage).create_run()
    started = await run.start(input_data=[{"n": i} for i in range(W)])
    assert started.status == "suspended"
    gc.collect()
    held = [r for r in gc.get_referrers(started) if not isinstance(r, (types.FrameType, types.CoroutineType))]
    assert held == []  # only this test holds it
    del started
    for index in (3, 5, 8):
        assert (await run.resume(for_each_index=index, resume_data={"add": 1})).status == "suspended"
    assert storage.read_all == 0
    last = await run.resume(for_each_index=9, resume_data={"add": 1})
    entries = last.steps["ask"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert [i for i, e in enumerate(entries) if e["status"] == "success"] == [3, 5, 8, 9]
    assert storage.read_all == 0
    await storage.close()


async def test_a_foreach_smaller_than_items_from_keeps_its_entries_inline(tmp_path: Path) -> None:
    """Below the storage's `items_from`, entries stay in the record; a record already thin stays thin."""
    path = tmp_path / "runs.db"
    storage = Spy(path)
    storage.items_from = W + 1
    small = await _workflow(storage).create_run()
    await small.start(input_data=[{"n": i} for i in range(W)])
    await small.resume(for_each_index=1, resume_data={"add": 1})
    assert storage.written == []
    assert "foreachOutput" in _stored_record(path, small.run_id)["suspendPayload"]["__workflow_meta"]

    storage.items_from = 0
    thin = await _workflow(storage).create_run()
    await thin.start(input_data=[{"n": i} for i in range(W)])
    storage.items_from = W + 1
    await thin.resume(for_each_index=1, resume_data={"add": 1})
    assert storage.written == [set(range(W)), {1}]
    assert "foreachItems" in _stored_record(path, thin.run_id)["suspendPayload"]["__workflow_meta"]
    await storage.close()
