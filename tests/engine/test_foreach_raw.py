"""A foreach's items and a run's input carried as their stored text (`RawJSON`) on a resume:
SQLite keeps them apart from the rows a resume changes, the engine parses only the item it
resumes, and what every reader sees (result, stored run, event log, live stream) is unchanged."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pydantic_core
from pydantic import BaseModel

from stepstream import StepContext, create_step, create_workflow
from stepstream._raw_json import RawJSON, array_json, splice_json, unraw
from stepstream._schema import to_json
from stepstream.results import StepResult
from stepstream.storage import InMemoryStorage, SQLiteStorage
from stepstream.storage.base import LoggedEvent, RunRecord

W = 200  # the input's JSON text is over 2 KiB: SQLite keeps it apart from the run's row


class V(BaseModel):
    n: int
    tag: str = ""


class Add(BaseModel):
    add: int


async def ask(ctx: StepContext[V, Any]) -> V:
    if ctx.resume_data is None:
        await ctx.suspend({"item": ctx.input_data.n})
    return V(n=ctx.input_data.n + ctx.resume_data.add, tag=ctx.input_data.tag)


def _workflow(storage: Any) -> Any:
    step = create_step(id="ask", input_schema=V, output_schema=V, resume_schema=Add, execute=ask)
    wf = create_workflow(id="each-raw", input_schema=list[V], output_schema=list[V]).foreach(step, concurrency=W).commit()
    wf.bind_storage(storage)
    return wf


ITEMS = [{"n": i, "tag": f'é"{i}\\\n'} for i in range(W)]  # text that JSON escapes


def _plain(result: Any) -> Any:
    """A result's JSON without what differs between two runs (ids, times)."""
    data = result.to_dict()
    data.pop("runId")
    for record in data["steps"].values():
        if isinstance(record, dict):
            for key in ("startedAt", "endedAt", "suspendedAt", "resumedAt"):
                record.pop(key, None)
    return data


async def _resumes(storage: Any, picks: list[int]) -> tuple[Any, list[Any]]:
    run = await _workflow(storage).create_run()
    assert (await run.start(input_data=ITEMS)).status == "suspended"
    results = [await run.resume(resume_data={"add": 1000}, for_each_index=i) for i in picks]
    return run, results


async def test_a_resume_reads_one_item_and_shows_what_an_in_memory_run_shows(tmp_path: Path) -> None:
    picks = [5, 0, W - 1, 77]
    stored = SQLiteStorage(tmp_path / "runs.db")
    run, results = await _resumes(stored, picks)
    _, expected = await _resumes(InMemoryStorage(), picks)
    for got, want in zip(results, expected, strict=True):
        assert _plain(got) == _plain(want)
    last = results[-1]
    assert last.steps["ask"].payload == ITEMS and type(last.steps["ask"].payload) is list
    assert [v.model_dump() for v in last.input] == ITEMS
    entries = last.steps["ask"].suspend_payload["__workflow_meta"]["foreachOutput"]
    assert entries[77] == {"status": "success", "output": {"n": 1077, "tag": ITEMS[77]["tag"]}}
    loaded = await stored.load_run("each-raw", run.run_id)
    assert loaded is not None and loaded.input == ITEMS and loaded.steps["ask"].payload == ITEMS
    assert type(loaded.input) is list and type(loaded.steps["ask"].payload) is list
    (listed,), _ = await stored.list_runs()
    assert listed.input == ITEMS and type(listed.input) is list
    finished = await run.resume(resume_data={"add": 1})
    assert finished.status == "success"
    assert [v.n for v in finished.result] == [i + (1000 if i in picks else 1) for i in range(W)]
    await stored.close()


async def test_the_log_and_a_live_stream_show_the_items_in_each_resume_start_event(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    run = await _workflow(storage).create_run()
    await run.start(input_data=ITEMS)
    await run.resume(resume_data={"add": 1}, for_each_index=3)
    live = [e.to_dict() async for e in run.resume_stream(resume_data={"add": 1}, for_each_index=4)]
    starts = [e for e in live if e["type"] == "workflow-step-start"]
    assert [e["payload"]["payload"] for e in starts] == [ITEMS]
    page = await storage.read_events("each-raw", run.run_id)
    assert page is not None
    logged = [e.data for e in page.events if e.data["type"] == "workflow-step-start"]
    assert [e["payload"]["payload"] for e in logged] == [ITEMS, ITEMS, ITEMS]  # the start, then each resume
    assert logged[-1] == starts[0]
    await storage.close()


async def test_sqlite_keeps_the_items_and_a_long_input_apart_and_once(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    storage = SQLiteStorage(path)
    run, _ = await _resumes(storage, [1])
    with sqlite3.connect(path) as conn:
        (record,) = conn.execute("SELECT record FROM stepstream_steps WHERE key = 'ask'").fetchone()
        (row_input,) = conn.execute("SELECT input FROM stepstream_runs").fetchone()
        apart = dict(conn.execute("SELECT key, entry FROM stepstream_items WHERE idx = -1").fetchall())
    assert "payload" not in json.loads(record) and row_input is None
    assert json.loads(apart[""]) == ITEMS and apart["ask"] == ""  # the items are the input: stored once
    thin = await storage.load_run_thin("each-raw", run.run_id)
    assert thin is not None and type(thin.input) is RawJSON and type(thin.steps["ask"].payload) is RawJSON
    assert thin.steps["ask"].payload[150] == ITEMS[150] and len(thin.steps["ask"].payload) == W
    await storage.close()


async def test_changing_a_long_input_leaves_items_stored_as_the_input_unchanged(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "runs.db")
    await storage.create_run(RunRecord(workflow_id="wf", run_id="r", input=ITEMS, status="running"))
    thin = {"__workflow_meta": {"foreachIndex": 0, "foreachItems": {"n": W, "codes": "s" * W}}}
    assert await storage.save_step("wf", "r", "each", StepResult("suspended", list(ITEMS), suspend_payload=thin))
    thin_read = await storage.load_run_thin("wf", "r")
    assert thin_read is not None
    items = thin_read.steps["each"].payload  # the run's input: the log refers to it
    event = {"type": "workflow-step-start", "runId": "r", "from": "WORKFLOW", "payload": {"payload": items}}
    assert await storage.append_events("wf", "r", [LoggedEvent(0, event)])
    with sqlite3.connect(tmp_path / "runs.db") as conn:
        (batch,) = conn.execute("SELECT record FROM stepstream_steps WHERE key < ''").fetchone()
    assert len(batch) < 200  # a reference, not the items
    changed = [{"n": -i} for i in range(W)]
    for new_input in (changed, {"small": 1}, ITEMS):
        assert await storage.update_run("wf", "r", {"input": new_input})
        loaded = await storage.load_run("wf", "r")
        assert loaded is not None and loaded.input == new_input and loaded.steps["each"].payload == ITEMS
        page = await storage.read_events("wf", "r")
        assert page is not None and [e.data["payload"]["payload"] for e in page.events] == [ITEMS]
    assert await storage.delete_run("wf", "r")
    assert await storage.load_run("wf", "r") is None
    await storage.close()


def test_raw_json_reads_one_element_and_is_written_as_its_text() -> None:
    values: list[Any] = [{"a": [1, 2]}, 'x,]"', None, 1.5, [], {"é": "\u2028"}]
    raw = array_json(values)
    assert [raw.item(i) for i in range(len(values))] == values and len(raw) == len(values)
    assert json.loads(raw.text) == values and raw == values and raw == RawJSON(raw.text)
    assert to_json(raw) == values and to_json({"k": raw}) == {"k": values} and unraw(raw) == values
    wrapped = {"payload": raw, "other": [raw, "\x00"]}
    assert json.loads(splice_json(wrapped)) == {"payload": values, "other": [values, "\x00"]}
    assert splice_json(wrapped) == pydantic_core.to_json({"payload": values, "other": [values, "\x00"]}).decode()
    stale = RawJSON("[1,2]", raw.index)  # an index that does not fit its text: parsed instead
    assert stale.item(1) == 2 and len(stale) == 2
    assert len(array_json([])) == 0 and array_json([]).text == "[]"
