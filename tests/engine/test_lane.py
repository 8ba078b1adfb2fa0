"""The local host's lane (`engine/_lane.py`) records exactly what the walk's general path does.

Each workflow runs twice on in-memory storage and on a SQLite file: with the lane (the
default `LocalExecutor`), and on an executor whose host offers none, so every plain step
takes the general path (`LevelWalk._run_plain` with `host.attempt`). The stored records
and the event log must be the same, field for field, but for what differs by nature
(timestamps, call ids, run ids). The cases cover what leaves the lane early (a failure
retried, a suspend, a bail, a cancel) and what it must carry (state updates, nested
levels, inline sync steps, unvalidated data).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, computed_field, field_serializer, field_validator, model_validator

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream._schema import Schema, round_trips
from stepstream.engine._local import LocalExecutor, LocalHost
from stepstream.engine._state import RunExecution
from stepstream.storage import InMemoryStorage, SQLiteStorage, Storage
from stepstream.workflow.builder import Workflow


class N(BaseModel):
    n: int


class NoLane(LocalExecutor):
    """A local executor whose host has no lane: every step takes the walk's general path."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts = 0

    def host(self, rs: RunExecution) -> LocalHost:
        found = super().host(rs)
        rs.lane = None
        self.hosts += 1
        return found


def inc(i: int) -> Any:
    async def execute(ctx: StepContext[N, Any]) -> N:
        return N(n=ctx.input_data.n + i)

    return create_step(id=f"inc{i}", input_schema=N, output_schema=N, execute=execute)


def step(name: str, execute: Any) -> Any:
    return create_step(id=name, input_schema=N, output_schema=N, execute=execute)


def chain(name: str, *steps: Any, **options: Any) -> Workflow:
    wf = create_workflow(id=name, input_schema=N, output_schema=N, **options)
    for one in steps:
        wf.then(one)
    return wf.commit()


def chain_with_state() -> Workflow:
    async def counted(ctx: StepContext[N, Any]) -> N:
        await ctx.set_state({"seen": ctx.state.get("seen", 0) + ctx.input_data.n})
        return N(n=ctx.input_data.n * 2)

    inline = create_step(id="inline", input_schema=N, output_schema=N, execute=lambda ctx: N(n=ctx.input_data.n - 1), inline=True)
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(inc(5)).then(inline).commit()
    wf = create_workflow(id="lane-state", input_schema=N, output_schema=N, state_schema=dict[str, int])
    wf.then(inc(1)).then(create_step(id="counted", input_schema=N, output_schema=N, execute=counted)).then(inner).then(inc(2))
    return wf.commit()


def flaky_body() -> Callable[[StepContext[N, Any]], N]:
    """A step's body that fails its first two tries of every three (a sync function: the
    segment tests run it as is, the lane's tests from an `async def`)."""
    tries: list[int] = []

    def flaky(ctx: StepContext[N, Any]) -> N:
        tries.append(ctx.retry_count)
        if len(tries) % 3:
            raise RuntimeError(f"try {len(tries)}")
        return N(n=ctx.input_data.n + 100)

    return flaky


def chain_retried() -> Workflow:
    body = flaky_body()

    async def flaky(ctx: StepContext[N, Any]) -> N:
        return body(ctx)

    return chain("lane-retried", inc(1), step("flaky", flaky), inc(3), retry_config={"attempts": 2})


def chain_failed() -> Workflow:
    async def broken(ctx: StepContext[N, Any]) -> N:
        raise ValueError(f"no {ctx.input_data.n}")

    return chain("lane-failed", inc(1), step("broken", broken), inc(2))


def chain_bad_output() -> Workflow:
    async def wrong(ctx: StepContext[N, Any]) -> Any:
        return {"n": "not a number"}

    return chain("lane-bad", inc(1), step("wrong", wrong))


def chain_suspended() -> Workflow:
    async def gate(ctx: StepContext[N, Any]) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"at": ctx.input_data.n}, resume_label="go")
        return N(n=ctx.input_data.n + ctx.resume_data["add"])

    return chain("lane-suspended", inc(1), step("gate", gate), inc(2))


def chain_bailed() -> Workflow:
    async def early(ctx: StepContext[N, Any]) -> N:
        return ctx.bail({"early": ctx.input_data.n})

    return chain("lane-bailed", inc(1), step("early", early), inc(2))


def chain_unvalidated() -> Workflow:
    async def loose(ctx: StepContext[Any, Any]) -> Any:
        return {"n": ctx.input_data["n"], "extra": [1, "two"]}

    wf = create_workflow(id="lane-loose", input_schema=N, output_schema=N, options={"validate_inputs": False})
    return wf.then(create_step(id="loose", execute=loose)).then(inc(1)).commit()


class Doubled(BaseModel):
    """A model whose validation changes the value (not `Schema.plain`): a step's input,
    validated from the previous step's output, is not that output."""

    n: int

    @field_validator("n")
    @classmethod
    def double(cls, v: int) -> int:
        return v * 2


class Other(BaseModel):
    """N's shape under another class: its input is not the previous step's dump of itself."""

    n: int


def chain_transformed() -> Workflow:
    async def double(ctx: StepContext[Doubled, Any]) -> Doubled:
        return Doubled(n=ctx.input_data.n + 1)

    async def other(ctx: StepContext[Other, Any]) -> Other:
        return Other(n=ctx.input_data.n + 1)

    doubled = create_step(id="double", input_schema=Doubled, output_schema=Doubled, execute=double)
    again = create_step(id="again", input_schema=Doubled, output_schema=Doubled, execute=double)
    others = create_step(id="other", input_schema=Other, output_schema=Other, execute=other)
    wf = create_workflow(id="lane-transformed", input_schema=N, output_schema=N)
    return wf.then(doubled).then(again).then(others).then(inc(1)).commit()


def chain_mutated() -> Workflow:
    """Steps that change their input in place: the record's payload is the input as it is
    after the step, as the general path dumps it."""

    async def bump(ctx: StepContext[N, Any]) -> N:
        ctx.input_data.n += 10
        return ctx.input_data

    return chain("lane-mutated", inc(1), step("bump", bump), inc(2), step("bump2", bump))


CASES: list[Callable[[], Workflow]] = [
    chain_transformed,
    chain_mutated,
    chain_with_state,
    chain_retried,
    chain_failed,
    chain_bad_output,
    chain_suspended,
    chain_bailed,
    chain_unvalidated,
]

VARYING = {"startedAt", "endedAt", "suspendedAt", "resumedAt", "stepCallId", "runId", "timestamp"}


def scrub(value: Any, run_id: str) -> Any:
    """`value` without what differs from run to run by nature (times, ids, the run id in messages)."""
    if isinstance(value, dict):
        return {k: "*" if k in VARYING else scrub(v, run_id) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, run_id) for v in value]
    if isinstance(value, str):
        return value.replace(run_id, "<run>")
    return value


async def recorded(make: Callable[[], Workflow], storage: Storage, executor: LocalExecutor | None) -> dict[str, Any]:
    """Runs `make()`'s workflow (resumed once if it suspends); its records, its event log, its result."""
    wf = make()
    async with Stepstream(workflows=[wf], storage=storage, executor=executor) as app:
        run = await app.get_workflow(wf.id).create_run()
        result = await run.start(input_data={"n": 1})
        outcomes = [scrub(result.to_dict(), run.run_id)]
        if result.status == "suspended":
            outcomes.append(scrub((await run.resume(label="go", resume_data={"add": 10})).to_dict(), run.run_id))
        record = await storage.load_run(wf.id, run.run_id)
        page = await storage.read_events(wf.id, run.run_id)
        assert record is not None and page is not None
        return {
            "outcomes": outcomes,
            "steps": {key: scrub(step.to_dict(), run.run_id) for key, step in record.steps.items()},
            "state": record.state,
            "status": record.status,
            "events": [scrub(event.data, run.run_id) for event in page.events],
            "offsets": [event.offset for event in page.events],
        }


@pytest.mark.parametrize("make", CASES, ids=lambda make: make.__name__)
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
async def test_the_lane_records_what_the_general_path_records(make: Callable[[], Workflow], backend: str, tmp_path: Path) -> None:
    def storage(name: str) -> Storage:
        return InMemoryStorage() if backend == "memory" else SQLiteStorage(tmp_path / f"{name}.db")

    general = NoLane()
    laned = await recorded(make, storage("lane"), None)
    plain = await recorded(make, storage("general"), general)
    assert general.hosts >= 1  # the general path really ran
    assert laned == plain
    assert laned["offsets"] == list(range(len(laned["events"])))


async def test_the_lane_is_taken_by_a_plain_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain of plain steps runs each step through the lane (and none through `attempt`)."""
    calls: list[str] = []
    real_lane, real_attempt = LocalHost.lane, LocalHost.attempt

    async def lane(self: LocalHost, ex: Any, step: Any, value: Any) -> Any:
        calls.append(f"lane:{step.id}")
        return await real_lane(self, ex, step, value)

    async def attempt(self: LocalHost, request: Any) -> Any:
        calls.append(f"attempt:{request.key}")
        return await real_attempt(self, request)

    monkeypatch.setattr(LocalHost, "lane", lane)
    monkeypatch.setattr(LocalHost, "attempt", attempt)
    wf = create_workflow(id="lane-taken", input_schema=N, output_schema=N).then(inc(1)).then(inc(2)).commit()
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.status == "success" and result.result == N(n=3)
    assert calls == ["lane:inc1", "lane:inc2"]


async def test_a_canceled_step_in_the_lane_ends_the_run_canceled() -> None:
    entered = asyncio.Event()

    async def slow(ctx: StepContext[N, Any]) -> N:
        entered.set()
        await asyncio.sleep(30)
        return ctx.input_data

    wf = (
        create_workflow(id="lane-cancel", input_schema=N, output_schema=N)
        .then(inc(1))
        .then(create_step(id="slow", input_schema=N, output_schema=N, execute=slow))
        .commit()
    )
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"n": 0}))
    await asyncio.wait_for(entered.wait(), 5)
    await run.cancel()
    result = await asyncio.wait_for(task, 5)
    assert result.status == "canceled"
    record = await wf.storage.load_run(wf.id, run.run_id)
    assert record is not None and record.status == "canceled"
    assert record.steps["inc1"].status == "success"


async def test_a_plain_models_json_from_the_step_before_is_the_records_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a chain of one plain model (`Schema.plain`), a step's input is the previous step's
    output JSON, validated: the record takes that JSON as its payload (no second dump),
    and it is the same value the dump gives."""
    dumped: list[Any] = []
    real_dump = Schema.dump

    def dump(self: Schema, value: Any) -> Any:
        dumped.append(value)
        return real_dump(self, value)

    monkeypatch.setattr(Schema, "dump", dump)
    wf = create_workflow(id="lane-reused", input_schema=N, output_schema=N).then(inc(1)).then(inc(2)).then(inc(3)).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"n": 0})
    assert result.status == "success" and result.result == N(n=6)
    assert dumped == [N(n=0)]  # the run's input only: not the output of a step of this model
    record = await wf.storage.load_run(wf.id, run.run_id)
    assert record is not None
    assert [record.steps[k].payload for k in ("inc1", "inc2", "inc3")] == [{"n": 0}, {"n": 1}, {"n": 3}]


class Leaf(BaseModel):
    x: int = 3


class Flat(BaseModel):
    n: int
    s: str = "a"
    f: float | None = None
    leaves: list[Leaf] = []
    counts: dict[str, int] = {}
    kind: Literal["a", "b"] = "a"


class Tree(BaseModel):
    n: int
    kids: list[Tree] = []


class Aliased(BaseModel):
    n: int = Field(alias="N")


class Computed(BaseModel):
    n: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def twice(self) -> int:
        return self.n * 2


class Serialized(BaseModel):
    n: int

    @field_serializer("n")
    def shown(self, v: int) -> str:
        return str(v)


class Checked(BaseModel):
    n: int

    @model_validator(mode="after")
    def fine(self) -> Checked:
        return self


class Either(BaseModel):
    n: int | str


class Loose(BaseModel):
    n: Any


class Dated(BaseModel):
    at: datetime


class Holding(BaseModel):
    inner: Doubled


PLAIN: list[type[BaseModel]] = [N, Leaf, Flat, Tree]
NOT_PLAIN: list[type[BaseModel]] = [Doubled, Aliased, Computed, Serialized, Checked, Either, Loose, Dated, Holding]


@pytest.mark.parametrize(
    ("model", "plain"),
    [*((m, True) for m in PLAIN), *((m, False) for m in NOT_PLAIN)],
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_which_models_round_trip_through_their_json(model: type[BaseModel], plain: bool) -> None:
    assert round_trips(model) is plain
    assert Schema(model).plain is plain
