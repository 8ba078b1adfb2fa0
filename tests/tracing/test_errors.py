"""Failures and cancels end spans with error status and the exception recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from stepstream import StepContext, create_step, create_workflow
from stepstream import tracing as T
from stepstream.results import StepResult
from stepstream.storage.memory import InMemoryStorage

from .conftest import Spans


class Boom(RuntimeError):
    pass


def boom(ctx: StepContext) -> Any:
    raise Boom("kaput")


def exception_events(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == "exception"]


def assert_failed_with(span: ReadableSpan, type_name: str, message: str) -> None:
    assert span.status.status_code == StatusCode.ERROR, span.name
    assert span.status.description is not None and message in span.status.description
    (event,) = exception_events(span)
    assert event["exception.type"].endswith(type_name)
    assert event["exception.message"] == message


async def test_failed_step_and_run(spans: Spans) -> None:
    wf = create_workflow(id="fails").then(create_step(id="ok", execute=lambda ctx: 1)).then(create_step(id="bad", execute=boom)).commit()
    result = await (await wf.create_run()).start(input_data=None)
    assert result.status == "failed"
    bad = spans.one("workflow step: 'bad'")
    assert_failed_with(bad, "Boom", "kaput")
    assert "Traceback" in exception_events(bad)[0]["exception.stacktrace"]
    assert (bad.attributes or {})[T.STEP_STATUS] == "failed"
    root = spans.one("workflow run: 'fails'")
    assert_failed_with(root, "Boom", "kaput")
    assert (root.attributes or {})[T.RUN_STATUS] == "failed"
    assert T.OUTPUT not in (root.attributes or {})
    assert spans.one("workflow step: 'ok'").status.status_code == StatusCode.UNSET


async def test_failure_inside_nested_parallel(spans: Spans) -> None:
    inner = create_workflow(id="inner").then(create_step(id="bad", execute=boom)).commit()
    wf = create_workflow(id="outer").parallel([inner, create_step(id="fine", execute=lambda ctx: 1)]).commit()
    result = await (await wf.create_run()).start(input_data=None)
    assert result.status == "failed"
    assert_failed_with(spans.one("workflow step: 'bad'"), "Boom", "kaput")
    assert_failed_with(spans.one("workflow step: 'inner'"), "Boom", "kaput")
    par = spans.one("parallel: '2 branches'")
    assert par.status.status_code == StatusCode.ERROR and (par.attributes or {})[T.STATUS] == "failed"
    assert exception_events(par) == []  # recorded on the step that raised
    assert_failed_with(spans.one("workflow run: 'outer'"), "Boom", "kaput")
    assert spans.one("workflow step: 'fine'").status.status_code == StatusCode.UNSET


async def test_foreach_item_failure(spans: Spans) -> None:
    def maybe(ctx: StepContext) -> Any:
        if ctx.input_data == 2:
            raise Boom("item 2")
        return ctx.input_data

    wf = create_workflow(id="each").foreach(create_step(id="item", execute=maybe)).commit()
    result = await (await wf.create_run()).start(input_data=[1, 2, 3])
    assert result.status == "failed"
    items = spans.named("workflow step: 'item'")
    assert [(s.attributes or {})[T.STEP_STATUS] for s in items] == ["success", "failed"]
    assert_failed_with(items[1], "Boom", "item 2")
    loop = spans.one("loop: 'foreach'")
    assert loop.status.status_code == StatusCode.ERROR
    assert (loop.attributes or {})[T.LOOP_TOTAL_ITERATIONS] == 2


async def test_foreach_on_a_non_array_records_the_error(spans: Spans) -> None:
    wf = create_workflow(id="each").foreach(create_step(id="item", execute=lambda ctx: 1)).commit()
    result = await (await wf.create_run()).start(input_data=5)
    assert result.status == "failed"
    (event,) = exception_events(spans.one("loop: 'foreach'"))
    assert event["exception.type"] == "TypeError"


async def test_loop_condition_failure(spans: Spans) -> None:
    def bad_condition(ctx: StepContext) -> bool:
        raise Boom("condition broke")

    wf = create_workflow(id="loop").dowhile(create_step(id="inc", execute=lambda ctx: 1), bad_condition).commit()
    result = await (await wf.create_run()).start(input_data=0)
    assert result.status == "failed"
    assert_failed_with(spans.one("loop: 'dowhile'"), "Boom", "condition broke")
    assert_failed_with(spans.one("workflow run: 'loop'"), "Boom", "condition broke")


def assert_canceled(span: ReadableSpan) -> None:
    assert span.status.status_code == StatusCode.ERROR, span.name
    assert span.status.description == "canceled"
    (event,) = exception_events(span)
    assert event["exception.type"].endswith("CancelledError")


async def test_cancel_during_sleep(spans: Spans) -> None:
    wf = create_workflow(id="sleepy").then(create_step(id="a", execute=lambda ctx: 1)).sleep(10_000).commit()
    run = await wf.create_run()
    task = asyncio.ensure_future(run.start(input_data=None))
    while not spans.named("workflow step: 'a'"):
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    sleep = spans.one("sleep: 10000ms")
    assert_canceled(sleep)
    assert (sleep.attributes or {})[T.STEP_STATUS] == "canceled"
    root = spans.one("workflow run: 'sleepy'")
    assert_canceled(root)
    assert (root.attributes or {})[T.RUN_STATUS] == "canceled"


async def test_cancel_during_steps_in_parallel(spans: Spans) -> None:
    started = asyncio.Event()

    async def hang(ctx: StepContext) -> int:
        started.set()
        await asyncio.sleep(10)
        return 1

    wf = create_workflow(id="hang").parallel([create_step(id="h1", execute=hang), create_step(id="h2", execute=hang)]).commit()
    run = await wf.create_run()
    task = asyncio.ensure_future(run.start(input_data=None))
    await started.wait()
    await asyncio.sleep(0)
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    for name in ("workflow step: 'h1'", "workflow step: 'h2'", "parallel: '2 branches'", "workflow run: 'hang'"):
        assert_canceled(spans.one(name))


class FailingStorage(InMemoryStorage):
    """Raises a plain exception when a given step is saved."""

    def __init__(self, key: str):
        super().__init__()
        self.key = key

    async def save_step(self, workflow_id: str, run_id: str, key: str, record: StepResult, changes: Any = None, **kwargs: Any) -> bool:
        if key == self.key:
            raise OSError("disk on fire")
        return await super().save_step(workflow_id, run_id, key, record, changes, **kwargs)


async def test_an_exception_escaping_the_engine_closes_every_span(spans: Spans) -> None:
    inner = create_workflow(id="inner").then(create_step(id="x", execute=lambda ctx: 1)).commit()
    wf = create_workflow(id="crash").then(inner).commit()
    wf.bind_storage(FailingStorage("inner.x"))
    before = trace.get_current_span()
    with pytest.raises(OSError, match="disk on fire"):
        await (await wf.create_run()).start(input_data=None)
    assert trace.get_current_span() is before
    names = {s.name for s in spans.all}
    assert names == {"workflow run: 'crash'", "workflow step: 'inner'", "workflow step: 'x'"}
    for span in spans.all:
        assert span.status.status_code == StatusCode.ERROR, span.name
        assert span.end_time is not None
    root = spans.one("workflow run: 'crash'")
    assert_failed_with(root, "OSError", "disk on fire")
