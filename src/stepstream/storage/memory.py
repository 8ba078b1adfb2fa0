"""In-memory storage: the default for workflows used outside a `Stepstream` app."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from typing import Any

from ..errors import StorageError
from ..results import StepResult
from ..run_query import RunQuery
from ._schedule_records import Schedule, ScheduleChanges, ScheduleTrigger, apply_schedule_changes
from ._wake import Waiters
from .base import ALL_RUNS, EventPage, LoggedEvent, RunChanges, RunRecord, Storage, now_ms

_ATOMS = (str, int, float, bool)


_new_run_record = object.__new__
#: a run's fields holding JSON, copied deeply (see `InMemoryStorage._copy`)
_RUN_JSON_FIELDS = ("state", "request_context", "suspended", "resume_labels", "tracing_context", "input", "result", "error")


def _copied(value: Any) -> Any:
    """A deep copy of a run's JSON field (`copy.deepcopy` for anything else), several times
    cheaper than `deepcopy` for the small dicts and lists a run holds."""
    kind = type(value)
    if kind is dict:
        return {k: _copied(v) for k, v in value.items()}
    if kind is list:
        return [_copied(v) for v in value]
    if value is None or kind in _ATOMS:
        return value
    return copy.deepcopy(value)


def _wire(entry: LoggedEvent | dict[str, Any]) -> dict[str, Any]:
    """A kept log entry's wire JSON (see `InMemoryStorage._log`)."""
    return entry if type(entry) is dict else entry.data  # type: ignore[union-attr]


class InMemoryStorage(Storage):
    """Keeps runs in a dict. Step records and logged events are stored by reference:
    the engine never mutates them once saved, so no copy is needed on the hot path
    (a reader of the log gets copies, so it cannot change what others read).
    Readers waiting for events are woken in-process."""

    shared = False
    folds_claim = True
    supports_schedules = True
    supports_payloads = True

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], RunRecord] = {}
        #: each run's log, as the engine handed it (a step's events build their JSON when read)
        self._events: dict[tuple[str, str], list[LoggedEvent | dict[str, Any]]] = {}
        self._waiters = Waiters()
        self._schedules: dict[str, Schedule] = {}
        self._triggers: list[ScheduleTrigger] = []
        self._payloads: dict[str, tuple[bytes, int]] = {}
        # A subclass that changes how a step is saved (tests inject failures so) is awaited.
        self.immediate = type(self).save_step is InMemoryStorage.save_step

    async def create_run(self, record: RunRecord) -> bool:
        key = (record.workflow_id, record.run_id)
        if key in self._runs:
            return False
        self._runs[key] = self._copy(record)
        return True

    async def load_run(self, workflow_id: str, run_id: str) -> RunRecord | None:
        record = self._runs.get((workflow_id, run_id))
        return None if record is None else self._copy(record)

    async def update_run(
        self,
        workflow_id: str,
        run_id: str,
        changes: RunChanges,
        *,
        expected_status: Collection[str] | None = None,
        expected_owner: str | None = None,
        events: Sequence[LoggedEvent] = (),
    ) -> bool:
        record = self._runs.get((workflow_id, run_id))
        if record is None or (expected_status is not None and record.status not in expected_status):
            return False
        if expected_owner is not None and record.owner != expected_owner:
            return False
        self._log(workflow_id, run_id, events)  # first: a refused batch changes nothing
        record.apply(changes)
        record.updated_at = now_ms()
        return True

    async def save_step(
        self,
        workflow_id: str,
        run_id: str,
        key: str,
        record: StepResult,
        changes: RunChanges | None = None,
        *,
        expected_owner: str | None = None,
        events: Sequence[LoggedEvent] = (),
        create: RunRecord | None = None,
    ) -> bool:
        if create is not None:
            if create.steps or (create.workflow_id, create.run_id) != (workflow_id, run_id):
                raise StorageError("save_step(create=) takes the run's own record, without step records")
            if (workflow_id, run_id) in self._runs:
                return False
            self._runs[(workflow_id, run_id)] = self._copy(create)
            written = False
            try:
                written = await self.save_step(workflow_id, run_id, key, record, changes, expected_owner=expected_owner, events=events)
            finally:
                if not written:
                    del self._runs[(workflow_id, run_id)]  # all or nothing
            return written
        return self.save_step_now(workflow_id, run_id, key, record, changes, expected_owner=expected_owner, events=events)

    def save_step_now(
        self,
        workflow_id: str,
        run_id: str,
        key: str,
        record: StepResult,
        changes: RunChanges | None = None,
        expected_owner: str | None = None,
        events: Sequence[LoggedEvent] = (),
    ) -> bool:
        run = self._runs.get((workflow_id, run_id))
        if run is None or (expected_owner is not None and run.owner != expected_owner):
            return False
        if events:
            self._log(workflow_id, run_id, events)  # first: a refused batch changes nothing
        run.steps[key] = record
        if changes:
            run.apply(changes)
            run.updated_at = now_ms()
        return True

    async def delete_steps(self, workflow_id: str, run_id: str, keys: Collection[str]) -> None:
        run = self._runs.get((workflow_id, run_id))
        if run is not None:
            for key in keys:
                run.steps.pop(key, None)

    async def list_runs(self, query: RunQuery = ALL_RUNS) -> tuple[list[RunRecord], int]:
        found = [r for r in self._runs.values() if query.matches(r.workflow_id, r.status, r.resource_id, r.created_at)]
        found.sort(key=lambda r: r.created_at, reverse=True)
        total = len(found)
        window = query.window
        if window is not None:
            limit, offset = window
            found = found[offset : offset + limit]
        return [self._copy(r, steps=False) for r in found], total

    async def delete_run(self, workflow_id: str, run_id: str) -> bool:
        self._events.pop((workflow_id, run_id), None)
        self._waiters.wake(workflow_id, run_id)
        return self._runs.pop((workflow_id, run_id), None) is not None

    # -- payloads ----------------------------------------------------------------------

    async def save_payload(self, digest: str, data: bytes) -> None:
        self._payloads.setdefault(digest, (bytes(data), now_ms()))

    async def load_payload(self, digest: str) -> bytes | None:
        found = self._payloads.get(digest)
        return None if found is None else found[0]

    async def delete_payloads(self, created_before: int) -> int:
        old = [digest for digest, (_data, at) in self._payloads.items() if at < created_before]
        for digest in old:
            del self._payloads[digest]
        return len(old)

    # -- the event log -------------------------------------------------------------

    def _log(self, workflow_id: str, run_id: str, events: Sequence[LoggedEvent]) -> None:
        if not events:
            return
        key = (workflow_id, run_id)
        log = self._events.get(key)
        if log is None:
            log = self._events[key] = []
        base = len(log)
        # A plain entry is kept as its dict: once its values are untracked, the garbage
        # collector untracks the dict too, so a long history does not lengthen every full
        # collection (a 1,000-step streamed run's stalls went from 3 to 20-40 ms in 1 of 6 runs
        # when the entries were kept). An entry that builds its JSON when read is kept as is.
        kept: list[Any] = []
        for event in events:
            if event.offset != base + len(kept):
                raise StorageError(
                    f"event offset {event.offset} of run {run_id!r} of workflow {workflow_id!r} is taken or not next "
                    f"(the log holds {base} events); nothing was written"
                )
            kept.append(event._data if type(event) is LoggedEvent else event)
        log += kept
        if self._waiters.waiting:
            self._waiters.wake(workflow_id, run_id)

    async def append_events(
        self, workflow_id: str, run_id: str, events: Sequence[LoggedEvent], *, expected_owner: str | None = None
    ) -> bool:
        run = self._runs.get((workflow_id, run_id))
        if run is None or (expected_owner is not None and run.owner != expected_owner):
            return False
        self._log(workflow_id, run_id, events)
        return True

    async def read_events(self, workflow_id: str, run_id: str, offset: int = 0, limit: int | None = None) -> EventPage | None:
        run = self._runs.get((workflow_id, run_id))
        if run is None:
            return None
        log = self._events.get((workflow_id, run_id), [])
        start = max(offset, 0)
        end = len(log) if limit is None else min(len(log), start + max(limit, 0))
        return EventPage(run.status, [LoggedEvent(i, _copied(_wire(log[i]))) for i in range(start, end)], len(log))

    async def wait_events(self, workflow_id: str, run_id: str, offset: int) -> None:
        key = (workflow_id, run_id)

        async def has_events() -> bool:
            return key in self._runs and len(self._events.get(key, ())) > offset

        await self._waiters.wait(key, has_events)

    # -- schedules -------------------------------------------------------------------------

    async def create_schedule(self, schedule: Schedule) -> bool:
        if schedule.id in self._schedules:
            return False
        self._schedules[schedule.id] = copy.deepcopy(schedule)
        return True

    async def load_schedule(self, schedule_id: str) -> Schedule | None:
        found = self._schedules.get(schedule_id)
        return None if found is None else copy.deepcopy(found)

    async def list_schedules(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        rows = [
            s
            for s in self._schedules.values()
            if (workflow_id is None or s.workflow_id == workflow_id) and (status is None or s.status == status)
        ]
        rows.sort(key=lambda s: (s.created_at, s.id))
        return copy.deepcopy(rows)

    async def list_due_schedules(self, now: int, limit: int) -> list[Schedule]:
        due = [s for s in self._schedules.values() if s.status == "active" and s.next_fire_at <= now]
        due.sort(key=lambda s: (s.next_fire_at, s.id))
        return copy.deepcopy(due[: max(limit, 0)])

    async def next_schedule_fire_at(self) -> int | None:
        return min((s.next_fire_at for s in self._schedules.values() if s.status == "active"), default=None)

    async def update_schedule(self, schedule_id: str, changes: ScheduleChanges) -> Schedule | None:
        found = self._schedules.get(schedule_id)
        if found is None:
            return None
        updated = copy.deepcopy(found)
        apply_schedule_changes(updated, copy.deepcopy(changes), now_ms())
        self._schedules[schedule_id] = updated
        return copy.deepcopy(updated)

    async def claim_schedule_fire(
        self, schedule_id: str, expected_next_fire_at: int, next_fire_at: int, *, fired_at: int | None = None, run_id: str | None = None
    ) -> bool:
        found = self._schedules.get(schedule_id)
        if found is None or found.status != "active" or found.next_fire_at != expected_next_fire_at:
            return False
        found.next_fire_at = next_fire_at
        if fired_at is not None:
            found.last_fire_at, found.last_run_id = fired_at, run_id
        found.updated_at = now_ms()
        return True

    async def delete_schedule(self, schedule_id: str) -> bool:
        self._triggers = [t for t in self._triggers if t.schedule_id != schedule_id]
        return self._schedules.pop(schedule_id, None) is not None

    async def record_trigger(self, trigger: ScheduleTrigger) -> None:
        self._triggers.append(copy.deepcopy(trigger))

    async def list_triggers(
        self,
        schedule_id: str,
        *,
        from_fire_at: int | None = None,
        to_fire_at: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[ScheduleTrigger], int]:
        rows = [
            (seq, t)
            for seq, t in enumerate(self._triggers)
            if t.schedule_id == schedule_id
            and (from_fire_at is None or t.actual_fire_at >= from_fire_at)
            and (to_fire_at is None or t.actual_fire_at < to_fire_at)
        ]
        rows.sort(key=lambda pair: (pair[1].actual_fire_at, pair[0]), reverse=True)
        found = [t for _, t in rows]
        if page is not None and per_page is not None:
            found = found[max(page, 0) * max(per_page, 0) : (max(page, 0) + 1) * max(per_page, 0)]
        return copy.deepcopy(found), len(rows)

    @staticmethod
    def _copy(record: RunRecord, *, steps: bool = True) -> RunRecord:
        """A copy sharing nothing mutable with `record` but its step records (never changed
        once stored); field by field, with no constructor call (once per run and per read)."""
        new = _new_run_record(RunRecord)
        fields = new.__dict__
        fields.update(record.__dict__)
        for name in _RUN_JSON_FIELDS:
            value = fields[name]
            kind = type(value)
            if (kind is dict or kind is list) and not value:
                fields[name] = kind()  # most are empty
            elif value is not None and kind not in _ATOMS:
                fields[name] = _copied(value)
        fields["steps"] = dict(record.steps) if steps else {}
        return new
