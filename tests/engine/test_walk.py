"""The walk on a fake host: no event loop, a fake clock, and the commands it issues.

The walk (`LevelWalk`) reaches the world only through its host, so a test can drive it
synchronously (`coroutine.send(None)` until it returns) and read off, in order, every
effect it asked for: step attempts, user-function calls, waits, storage writes. Run twice,
it issues the same commands (the replay habit of Temporal and workflows-py).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from stepstream import StepContext, create_step, create_workflow
from stepstream.engine._context import EngineStepContext
from stepstream.engine._executor import LevelWalk
from stepstream.engine._host import AttemptRequest
from stepstream.engine._state import RunExecution, _Attempt
from stepstream.request_context import RequestContext
from stepstream.results import StepResult
from stepstream.storage import InMemoryStorage
from stepstream.workflow.builder import Workflow

START_MS = 1_700_000_000_000


class FakeHost:
    """Records every command; the clock moves only when the walk waits."""

    def __init__(self, rs: RunExecution):
        self.rs = rs
        self.clock = START_MS
        self.ids = 0
        self.commands: list[tuple[Any, ...]] = []

    def now_ms(self) -> int:
        return self.clock

    def new_call_id(self) -> str:
        self.ids += 1
        return f"call-{self.ids}"

    async def attempt(self, request: AttemptRequest) -> _Attempt:
        self.commands.append(("attempt", request.path, request.value, request.retry_count))
        ctx: StepContext[Any, Any] = EngineStepContext(
            request.ex, request.step, request.key, request.value, retry_count=request.retry_count
        )
        try:
            out = request.step.execute(ctx)
        except Exception as exc:
            failed = _Attempt("failed", exc, request.value)
            failed.retryable = True
            return failed
        return _Attempt("success", out, request.value)

    async def call(self, fn: Callable[[Any], Any], ctx: Any, *, inline: bool = False) -> Any:
        out = fn(ctx)
        self.commands.append(("call", ctx._key, out))
        return out

    async def wait(self, seconds: float) -> bool:
        self.commands.append(("wait", seconds))
        self.clock += int(seconds * 1000)
        return False

    def save_now(self, key: str, record: StepResult, changes: Any) -> bool | None:
        return None  # every save is a command the test reads (`save_step`)

    async def save_step(self, key: str, record: StepResult, changes: Any) -> bool:
        self.commands.append(("save", key, record.status, record.started_at, record.ended_at))
        return True

    async def set_run_status(self, status: str) -> bool:
        self.commands.append(("status", status))
        return True

    async def delete_steps(self, keys: list[str]) -> None:
        self.commands.append(("delete", keys))

    def mark_running(self, key: str, record: StepResult) -> None:
        self.commands.append(("mark", key))

    async def settle_running(self, key: str) -> None:
        self.commands.append(("settle", key))

    async def pace(self) -> None:
        return None

    def close(self) -> None:
        self.commands.append(("close",))


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Runs a coroutine that never suspends, without an event loop."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the walk suspended: it awaited something other than its host")


def walk(wf: Workflow, value: Any) -> tuple[tuple[str, Any], FakeHost]:
    rs = RunExecution(
        run_id="run-1",
        workflow_id=wf.id,
        storage=InMemoryStorage(),
        request_context=RequestContext(),
        state={},
        records={},
        sinks=[],
    )
    rs.log = False
    rs.shared = True  # ask for running marks too: they are host commands
    host = FakeHost(rs)
    rs.host = host
    outcome = drive(LevelWalk(rs, wf, "", value).run(value))
    return outcome, host


def workflow() -> Workflow:
    wake = datetime.fromtimestamp(START_MS / 1000, UTC) + timedelta(seconds=5)
    add = create_step("add", execute=lambda ctx: ctx.input_data + 1)
    double = create_step("double", execute=lambda ctx: ctx.input_data * 2)
    return (
        create_workflow(id="walked")
        .then(add)
        .sleep(250)
        .sleep_until(lambda ctx: wake)
        .dountil(double, lambda ctx: ctx.input_data >= 20)
        .commit()
    )


def test_the_walk_issues_its_commands_through_the_host_in_order() -> None:
    (status, value), host = walk(workflow(), 1)
    assert (status, value) == ("success", 32)
    t0 = START_MS
    assert host.commands == [
        ("mark", "add"),
        ("attempt", "add", 1, 0),
        ("settle", "add"),
        ("save", "add", "success", t0, t0),
        ("save", "sleep_walked_0", "waiting", t0, None),
        ("status", "waiting"),
        ("wait", 0.25),
        ("status", "running"),
        ("save", "sleep_walked_0", "success", t0, t0 + 250),
        ("call", "sleep_walked_1", datetime.fromtimestamp(START_MS / 1000, UTC) + timedelta(seconds=5)),
        ("save", "sleep_walked_1", "waiting", t0 + 250, None),
        ("status", "waiting"),
        ("wait", 4.75),  # the wake-up time on the fake clock, less the 250 ms already slept
        ("status", "running"),
        ("save", "sleep_walked_1", "success", t0 + 250, t0 + 5000),
        ("mark", "double"),  # a loop's retry count is its iteration less one (Mastra)
        ("attempt", "double", 2, 0),
        ("settle", "double"),
        ("save", "double", "success", t0 + 5000, t0 + 5000),
        ("call", "double", False),
        ("mark", "double"),
        ("attempt", "double", 4, 1),
        ("settle", "double"),
        ("save", "double", "success", t0 + 5000, t0 + 5000),
        ("call", "double", False),
        ("mark", "double"),
        ("attempt", "double", 8, 2),
        ("settle", "double"),
        ("save", "double", "success", t0 + 5000, t0 + 5000),
        ("call", "double", False),
        ("mark", "double"),
        ("attempt", "double", 16, 3),
        ("settle", "double"),
        ("save", "double", "success", t0 + 5000, t0 + 5000),
        ("call", "double", True),
    ]


def test_the_walk_is_deterministic_on_the_same_host() -> None:
    first = walk(workflow(), 1)
    second = walk(workflow(), 1)
    assert first[0] == second[0]
    assert first[1].commands == second[1].commands


def test_retries_are_the_walks_decision_and_each_attempt_is_a_command() -> None:
    tries: list[int] = []

    def flaky(ctx: StepContext) -> int:
        tries.append(ctx.retry_count)
        if ctx.retry_count < 2:
            raise RuntimeError("not yet")
        return 7

    wf = create_workflow(id="flaky", retry_config={"attempts": 3, "delay": 100}).then(create_step("flaky", execute=flaky)).commit()
    (status, value), host = walk(wf, None)
    assert (status, value) == ("success", 7)
    assert tries == [0, 1, 2]
    assert [c for c in host.commands if c[0] in ("attempt", "wait")] == [
        ("attempt", "flaky", None, 0),
        ("wait", 0.1),
        ("attempt", "flaky", None, 1),
        ("wait", 0.1),
        ("attempt", "flaky", None, 2),
    ]
