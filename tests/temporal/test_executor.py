"""The Temporal executor in one process: a worker on the session's dev server, PostgreSQL storage.

The conformance scenarios (test_conformance.py) cover the workflow semantics on Temporal;
these tests cover what they do not: the verbs that outlive the call (start_async,
resume_async, observe_stream), canceling a running step, large values, the records and
events other processes see, and replaying a recorded history (determinism).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.worker import Replayer

from stepstream import Stepstream
from stepstream.storage import InMemoryStorage
from stepstream.storage.postgres import PostgresStorage
from stepstream.temporal import StepstreamWorkflow, create_worker, workflow_runner
from stepstream.temporal._executor import temporal_id

from . import flows
from .conftest import DevServer


@asynccontextmanager
async def _served(server: DevServer, dsn: str, schema: str, **options: Any) -> AsyncIterator[Stepstream]:
    """The flows' app on PostgreSQL, with a worker in this process."""
    storage = PostgresStorage(dsn, schema=schema)
    app = flows.build_app(storage, server.address, f"executor-{uuid.uuid4().hex[:8]}", **options)
    try:
        async with await create_worker(app):
            yield app
    finally:
        await storage.close()


@pytest.fixture
async def app(temporal_server: DevServer, pg_dsn: str, pg_schema: str) -> AsyncIterator[Stepstream]:
    async with _served(temporal_server, pg_dsn, pg_schema) as app:
        yield app


def _journal(tmp_path: Path) -> str:
    return str(tmp_path / "journal.txt")


async def test_a_chain_runs_on_the_worker_with_its_records_and_events(app: Stepstream, tmp_path: Path) -> None:
    wf = app.get_workflow("chain")
    run = await wf.create_run()
    stream = run.stream({"journal": _journal(tmp_path), "n": 0})
    types = [event.type async for event in stream]
    result = await stream.result
    assert result.status == "success"
    assert result.result.n == 10  # the output schema's type, as in-process
    assert types == ["workflow-start", *["workflow-step-start", "workflow-step-result"] * 10, "workflow-finish"]
    state = await wf.get_run(run.run_id)
    assert state is not None and state.status == "success"
    assert [state.steps[f"s{i}"].status for i in range(10)] == ["success"] * 10
    logged = [event.type async for event in run.observe_stream()]  # the log the worker wrote
    assert logged == types


async def test_start_async_then_observe_and_resume_async(app: Stepstream, tmp_path: Path) -> None:
    wf = app.get_workflow("approval")
    run = await wf.create_run()
    assert await run.start_async({"journal": _journal(tmp_path), "n": 3}) == run.run_id
    observed = run.observe_stream()
    types = [event.type async for event in observed]
    assert types[-2:] == ["workflow-step-suspended", "workflow-finish"]
    assert (await observed.result).status == "suspended"
    await run.resume_async({"ok": True})
    offset = len(types)
    result = await run.observe_stream(offset).result
    assert result.status == "success"
    assert result.result == {"n": 3, "approved": True, "by": "done"}


async def test_resume_stream_and_a_local_run_agree(app: Stepstream, tmp_path: Path) -> None:
    job = {"journal": _journal(tmp_path), "n": 7}
    run = await app.get_workflow("approval").create_run()
    suspended = await run.start(job)
    resumed = run.resume_stream({"ok": False})
    temporal = [(e.type, e.payload.get("id")) async for e in resumed if e.type.startswith("workflow-step")]
    on_temporal = await resumed.result
    local = Stepstream(flows.workflows(), storage=InMemoryStorage())
    local_run = await local.get_workflow("approval").create_run()
    local_suspended = await local_run.start(job)
    local_resumed = local_run.resume_stream({"ok": False})
    in_process = [(e.type, e.payload.get("id")) async for e in local_resumed if e.type.startswith("workflow-step")]
    assert suspended.to_dict()["suspendPayload"] == local_suspended.to_dict()["suspendPayload"]
    assert temporal == in_process
    assert on_temporal.result == (await local_resumed.result).result == {"n": 7, "approved": False, "by": "done"}


async def test_cancel_interrupts_the_running_step_and_ends_the_execution(app: Stepstream, tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    run = await app.get_workflow("slow").create_run()
    started = asyncio.ensure_future(run.start({"journal": journal}))
    while not await asyncio.to_thread(Path(journal).exists):
        await asyncio.sleep(0.05)
    await run.cancel()
    result = await asyncio.wait_for(started, 30)
    assert result.status == "canceled"
    assert "interrupted wait" in await asyncio.to_thread(Path(journal).read_text)  # the activity was canceled, not left running
    client = await app.executor.client(app.storage)
    owner = (await app.storage.load_run("slow", run.run_id)).owner  # type: ignore[union-attr]
    description = await client.get_workflow_handle(temporal_id("slow", run.run_id, owner)).describe()
    assert description.status is not None and description.status.name == "COMPLETED"
    stored = await app.get_workflow("slow").get_run(run.run_id)
    assert stored is not None and stored.status == "canceled"


async def test_a_cancel_right_after_the_start_is_not_lost(app: Stepstream, tmp_path: Path) -> None:
    """Sent once the run is claimed, while its Temporal execution is starting, the cancel waits
    for the execution and lands at once: the run ends canceled, the step it reached (if any)
    is interrupted, and the next one never runs."""
    journal = _journal(tmp_path)
    run = await app.get_workflow("slow").create_run()
    stream = run.stream({"journal": journal})
    while (record := await app.storage.load_run("slow", run.run_id)) is None or record.status != "running":
        await asyncio.sleep(0.005)
    await run.cancel()
    types = [event.type async for event in stream]
    result = await asyncio.wait_for(stream.result, 30)
    assert result.status == "canceled"
    text = await asyncio.to_thread(lambda: Path(journal).read_text() if Path(journal).exists() else "")
    notes = [line.rsplit(" ", 1)[0] for line in text.splitlines()]
    assert notes in ([], ["start wait", "interrupted wait"])
    assert "after" not in result.steps and types[-2:] == ["workflow-canceled", "workflow-finish"]


async def test_a_step_s_writer_output_reaches_the_stream_while_the_step_runs(app: Stepstream, tmp_path: Path) -> None:
    """The step waits for its reader to have seen its first output: only a live stream lets it go on."""
    flag = tmp_path / "seen"
    run = await app.get_workflow("talk").create_run()
    stream = run.stream({"flag": str(flag)})
    said: list[str] = []
    async for event in stream:
        if event.type == "workflow-step-output":
            said.append(event.payload["output"]["text"])
            if said == ["first"]:
                await asyncio.to_thread(flag.touch)
    result = await asyncio.wait_for(stream.result, 30)
    assert result.status == "success", result.error
    assert result.result == {"saw": True}
    assert said == ["first", "second"]
    logged = await app.storage.read_events("talk", run.run_id)
    assert logged is not None
    offsets = [e.offset for e in logged.events]
    assert offsets == list(range(len(offsets)))
    types = [e.data["type"] for e in logged.events]
    assert types.count("workflow-step-output") == 2
    assert types.index("workflow-step-start") < types.index("workflow-step-output") < types.index("workflow-step-result")


async def test_output_of_steps_side_by_side_keeps_every_event(app: Stepstream) -> None:
    """A parallel step writing output beside its sibling: every event reaches the stream and the
    log, numbered once each, as in-process (the first one's output used to take the offsets
    the walk gave its sibling's events, and those were lost)."""
    run = await app.get_workflow("chorus").create_run()
    stream = run.stream({})
    types = [event.type async for event in stream]
    result = await asyncio.wait_for(stream.result, 30)
    assert result.status == "success", result.error
    expected = sorted(
        ["workflow-start", *["workflow-step-start", "workflow-step-result"] * 2, *["workflow-step-output"] * 3, "workflow-finish"]
    )
    assert sorted(types) == expected
    logged = await app.storage.read_events("chorus", run.run_id)
    assert logged is not None
    assert [e.offset for e in logged.events] == list(range(len(expected)))
    assert sorted(e.data["type"] for e in logged.events) == expected


async def test_a_run_canceled_after_live_output_keeps_one_unbroken_log(app: Stepstream, tmp_path: Path) -> None:
    """The output a step appended live stays, and what the walk writes after the cancel is
    numbered after it (no offset taken twice, none skipped)."""
    run = await app.get_workflow("talk").create_run()
    stream = run.stream({"flag": str(tmp_path / "never")})
    types: list[str] = []
    async for event in stream:
        types.append(event.type)
        if event.type == "workflow-step-output" and types.count("workflow-step-output") == 1:
            await run.cancel()
    result = await asyncio.wait_for(stream.result, 30)
    assert result.status == "canceled"
    logged = await app.storage.read_events("talk", run.run_id)
    assert logged is not None
    assert [e.offset for e in logged.events] == list(range(len(logged.events)))
    assert [e.data["type"] for e in logged.events] == types
    assert types[-2:] == ["workflow-canceled", "workflow-finish"] and "workflow-step-output" in types


@pytest.mark.timeout(240)  # tens of MB cross Temporal and storage; slow on a loaded 2-core machine
async def test_a_ten_megabyte_output_travels_by_reference(temporal_server: DevServer, pg_dsn: str, pg_schema: str) -> None:
    async with _served(temporal_server, pg_dsn, pg_schema, heartbeat_timeout=timedelta(seconds=30)) as app:
        result = await (await app.get_workflow("big").create_run()).start({})
    assert result.status == "success", result.error
    assert result.result == {"size": flows.TEN_MB, "tail": "xxx"}
    assert len(result.steps["make"].output["text"]) == flows.TEN_MB


async def test_a_recorded_history_replays_without_nondeterminism(app: Stepstream, tmp_path: Path) -> None:
    wf = app.get_workflow("approval")
    run = await wf.create_run()
    await run.start({"journal": _journal(tmp_path), "n": 1})
    await run.resume({"ok": True})
    client = await app.executor.client(app.storage)
    owner = (await app.storage.load_run("approval", run.run_id)).owner  # type: ignore[union-attr]
    history = await client.get_workflow_handle(temporal_id("approval", run.run_id, owner)).fetch_history()
    replayer = Replayer(workflows=[StepstreamWorkflow], workflow_runner=workflow_runner(), data_converter=client.data_converter)
    outcome = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert outcome.replay_failure is None


async def test_local_activity_steps(temporal_server: DevServer, pg_dsn: str, pg_schema: str, tmp_path: Path) -> None:
    async with _served(temporal_server, pg_dsn, pg_schema, local_steps=True) as app:
        run = await app.get_workflow("approval").create_run()
        suspended = await run.start({"journal": _journal(tmp_path), "n": 2})
        assert suspended.status == "suspended"
        result = await run.resume({"ok": True})
        chain = await (await app.get_workflow("chain").create_run()).start({"journal": _journal(tmp_path), "n": 0})
    assert result.result == {"n": 2, "approved": True, "by": "done"}
    assert chain.status == "success" and chain.result.n == 10


async def test_heartbeats_reach_the_server_every_second_unless_told_otherwise(temporal_server: DevServer) -> None:
    """A cancel reaches a running step in the answer to a heartbeat: the worker sends them at
    most once a second (Temporal's default throttle held them up to tens of seconds, so a
    canceled agent kept calling its model for ~10 s)."""
    app = flows.build_app(InMemoryStorage(), temporal_server.address, f"hb-{uuid.uuid4().hex[:8]}")
    worker = await create_worker(app)
    config = worker.config()
    assert config.get("max_heartbeat_throttle_interval") == timedelta(seconds=1)
    assert config.get("default_heartbeat_throttle_interval") == timedelta(seconds=1)
    other = f"hb-{uuid.uuid4().hex[:8]}"  # (one worker per task queue in a process)
    slower = await create_worker(app, task_queue=other, max_heartbeat_throttle_interval=timedelta(seconds=30))
    assert slower.config().get("max_heartbeat_throttle_interval") == timedelta(seconds=30)
    from stepstream.temporal import _activities

    assert _activities.HEARTBEAT_SECONDS <= 1.0
