"""A remote run behaves as a local one: the same verb parameters, the same `state` in results,
events numbered by their log offsets, and a cancel that claims no status the run lacks."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel

from stepstream import Run, StepContext, Stepstream, ValidationError, Workflow, create_step, create_workflow
from stepstream.client import Client, RemoteRun
from stepstream.storage import InMemoryStorage, SQLiteStorage

from ..server.conftest import Served, serve

#: Local verbs with no remote counterpart, and why.
LOCAL_ONLY = {
    "watch": "a callback on the live events of this process's execution",
    "result_from_record": "reads a storage record; the remote run reads the server's (fetch_result)",
}


def _verbs(cls: type) -> set[str]:
    return {name for name, value in vars(cls).items() if not name.startswith("_") and callable(value)}


def _parameters(fn: object) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


def test_every_local_verb_is_remote_with_the_same_parameters() -> None:
    local = _verbs(Run) - set(LOCAL_ONLY)
    assert local <= _verbs(RemoteRun), sorted(local - _verbs(RemoteRun))
    for name in sorted(local):
        assert _parameters(getattr(RemoteRun, name)) == _parameters(getattr(Run, name)), name


class Count(BaseModel):
    n: int


class Tally(BaseModel):
    count: int = 0


class Answer(BaseModel):
    ok: bool


async def _add(ctx: StepContext) -> Count:
    await ctx.set_state({"count": ctx.state.count + ctx.input_data.n})
    return Count(n=ctx.input_data.n + 1)


async def _ask(ctx: StepContext) -> Count:
    if ctx.resume_data is None:
        await ctx.suspend({"asking": True})
    await ctx.set_state({"count": ctx.state.count + 10})
    return Count(n=ctx.input_data.n)


def tally_flow() -> Workflow:
    """Three steps adding the input to the state's count: {'count': 6} from n=1."""
    wf = create_workflow(id="tally", input_schema=Count, output_schema=Count, state_schema=Tally)
    for i in (1, 2, 3):
        wf = wf.then(create_step(id=f"add{i}", input_schema=Count, output_schema=Count, state_schema=Tally, execute=_add))
    return wf.commit()


def twice_flow() -> Workflow:
    """Two steps that each suspend until resumed."""
    wf = create_workflow(id="twice", input_schema=Count, output_schema=Count, state_schema=Tally)
    for sid in ("first", "second"):
        wf = wf.then(create_step(id=sid, input_schema=Count, output_schema=Count, resume_schema=Answer, state_schema=Tally, execute=_ask))
    return wf.commit()


def _app(storage: object) -> Stepstream:
    return Stepstream(workflows=[tally_flow(), twice_flow()], storage=storage)  # type: ignore[arg-type]


@pytest.fixture
async def remote(db_path: str) -> AsyncIterator[Client]:
    served: Served = await serve(_app(SQLiteStorage(db_path)))
    try:
        async with Client(served.url) as client:
            yield client
    finally:
        await served.stop()


async def test_results_carry_the_state_as_locally(remote: Client) -> None:
    local_run = await _app(InMemoryStorage()).get_workflow("tally").create_run()
    local = await local_run.start(input_data={"n": 1})
    run = await remote.get_workflow("tally").create_run()
    result = await run.start(input_data={"n": 1})
    assert result.state == local.state == {"count": 6}
    assert "state" not in result.to_dict() and "state" not in local.to_dict()
    asked = await (await remote.get_workflow("tally").create_run()).start(input_data={"n": 1}, output_options={"include_state": True})
    assert asked.to_dict()["state"] == {"count": 6}
    stream = (await remote.get_workflow("tally").create_run()).stream(input_data={"n": 2})
    assert (await stream.result).state == {"count": 9}
    twice = await remote.get_workflow("twice").create_run()
    assert (await twice.start(input_data={"n": 1}, initial_state={"count": 1})).state == {"count": 1}
    assert (await twice.resume(resume_data={"ok": True})).state == {"count": 11}


async def test_stream_events_carry_their_log_offsets(remote: Client) -> None:
    run = await remote.get_workflow("twice").create_run()
    first = [e async for e in run.stream(input_data={"n": 1})]
    assert [e.offset for e in first] == list(range(len(first)))
    resumed = run.resume_stream(resume_data={"ok": True})
    second = [e async for e in resumed]
    assert [e.offset for e in second] == list(range(len(first), len(first) + len(second)))
    logged = [e.to_dict() async for e in run.observe_stream()]
    assert logged == [e.to_dict() for e in first + second]
    # the documented reconnect: observe from the next offset after the last event read
    tail = [e.to_dict() async for e in run.observe_stream(offset=first[2].offset + 1)]  # type: ignore[operator]
    assert tail == logged[3:]


async def test_the_new_parameters_reach_the_server(remote: Client) -> None:
    wf = remote.get_workflow("twice")
    run = await wf.create_run()
    await run.start(input_data={"n": 1})
    stream = run.resume_stream(resume_data={"ok": True}, close_on_suspend=False)
    kinds: list[str] = []
    async for event in stream:  # the stream stays open through the second suspension ...
        kinds.append(event.type)
        if event.type == "workflow-step-suspended":
            assert (await (await wf.create_run(run.run_id)).resume(resume_data={"ok": True})).status == "success"
    assert kinds[-1] == "workflow-finish" and (await stream.result).status == "success"  # ... to the end
    paused = await remote.get_workflow("tally").create_run()
    await paused.start_async(input_data={"n": 1}, per_step=True)
    assert (await paused.observe_stream().result).status == "paused"
    tally = await remote.get_workflow("tally").create_run()
    done = await tally.start(input_data={"n": 1})
    traveled = await tally.time_travel("add2", input_data={"n": 5}, output_options={"include_state": True})
    assert traveled.status == "success" and traveled.result == {"n": 7} and "state" in traveled.to_dict()
    with pytest.raises(ValidationError, match="nested_steps_context"):
        await tally.time_travel("add2", input_data={"n": 5}, nested_steps_context={"nope": {}})
    with pytest.raises(ValidationError, match="unknown key"):
        await tally.start(input_data={"n": 1}, output_options={"everything": True})
    assert (await tally.restart(request_context={"who": "me"})).status == done.status


async def test_cancel_claims_no_status_the_run_does_not_have(remote: Client) -> None:
    run = await remote.get_workflow("tally").create_run()
    assert (await run.start(input_data={"n": 1})).status == "success"
    await run.cancel()
    assert run.status == "success" and (await run.fetch_result()).status == "success"
    waiting = await remote.get_workflow("twice").create_run()
    await waiting.start(input_data={"n": 1})
    await waiting.cancel()
    assert waiting.status == "canceled"
