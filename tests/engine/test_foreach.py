"""F. foreach (Mastra scenarios 42-51)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import create_step, create_workflow

from .matchers import T, wire


class V(BaseModel):
    value: int


class Tracker:
    """Counts calls and the peak number of items running at once."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.active = 0
        self.peak = 0

    def step(self, delay: float = 0.0, *, id: str = "map") -> Any:
        async def body(ctx: Any) -> V:
            self.calls.append(ctx.input_data.value)
            self.active += 1
            self.peak = max(self.peak, self.active)
            await asyncio.sleep(delay)
            self.active -= 1
            return V(value=ctx.input_data.value + 11)

        return create_step(id=id, input_schema=V, output_schema=V, execute=body)


def _final() -> Any:
    return create_step(
        id="final",
        input_schema=list[V],
        output_schema=dict[str, int],
        execute=lambda ctx: {"finalValue": sum(v.value for v in ctx.input_data)},
    )


ITEMS = [{"value": 1}, {"value": 22}, {"value": 333}]


# -- 42: default concurrency is 1 -----------------------------------------------------------------


async def test_foreach_default_concurrency_is_one() -> None:
    tracker = Tracker()
    wf = create_workflow(id="fe-one", input_schema=list[V], output_schema=Any).foreach(tracker.step(0.02)).then(_final()).commit()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await (await wf.create_run()).start(input_data=ITEMS)
    elapsed = loop.time() - t0
    assert result.status == "success"
    assert tracker.calls == [1, 22, 333]
    assert tracker.peak == 1
    assert elapsed >= 3 * 0.02 * 0.9
    assert result.to_dict()["steps"] == {
        "input": ITEMS,
        "map": {
            "status": "success",
            "output": [{"value": 12}, {"value": 33}, {"value": 344}],
            "payload": ITEMS,
            "startedAt": T,
            "endedAt": T,
        },
        "final": {
            "status": "success",
            "output": {"finalValue": 389},
            "payload": [{"value": 12}, {"value": 33}, {"value": 344}],
            "startedAt": T,
            "endedAt": T,
        },
    }


# -- 43: concurrency limits ---------------------------------------------------------------------


@pytest.mark.parametrize(("concurrency", "n_items", "peak"), [(3, 3, 3), (2, 3, 2), (2, 4, 2), (10, 4, 4)])
async def test_foreach_concurrency_limit(concurrency: int, n_items: int, peak: int) -> None:
    tracker = Tracker()
    wf = (
        create_workflow(id="fe-conc", input_schema=list[V], output_schema=Any).foreach(tracker.step(0.03), concurrency=concurrency).commit()
    )
    items = [{"value": i + 1} for i in range(n_items)]
    result = await (await wf.create_run()).start(input_data=items)
    assert result.status == "success"
    assert tracker.peak == peak
    assert sorted(tracker.calls) == [i + 1 for i in range(n_items)]
    assert result.to_dict()["result"] == [{"value": i + 12} for i in range(n_items)]


async def test_foreach_queue_is_fluid_not_batched() -> None:
    log: list[str] = []

    async def body(ctx: Any) -> V:
        i = ctx.input_data.value
        log.append(f"start {i}")
        await asyncio.sleep(0.1 if i == 0 else 0.005)
        log.append(f"end {i}")
        return V(value=i)

    step = create_step(id="fluid", input_schema=V, output_schema=V, execute=body)
    wf = create_workflow(id="fe-fluid", input_schema=list[V], output_schema=Any).foreach(step, concurrency=2).commit()
    result = await (await wf.create_run()).start(input_data=[{"value": i} for i in range(4)])
    assert result.status == "success"
    # a free slot takes the next item at once: items 2 and 3 run while item 0 is still running
    assert log.index("start 3") < log.index("end 0")
    assert log[-1] == "end 0"


async def test_foreach_output_keeps_input_order_when_items_finish_out_of_order() -> None:
    async def body(ctx: Any) -> V:
        await asyncio.sleep(0.005 * (5 - ctx.input_data.value))
        return V(value=ctx.input_data.value * 10)

    step = create_step(id="slow-first", input_schema=V, output_schema=V, execute=body)
    wf = create_workflow(id="fe-order", input_schema=list[V], output_schema=Any).foreach(step, concurrency=4).commit()
    result = await (await wf.create_run()).start(input_data=[{"value": i} for i in range(1, 5)])
    assert result.to_dict()["result"] == [{"value": 10}, {"value": 20}, {"value": 30}, {"value": 40}]


@pytest.mark.parametrize("bad", [0, -3])
async def test_invalid_concurrency_becomes_one(bad: int) -> None:
    tracker = Tracker()
    wf = create_workflow(id="fe-bad-conc", input_schema=list[V], output_schema=Any).foreach(tracker.step(0.005), concurrency=bad).commit()
    result = await (await wf.create_run()).start(input_data=ITEMS)
    assert result.status == "success"
    assert tracker.peak == 1


# -- 44: empty array ------------------------------------------------------------------------------


async def test_foreach_over_an_empty_array() -> None:
    tracker = Tracker()
    count = create_step(id="final", input_schema=list[V], output_schema=dict[str, int], execute=lambda ctx: {"count": len(ctx.input_data)})
    wf = create_workflow(id="fe-empty", input_schema=list[V], output_schema=Any).foreach(tracker.step()).then(count).commit()
    result = await (await wf.create_run()).start(input_data=[])
    assert result.status == "success"
    assert tracker.calls == []
    out = result.to_dict()["steps"]
    assert out["map"] == {"status": "success", "output": [], "payload": [], "startedAt": T, "endedAt": T}
    assert out["final"]["output"] == {"count": 0}


async def test_foreach_over_a_non_array_fails_the_run() -> None:
    tracker = Tracker()
    wf = create_workflow(id="fe-not-array", input_schema=Any, output_schema=Any).foreach(tracker.step()).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"value": 1})
    assert result.status == "failed"
    assert tracker.calls == []
    assert result.error is not None
    assert result.error["message"] == f"foreach step 'map' in run '{run.run_id}' needs an array input, got dict"
    assert result.steps["map"].status == "failed"


# -- 45, 46: steps around a foreach ----------------------------------------------------------------


class Doubled(BaseModel):
    doubled: int


async def test_steps_before_and_after_a_foreach() -> None:
    generate = create_step(
        id="generate",
        input_schema=dict[str, int],
        output_schema=list[V],
        execute=lambda ctx: [V(value=i + 1) for i in range(ctx.input_data["count"])],
    )
    transform = create_step(
        id="transform", input_schema=V, output_schema=Doubled, execute=lambda ctx: Doubled(doubled=ctx.input_data.value * 2)
    )
    total = create_step(
        id="sum",
        input_schema=list[Doubled],
        output_schema=dict[str, int],
        execute=lambda ctx: {"total": sum(d.doubled for d in ctx.input_data)},
    )
    wf = (
        create_workflow(id="fe-chain", input_schema=dict[str, int], output_schema=Any)
        .then(generate)
        .foreach(transform)
        .then(total)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"count": 3})
    out = result.to_dict()["steps"]
    assert out["generate"]["output"] == [{"value": 1}, {"value": 2}, {"value": 3}]
    assert out["transform"]["output"] == [{"doubled": 2}, {"doubled": 4}, {"doubled": 6}]
    assert out["sum"]["output"] == {"total": 12}


async def test_map_after_foreach_gets_the_whole_array() -> None:
    add = create_step(id="map", input_schema=V, output_schema=dict[str, int], execute=lambda ctx: {"value": ctx.input_data.value + 11})
    final = create_step(id="final", input_schema=dict[str, int], output_schema=dict[str, int], execute=lambda ctx: dict(ctx.input_data))
    wf = (
        create_workflow(id="fe-map", input_schema=list[V], output_schema=Any)
        .foreach(add)
        .map(lambda ctx: {"inputValue": sum(v["value"] for v in ctx.input_data)}, id="map-step")
        .then(final)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data=ITEMS)
    out = result.to_dict()["steps"]
    assert out["map-step"]["payload"] == [{"value": 12}, {"value": 33}, {"value": 344}]
    assert out["map-step"]["output"] == {"inputValue": 389}
    assert out["final"]["payload"] == {"inputValue": 389}


async def test_foreach_items_may_return_none() -> None:
    step = create_step(id="maybe", input_schema=int, output_schema=Any, execute=lambda ctx: None if ctx.input_data % 2 else ctx.input_data)
    wf = create_workflow(id="fe-none", input_schema=list[int], output_schema=Any).foreach(step).commit()
    result = await (await wf.create_run()).start(input_data=[1, 2, 3, 4])
    assert result.status == "success"
    assert result.result == [None, 2, None, 4]


# -- 47: state between items --------------------------------------------------------------------


async def test_state_updates_are_visible_to_later_items() -> None:
    checks: list[Any] = []

    async def set_two(ctx: Any) -> int:
        await ctx.set_state({"output": 2})
        return 2

    def check_two(ctx: Any) -> int:
        checks.append(ctx.state["output"])
        if ctx.state["output"] != 2:
            raise AssertionError("state from the earlier item is missing")
        return 1

    s2 = (
        create_workflow(id="s2", input_schema=int, output_schema=int)
        .then(create_step(id="set-two", input_schema=int, output_schema=int, execute=set_two))
        .commit()
    )
    s1 = (
        create_workflow(id="s1", input_schema=int, output_schema=int)
        .then(create_step(id="check-two", input_schema=int, output_schema=int, execute=check_two))
        .commit()
    )
    routing = (
        create_workflow(id="routing", input_schema=int, output_schema=Any)
        .branch([(lambda ctx: ctx.input_data == 2, s2), (lambda ctx: ctx.input_data == 1, s1)])
        .commit()
    )
    wf = create_workflow(id="fe-state", input_schema=list[int], output_schema=Any, state_schema=dict[str, int]).foreach(routing).commit()
    result = await (await wf.create_run()).start(input_data=[2, 1], initial_state={"output": 0})
    assert result.status == "success"
    assert checks == [2]
    assert result.state == {"output": 2}
    assert result.result == [{"s2": 2}, {"s1": 1}]


# -- 48: bail inside a foreach ----------------------------------------------------------------------


async def test_bail_inside_foreach_ends_the_workflow() -> None:
    calls: list[int] = []

    async def body(ctx: Any) -> int:
        calls.append(ctx.input_data)
        if ctx.state["output"] > 1:
            ctx.bail([15])
        await ctx.set_state({"output": ctx.input_data})
        value: int = ctx.input_data
        return value

    after = create_step(id="after", input_schema=Any, output_schema=Any, execute=lambda ctx: calls.append(-1))
    step = create_step(id="item", input_schema=int, output_schema=int, execute=body)
    wf = create_workflow(id="fe-bail", input_schema=list[int], output_schema=Any).foreach(step).then(after).commit()
    result = await (await wf.create_run()).start(input_data=[1, 2, 3, 4], initial_state={"output": 0})
    assert result.status == "success"
    assert calls == [1, 2, 3]
    assert result.state == {"output": 2}
    assert result.result == [15]
    assert "after" not in result.steps
    assert result.steps["item"].status == "success"


# -- 49, 50: progress events ------------------------------------------------------------------------


async def test_foreach_emits_one_progress_event_per_item() -> None:
    tracker = Tracker()
    wf = create_workflow(id="fe-progress", input_schema=list[V], output_schema=Any).foreach(tracker.step()).commit()
    stream = (await wf.create_run()).stream(input_data=ITEMS)
    events = [e.to_dict() async for e in stream]
    assert (await stream.result).status == "success"
    progress = [e["payload"] for e in events if e["type"] == "workflow-step-progress"]
    assert progress == [
        {
            "id": "map",
            "stepName": "map",
            "completedCount": 1,
            "totalCount": 3,
            "currentIndex": 0,
            "iterationStatus": "success",
            "iterationOutput": {"value": 12},
        },
        {
            "id": "map",
            "stepName": "map",
            "completedCount": 2,
            "totalCount": 3,
            "currentIndex": 1,
            "iterationStatus": "success",
            "iterationOutput": {"value": 33},
        },
        {
            "id": "map",
            "stepName": "map",
            "completedCount": 3,
            "totalCount": 3,
            "currentIndex": 2,
            "iterationStatus": "success",
            "iterationOutput": {"value": 344},
        },
    ]
    types = [e["type"] for e in events]
    # one start and one result for the whole foreach; items have no start/result events of their own
    assert types.count("workflow-step-start") == 1
    assert types.count("workflow-step-result") == 1
    assert types.index("workflow-step-start") < types.index("workflow-step-progress")
    assert types.index("workflow-step-result") > max(i for i, t in enumerate(types) if t == "workflow-step-progress")


async def test_foreach_progress_with_concurrency() -> None:
    tracker = Tracker()
    wf = create_workflow(id="fe-progress-2", input_schema=list[V], output_schema=Any).foreach(tracker.step(0.01), concurrency=2).commit()
    stream = (await wf.create_run()).stream(input_data=ITEMS)
    progress = [e.payload async for e in stream if e.type == "workflow-step-progress"]
    assert len(progress) == 3
    assert all(p["totalCount"] == 3 and p["iterationStatus"] == "success" for p in progress)
    assert [p["completedCount"] for p in progress] == [1, 2, 3]
    assert sorted(p["currentIndex"] for p in progress) == [0, 1, 2]


async def test_failed_item_emits_failed_progress_and_stops_the_foreach() -> None:
    calls: list[int] = []

    def body(ctx: Any) -> V:
        calls.append(ctx.input_data.value)
        if ctx.input_data.value == 22:
            raise RuntimeError("item 22 failed")
        return V(value=ctx.input_data.value + 11)

    step = create_step(id="map", input_schema=V, output_schema=V, execute=body)
    wf = create_workflow(id="fe-fail-progress", input_schema=list[V], output_schema=Any).foreach(step).commit()
    stream = (await wf.create_run()).stream(input_data=ITEMS)
    progress = [e.payload async for e in stream if e.type == "workflow-step-progress"]
    result = await stream.result
    assert result.status == "failed"
    assert calls == [1, 22]
    assert progress == [
        {
            "id": "map",
            "stepName": "map",
            "completedCount": 1,
            "totalCount": 3,
            "currentIndex": 0,
            "iterationStatus": "success",
            "iterationOutput": {"value": 12},
        },
        {"id": "map", "stepName": "map", "completedCount": 2, "totalCount": 3, "currentIndex": 1, "iterationStatus": "failed"},
    ]
    assert result.error is not None and result.error["message"] == "item 22 failed"


# -- 51: finished items survive a failed foreach -------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_finished_items_survive_a_failed_foreach(concurrency: int) -> None:
    runs = [0, 0]

    def process(ctx: Any) -> int:
        i: int = ctx.input_data
        runs[i] += 1
        if i == 1 and runs[i] == 1:
            raise RuntimeError("item 1 failed once")
        return i

    seed = create_step(id="seed", input_schema=Any, output_schema=list[int], execute=lambda ctx: [0, 1])
    item = create_step(id="process-item", input_schema=int, output_schema=int, execute=process)
    wf = (
        create_workflow(id=f"fe-survive-{concurrency}", input_schema=Any, output_schema=Any, retry_config={"attempts": 0})
        .then(seed)
        .foreach(item, concurrency=concurrency)
        .commit()
    )
    run = await wf.create_run()
    result = await run.start(input_data={})
    assert result.status == "failed"
    assert runs == [1, 1]
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    record = stored["steps"]["process-item"]
    assert record["status"] == "failed"
    foreach_output = record["suspendPayload"]["__workflow_meta"]["foreachOutput"]
    assert foreach_output[0] == {"status": "success", "output": 0}
    assert foreach_output[1]["status"] == "failed"
    assert foreach_output[1]["error"]["message"] == "item 1 failed once"
    assert result.steps["process-item"].status == "failed"

    # restart() on a failed run runs nothing and returns the stored failure
    restarted = await run.restart()
    assert restarted.status == "failed"
    assert runs == [1, 1]


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_time_travel_to_a_failed_foreach_reruns_only_failed_items(concurrency: int) -> None:
    runs = [0, 0]

    def process(ctx: Any) -> int:
        i: int = ctx.input_data
        runs[i] += 1
        if i == 1 and runs[i] == 1:
            raise RuntimeError("item 1 failed once")
        return i

    seed = create_step(id="seed", input_schema=Any, output_schema=list[int], execute=lambda ctx: [0, 1])
    item = create_step(id="process-item", input_schema=int, output_schema=int, execute=process)
    wf = (
        create_workflow(id=f"fe-travel-{concurrency}", input_schema=Any, output_schema=Any)
        .then(seed)
        .foreach(item, concurrency=concurrency)
        .commit()
    )
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "failed"
    assert runs == [1, 1]
    travelled = await run.time_travel(step="process-item")
    assert travelled.status == "success"
    assert runs == [1, 2]
    assert travelled.result == [0, 1]


async def test_foreach_over_a_nested_workflow() -> None:
    double = create_step(id="double", input_schema=V, output_schema=V, execute=lambda ctx: V(value=ctx.input_data.value * 2))
    inner = create_workflow(id="inner-double", input_schema=V, output_schema=V).then(double).commit()
    wf = create_workflow(id="fe-nested", input_schema=list[V], output_schema=Any).foreach(inner, concurrency=2).commit()
    run = await wf.create_run()
    result = await run.start(input_data=ITEMS)
    assert result.status == "success"
    assert result.to_dict()["result"] == [{"value": 2}, {"value": 44}, {"value": 666}]
    stored = wire(await wf.get_run(run.run_id))
    assert stored is not None
    assert stored["steps"]["inner-double[1].double"]["output"] == {"value": 44}
