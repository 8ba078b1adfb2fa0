"""What `sleep` and `sleep_until` take, given to the builder or returned by their function.

`sleep_until` reads a value as Mastra's `new Date(value)` does (conformance scenario
sleep-until-values): a number is epoch milliseconds, a string an ISO-8601 date; a naive
datetime is local time, as `datetime.timestamp()` reads it. Anything else is an error, at
build time or as a failed run, never a silent zero-length sleep. Every bound here is seconds
against a sleep of tens of milliseconds: the failures they catch are no wait or hours of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import create_step, create_workflow
from stepstream.errors import WorkflowDefinitionError
from stepstream.workflow._render import serialized_step_graph
from stepstream.workflow._sleep_time import until_datetime

MS = 40


def _now_ms() -> float:
    return time.time() * 1000


@pytest.fixture
def utc_plus_5(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time five hours ahead of UTC, so "naive = local" and "naive = UTC" differ."""
    monkeypatch.setenv("TZ", "STT-5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _waited(wf: Any, input_data: Any, target_ms: float) -> None:
    """Runs `wf`: it succeeds, after `target_ms` (epoch ms) and within seconds."""
    result = await asyncio.wait_for((await wf.create_run()).start(input_data=input_data), timeout=5)
    assert result.status == "success", result.error
    assert _now_ms() >= target_ms - 2  # the loop's timer may fire a clock tick early


def _iso_z(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _iso_offset(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone(timedelta(hours=-7))).isoformat()


UNTIL: dict[str, Callable[[float], Any]] = {
    "aware datetime": lambda ms: datetime.fromtimestamp(ms / 1000, UTC),
    "ISO string with Z": _iso_z,
    "ISO string with an offset": _iso_offset,
    "epoch ms (int)": lambda ms: int(ms) + 1,
    "epoch ms (float)": lambda ms: ms,
}


# -- sleep_until: a function's result, and a value given to the builder ------------------------------------


@pytest.mark.parametrize("case", UNTIL)
async def test_a_sleep_until_function_result_is_read_as_mastra_reads_it(case: str) -> None:
    wf = create_workflow(id="until-fn", input_schema=Any, output_schema=Any).sleep_until(lambda ctx: ctx.input_data["at"]).commit()
    target = _now_ms() + MS
    await _waited(wf, {"at": UNTIL[case](target)}, target)


@pytest.mark.parametrize("case", UNTIL)
async def test_a_sleep_until_value_given_to_the_builder_is_read_the_same_way(case: str) -> None:
    target = _now_ms() + MS
    wf = create_workflow(id="until-value", input_schema=Any, output_schema=Any).sleep_until(UNTIL[case](target)).commit()
    await _waited(wf, {}, target)


class At(BaseModel):
    at: datetime


async def test_a_datetime_output_reaches_the_sleep_until_function_as_json_and_is_waited_for() -> None:
    target = _now_ms() + MS
    when = create_step(id="when", input_schema=Any, output_schema=At, execute=lambda ctx: At(at=datetime.fromtimestamp(target / 1000, UTC)))
    seen: list[Any] = []

    def until(ctx: Any) -> Any:
        seen.append(ctx.input_data["at"])
        return ctx.input_data["at"]

    wf = create_workflow(id="until-json", input_schema=Any, output_schema=Any).then(when).sleep_until(until).commit()
    await _waited(wf, {}, target)
    assert isinstance(seen[0], str)


# -- sleep: a timedelta ----------------------------------------------------------------------------------


async def test_sleep_takes_a_timedelta_given_or_returned() -> None:
    for duration in (timedelta(milliseconds=MS), lambda ctx: timedelta(milliseconds=MS)):
        wf = create_workflow(id="sleep-timedelta", input_schema=Any, output_schema=Any).sleep(duration).commit()
        target = _now_ms() + MS
        await _waited(wf, {"k": 1}, target)


def test_a_timedelta_is_kept_in_the_plan_as_milliseconds() -> None:
    wf = create_workflow(id="sleep-plan", input_schema=Any, output_schema=Any).sleep(timedelta(seconds=1.5)).commit()
    assert serialized_step_graph(wf)[0]["duration"] == 1500


# -- naive times are local time ----------------------------------------------------------------------------


@pytest.mark.usefixtures("utc_plus_5")
async def test_a_naive_datetime_is_local_time() -> None:
    given = (
        create_workflow(id="naive", input_schema=Any, output_schema=Any).sleep_until(datetime.now() + timedelta(milliseconds=MS)).commit()
    )
    await _waited(given, {}, _now_ms() + MS - 5)
    returned = (
        create_workflow(id="naive-fn", input_schema=Any, output_schema=Any)
        .sleep_until(lambda ctx: datetime.now() + timedelta(milliseconds=MS))
        .commit()
    )
    await _waited(returned, {}, _now_ms() + MS - 5)


@pytest.mark.usefixtures("utc_plus_5")
def test_strings_without_an_offset_read_as_javascript_reads_them() -> None:
    assert until_datetime("2024-05-01T12:00:00", "x") == datetime(2024, 5, 1, 7, tzinfo=UTC)  # local time
    assert until_datetime("2024-05-01", "x") == datetime(2024, 5, 1, tzinfo=UTC)  # a date alone is UTC
    assert until_datetime(datetime(2024, 5, 1, 12), "x").astimezone(UTC) == datetime(2024, 5, 1, 7, tzinfo=UTC)


# -- anything else is a clear error ------------------------------------------------------------------------

BAD_UNTIL = ["next tuesday", "", None, True, {"at": 1}, float("nan"), float("inf")]
BAD_DURATION = ["soon", "40", None, True, [40], datetime(2024, 5, 1, tzinfo=UTC)]


@pytest.mark.parametrize("value", BAD_UNTIL, ids=repr)
async def test_a_sleep_until_function_returning_no_time_fails_the_run_naming_the_node(value: Any) -> None:
    wf = create_workflow(id="until-bad", input_schema=Any, output_schema=Any).sleep_until(lambda ctx: value, id="nap").commit()
    result = await asyncio.wait_for((await wf.create_run()).start(input_data={}), timeout=5)
    assert result.status == "failed"
    assert result.error is not None
    message = result.error["message"]
    assert "sleep_until 'nap' of workflow 'until-bad'" in message
    assert "a datetime, an ISO-8601 string or epoch milliseconds" in message or "finite" in message
    assert result.steps["nap"].status == "failed"


@pytest.mark.parametrize("value", BAD_DURATION, ids=repr)
async def test_a_sleep_function_returning_no_duration_fails_the_run_naming_the_node(value: Any) -> None:
    wf = create_workflow(id="sleep-bad", input_schema=Any, output_schema=Any).sleep(lambda ctx: value, id="nap").commit()
    result = await asyncio.wait_for((await wf.create_run()).start(input_data={}), timeout=5)
    assert result.status == "failed"
    assert result.error is not None
    assert "the result of the function of sleep 'nap' of workflow 'sleep-bad'" in result.error["message"]
    assert "a number of milliseconds or a datetime.timedelta" in result.error["message"]


@pytest.mark.parametrize("value", BAD_UNTIL, ids=repr)
def test_sleep_until_refuses_no_time_at_build_time(value: Any) -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': sleep_until\(\) must be a"):
        create_workflow(id="w").sleep_until(value)


@pytest.mark.parametrize("value", BAD_DURATION, ids=repr)
def test_sleep_refuses_no_duration_at_build_time(value: Any) -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': sleep\(\) must be a number of milliseconds or a datetime.timedelta"):
        create_workflow(id="w").sleep(value)


def test_a_date_out_of_range_is_refused_at_build_time() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"sleep_until\(\) is out of the range of dates"):
        create_workflow(id="w").sleep_until(1e20)
