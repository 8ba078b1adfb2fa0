"""In-memory storage: the default for workflows used outside a `Stepstream` app."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from ..errors import StorageError
from ..results import StepResult
from ._wake import Waiters
from .base import EventPage, LoggedEvent, RunChanges, RunRecord, Storage, now_ms


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


class InMemoryStorage(Storage):
    """Keeps runs in a dict. Step records and logged events are stored by reference:
    the engine never mutates them once saved, so no copy is needed on the hot path.
    Readers waiting for events are woken in-process."""

    shared = False

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], RunRecord] = {}
        self._events: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._waiters = Waiters()

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
    ) -> bool:
        run = self._runs.get((workflow_id, run_id))
        if run is None or (expected_owner is not None and run.owner != expected_owner):
            return False
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

    async def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | Collection[str] | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        resource_id: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[RunRecord], int]:
        statuses = {status} if isinstance(status, str) else (set(status) if status is not None else None)
        lo, hi = _ms(from_date), _ms(to_date)
        found = [
            r
            for r in self._runs.values()
            if (workflow_id is None or r.workflow_id == workflow_id)
            and (statuses is None or r.status in statuses)
            and (resource_id is None or r.resource_id == resource_id)
            and (lo is None or r.created_at >= lo)
            and (hi is None or r.created_at <= hi)
        ]
        found.sort(key=lambda r: r.created_at, reverse=True)
        total = len(found)
        if page is not None and per_page is not None:
            found = found[page * per_page : (page + 1) * per_page]
        return [self._copy(r, steps=False) for r in found], total

    async def delete_run(self, workflow_id: str, run_id: str) -> bool:
        self._events.pop((workflow_id, run_id), None)
        self._waiters.wake(workflow_id, run_id)
        return self._runs.pop((workflow_id, run_id), None) is not None

    # -- the event log -------------------------------------------------------------

    def _log(self, workflow_id: str, run_id: str, events: Sequence[LoggedEvent]) -> None:
        if not events:
            return
        log = self._events.setdefault((workflow_id, run_id), [])
        for i, event in enumerate(events):
            if event.offset != len(log) + i:
                raise StorageError(
                    f"event offset {event.offset} of run {run_id!r} of workflow {workflow_id!r} is taken or not next "
                    f"(the log holds {len(log)} events); nothing was written"
                )
        log.extend(event.data for event in events)
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
        return EventPage(run.status, [LoggedEvent(i, log[i]) for i in range(start, end)], len(log))

    async def wait_events(self, workflow_id: str, run_id: str, offset: int) -> None:
        key = (workflow_id, run_id)

        async def has_events() -> bool:
            return key in self._runs and len(self._events.get(key, ())) > offset

        await self._waiters.wait(key, has_events)

    @staticmethod
    def _copy(record: RunRecord, *, steps: bool = True) -> RunRecord:
        fields: dict[str, Any] = {
            name: copy.deepcopy(getattr(record, name))
            for name in ("state", "request_context", "suspended", "resume_labels", "tracing_context", "input", "result", "error")
        }
        return RunRecord(
            workflow_id=record.workflow_id,
            run_id=record.run_id,
            status=record.status,
            resource_id=record.resource_id,
            owner=record.owner,
            steps=dict(record.steps) if steps else {},
            created_at=record.created_at,
            updated_at=record.updated_at,
            **fields,
        )
