"""The scheduler: fires due schedules, each slot exactly once across any number of processes.

Each pass lists the due rows (active, next fire time <= now) and, for each, claims
the fire with a compare-and-set on the row's next fire time
(`Storage.claim_schedule_fire`). Only the process whose claim changed the row
starts the run, under the id `sched_<scheduleId>_<fireAtMs>`; the engine's
insert-only run creation refuses a second start of that id as well. Every fire,
failure to fire, and skipped slot writes an audit row.

Between passes it sleeps until the next due fire (or `tick_interval_ms`, if
set), at most `max_sleep_ms` so that schedules created by other processes are
seen; local creates, updates and resumes wake it at once. `stop()` lets a fire
that was claimed finish starting its run and writing its audit row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from ..errors import ScheduleError
from ..storage.base import Schedule, ScheduleTrigger, Storage
from ._clock import Clock, SystemClock
from ._timing import plan_fire
from .cron import Cron

if TYPE_CHECKING:
    from ..events import WorkflowEvent
    from ..workflow.builder import Workflow

log = logging.getLogger("stepstream.schedules")

NEVER = 2**53 - 1
"""The next fire time of a cron that has no further occurrence."""


class SchedulerConfig(TypedDict, total=False):
    """`tick_interval_ms`: the longest sleep between checks (default: until the next due
    fire); `max_sleep_ms` (10 000): the longest sleep when idle, to see other processes'
    new schedules; `batch_size` (100): due rows per pass; `catch_up` ("skip"): the
    missed-fire policy of schedules without their own; `clock`: a `Clock` (tests)."""

    tick_interval_ms: int
    max_sleep_ms: int
    batch_size: int
    catch_up: str
    clock: Clock


class Host(Protocol):
    """What the scheduler needs from the app."""

    storage: Storage

    def get_workflow(self, id: str) -> Workflow: ...

    @property
    def workflows(self) -> dict[str, Workflow]: ...


def _positive(config: dict[str, Any], key: str, default: int | None) -> int | None:
    value = config.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise ScheduleError(f"scheduler config {key!r} must be a positive int (milliseconds or rows), got {value!r}", key)
    return value


class Scheduler:
    """`app.scheduler`: `await start()` (returns at once), `await stop()`, `await tick()`."""

    def __init__(self, host: Host, config: SchedulerConfig | None = None):
        if config is not None and not isinstance(config, Mapping):
            raise ScheduleError(f"scheduler config must be a mapping (e.g. {{'tick_interval_ms': 200}}), got {config!r}", "scheduler")
        options: dict[str, Any] = dict(config or {})
        unknown = set(options) - set(SchedulerConfig.__annotations__)
        if unknown:
            raise ScheduleError(
                f"unknown scheduler config {sorted(unknown)}; known: {sorted(SchedulerConfig.__annotations__)}", "scheduler"
            )
        self._host = host
        self.tick_interval_ms = _positive(options, "tick_interval_ms", None)
        self.max_sleep_ms: int = _positive(options, "max_sleep_ms", 10_000) or 10_000
        self.batch_size: int = _positive(options, "batch_size", 100) or 100
        self.catch_up: str = options.get("catch_up", "skip")
        if self.catch_up not in ("skip", "latest"):
            raise ScheduleError(f"scheduler config 'catch_up' must be 'skip' or 'latest', got {self.catch_up!r}", "catch_up")
        self.clock: Clock = options.get("clock") or SystemClock()
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._tick_lock: asyncio.Lock | None = None
        self._runs: set[asyncio.Task[Any]] = set()

    @property
    def is_running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Reconciles declared schedules with storage, then fires due schedules in the
        background until `stop()`. Returns at once; calling it again does nothing."""
        if self.is_running:
            return
        from ._reconcile import reconcile

        await self._host.storage.setup()
        await reconcile(self._host, self.clock.now_ms())
        self._stopping = False
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="stepstream-scheduler")

    async def stop(self, *, wait_for_runs: bool = False) -> None:
        """Stops the loop. A fire already claimed still starts its run and writes its audit
        row before this returns; with `wait_for_runs=True`, the runs started here finish too."""
        self._stopping = True
        task, self._task = self._task, None
        if self._wake is not None:
            self._wake.set()
        if task is not None:
            await task
        if wait_for_runs and self._runs:
            await asyncio.wait(set(self._runs))
        self._stopping = False

    def wake(self) -> None:
        """Makes a sleeping loop check storage now (after a local create, update or resume)."""
        if self._wake is not None:
            self._wake.set()

    async def _loop(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            try:
                await self.tick()
                deadline = await self._deadline()
            except Exception:
                log.exception("scheduler pass failed; retrying")
                deadline = self.clock.now_ms() + min(self.max_sleep_ms, 1000)
            if self._stopping:
                break
            self._wake.clear()
            await self.clock.sleep_until(deadline, self._wake)

    async def _deadline(self) -> int:
        now = self.clock.now_ms()
        cap = now + (self.tick_interval_ms or self.max_sleep_ms)
        due = await self._host.storage.next_schedule_fire_at()
        return cap if due is None else max(now, min(due, cap))

    async def tick(self) -> int:
        """One pass: fires every due schedule this process can claim; the number of claims won."""
        if self._tick_lock is None:
            self._tick_lock = asyncio.Lock()
        async with self._tick_lock:
            now = self.clock.now_ms()
            due = await self._host.storage.list_due_schedules(now, self.batch_size)
            won = 0
            for schedule in due:
                if self._stopping:
                    break  # between fires only: a claimed fire always completes
                # Shielded: once claimed, a fire finishes (run started, audit row written) even if the loop is canceled.
                won += await asyncio.shield(self._fire(schedule, self.clock.now_ms()))
            return won

    async def _fire(self, schedule: Schedule, now: int) -> int:
        if schedule.workflow_id not in self._host.workflows:
            log.warning(
                "schedule %r: workflow %r is not registered here; leaving the fire to a process that has it",
                schedule.id,
                schedule.workflow_id,
            )
            return 0
        try:
            cron = Cron(schedule.cron, schedule.timezone)
        except ScheduleError:
            log.exception("schedule %r has an invalid cron or time zone; not firing it", schedule.id)
            return 0
        plan = plan_fire(cron, schedule.next_fire_at, now, schedule.catch_up or self.catch_up)
        run_id = None if plan.fire_at is None else f"sched_{schedule.id}_{plan.fire_at}"
        next_fire_at = NEVER if plan.next_fire_at is None else plan.next_fire_at
        storage = self._host.storage
        claimed = await storage.claim_schedule_fire(
            schedule.id, schedule.next_fire_at, next_fire_at, fired_at=now if run_id else None, run_id=run_id
        )
        if not claimed:
            return 0  # another process fired this slot (or the schedule was paused or changed)
        missed = {"missedFrom": schedule.next_fire_at} if plan.missed else None
        if run_id is None or plan.fire_at is None:
            trigger = ScheduleTrigger(schedule.id, None, schedule.next_fire_at, now, "skipped", metadata={**(missed or {}), "until": now})
        else:
            error = await self.start_run(schedule, run_id)
            trigger = ScheduleTrigger(
                schedule.id, run_id, plan.fire_at, now, "failed" if error else "published", error=error, metadata=missed
            )
        await self.audit(trigger)
        return 1

    async def audit(self, trigger: ScheduleTrigger) -> None:
        """Writes an audit row; a storage failure is logged, never raised into the loop."""
        try:
            await self._host.storage.record_trigger(trigger)
        except Exception:
            log.exception("could not record the trigger of schedule %r (run %r)", trigger.schedule_id, trigger.run_id)

    async def start_run(self, schedule: Schedule, run_id: str) -> str | None:
        """Starts the schedule's run under `run_id`; returns once it has started (or why it could not)."""
        try:
            workflow = self._host.get_workflow(schedule.workflow_id)
            run = await workflow.create_run(run_id, resource_id=schedule.resource_id)
            if run.status != "pending":
                return f"run {run_id!r} of workflow {schedule.workflow_id!r} already exists (status {run.status!r})"
            started: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

            def on_event(event: WorkflowEvent) -> None:
                if event.type == "workflow-start" and not started.done():
                    started.set_result(None)

            unwatch = run.watch(on_event)
            inputs = {} if schedule.input_data is None else schedule.input_data
            task: asyncio.Task[Any] = asyncio.ensure_future(run.start(inputs, schedule.initial_state, schedule.request_context))
            self._track(task)
            try:
                await asyncio.wait([started, task], return_when=asyncio.FIRST_COMPLETED)
            finally:
                unwatch()
                started.cancel()
            if task.done() and not task.cancelled() and task.exception() is not None:
                return _describe(task.exception())
            return None
        except Exception as exc:
            return _describe(exc)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._runs.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._runs.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.warning("scheduled run failed to start: %s", _describe(t.exception()))

        task.add_done_callback(done)

    @property
    def active_runs(self) -> Iterable[asyncio.Task[Any]]:
        """Runs this scheduler started that are still executing here."""
        return tuple(self._runs)


def _describe(exc: BaseException | None) -> str:
    return "unknown error" if exc is None else f"{type(exc).__name__}: {exc}"
