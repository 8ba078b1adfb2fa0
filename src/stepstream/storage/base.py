"""The storage protocol: what the engine needs from a backend, and nothing more.

A run is one row of run-level fields plus one record per step. The engine
writes a step record when the step settles (`save_step`) and changes run-level
fields with `update_run`, which is a compare-and-set when `expected_status` is
given: that is how exactly one of several concurrent resumes wins. No call
rewrites the whole run, so the bytes written for a step do not grow with the
length of the run.

Fencing: every execution claims the run with a fresh `owner` token and passes
`expected_owner` on each write. A write whose token no longer matches (another
process restarted or canceled the run) changes nothing and reports False, so a
stale executor can never overwrite the run's new owner.

Keys of step records are step ids, and for steps inside nested workflows the
dotted path (`outer.inner`, `outer[2].inner` inside a foreach).

The event log: every event of a run, as its wire JSON (`event.to_dict()`),
numbered from 0. The engine numbers the events (one execution owns the run at a
time) and hands them to the write that follows them (`save_step`, `update_run`,
or `append_events` when no write comes soon), so a step's events cost no commit
of their own; the events of a write are kept only if the write is. Readers take
`read_events` pages (the events from an offset and the run's status, from one
snapshot) and `wait_events` for more. Deleting a run deletes its events.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ..errors import StorageError
from ..events import EMPTY_USAGE, STEP_RESULT, STEP_START, STEP_SUSPENDED, WORKFLOW_FINISH
from ..results import StepResult
from ..run_query import RunQuery
from ..types import RunStatus
from ._schedule_records import CatchUp as CatchUp
from ._schedule_records import Schedule as Schedule
from ._schedule_records import ScheduleChanges as ScheduleChanges
from ._schedule_records import ScheduleStatus as ScheduleStatus
from ._schedule_records import ScheduleTrigger as ScheduleTrigger
from ._schedule_records import TriggerKind as TriggerKind
from ._schedule_records import TriggerOutcome as TriggerOutcome


def now_ms() -> int:
    """The current time in Unix epoch milliseconds."""
    return int(time.time() * 1000)


#: the default of `Storage.list_runs`: every run
ALL_RUNS = RunQuery()


class RunChanges(TypedDict, total=False):
    """Run-level fields that `update_run` and `save_step` may change."""

    status: RunStatus
    input: Any
    state: dict[str, Any]
    request_context: dict[str, Any]
    result: Any
    error: dict[str, Any] | None
    suspended: list[list[str]]
    resume_labels: dict[str, Any]
    tracing_context: dict[str, Any] | None
    resource_id: str | None
    owner: str | None


RUN_FIELDS: tuple[str, ...] = (
    "status",
    "input",
    "state",
    "request_context",
    "result",
    "error",
    "suspended",
    "resume_labels",
    "tracing_context",
    "resource_id",
    "owner",
)


@dataclass
class RunRecord:
    """A stored run: run-level fields and its step records, in first-write order."""

    workflow_id: str
    run_id: str
    status: RunStatus = "pending"
    resource_id: str | None = None
    input: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    request_context: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    error: dict[str, Any] | None = None
    suspended: list[list[str]] = field(default_factory=list)
    resume_labels: dict[str, Any] = field(default_factory=dict)
    tracing_context: dict[str, Any] | None = None
    steps: dict[str, StepResult] = field(default_factory=dict)
    created_at: int = field(default_factory=now_ms)
    updated_at: int = field(default_factory=now_ms)
    owner: str | None = None

    def apply(self, changes: RunChanges) -> None:
        """Applies run-level changes in place (a plain dataclass: its fields are its `__dict__`)."""
        self.__dict__.update(changes)


class LoggedEvent:
    """One entry of a run's event log: its offset (from 0) and the event's wire JSON (`data`).

    It unpacks as `offset, data`. The engine may hand a backend a subclass that builds
    `data` only when it is read (a step's events, when no reader in this process waits
    for them): building and keeping three dicts per event was most of a step's cost in
    memory. A backend reads `offset` and `data`, or `compact(run_id)` for a shorter form."""

    __slots__ = ("_data", "offset")

    def __init__(self, offset: int, data: dict[str, Any]):
        self.offset = offset
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        """The event's wire JSON: `{"type", "runId", "from", "payload"}` for the engine's events."""
        return self._data

    def compact(self, run_id: str) -> Any:
        """The event without what its run repeats: `[type, payload]` (`[type, payload, from]`
        when `from` is not "WORKFLOW") for an event of the engine's shape in run `run_id`,
        else its whole `data`. `expand` turns it back, key for key in the same order."""
        data = self.data
        if data.get("runId") == run_id and len(data) == 4 and tuple(data) == _WIRE:
            source = data["from"]
            if source != "WORKFLOW":
                return [data["type"], data["payload"], source]
            if data["type"] == WORKFLOW_FINISH:
                return _compact_finish(data["payload"]) or [WORKFLOW_FINISH, data["payload"]]
            return [data["type"], data["payload"]]
        return data

    def __iter__(self) -> Iterator[Any]:
        return iter((self.offset, self.data))

    def __getitem__(self, index: int) -> Any:
        return (self.offset, self.data)[index]

    def __len__(self) -> int:
        return 2

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LoggedEvent | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LoggedEvent(offset={self.offset!r}, data={self.data!r})"


_WIRE = ("type", "runId", "from", "payload")


#: `LoggedEvent.compact` forms of a step's start and result events (`engine._step_events`):
#: `[STEP_STARTED, name, stepCallId, payload, startedAt]` and `[STEP_SETTLED, name,
#: stepCallId, record, bailed]` (`record`: the step record's JSON), and of the run's
#: `workflow-finish`: `[RUN_FINISHED, workflowStatus, usage, finalWorkflowResult]` (the
#: last left out when the payload has none; `usage` 0 when it is `EMPTY_USAGE`). The
#: payload's fixed keys are not stored; `expand` puts them back, key for key in the engine's order.
STEP_STARTED, STEP_SETTLED, RUN_FINISHED = 0, 1, 2
_FINISH_KEYS = ("workflowStatus", "output", "metadata")
_EMPTY_USAGE_KEYS = tuple(EMPTY_USAGE)


def _compact_finish(payload: Any) -> list[Any] | None:
    """The short form of a `workflow-finish` payload of the engine's shape, else None."""
    if type(payload) is not dict or tuple(payload)[:3] != _FINISH_KEYS or len(payload) > 4:
        return None
    output, metadata = payload["output"], payload["metadata"]
    if type(metadata) is not dict or metadata or type(output) is not dict or len(output) != 1 or "usage" not in output:
        return None
    usage = output["usage"]
    if type(usage) is not dict:
        return None
    short = 0 if usage == EMPTY_USAGE and tuple(usage) == _EMPTY_USAGE_KEYS else usage
    if len(payload) == 3:
        return [RUN_FINISHED, payload["workflowStatus"], short]
    if "finalWorkflowResult" not in payload:
        return None
    return [RUN_FINISHED, payload["workflowStatus"], short, payload["finalWorkflowResult"]]


def expand(run_id: str, item: Any) -> dict[str, Any]:
    """An event's wire JSON from its `LoggedEvent.compact` form."""
    if type(item) is list:
        head = item[0]
        if type(head) is int:
            return _expand_step(run_id, item)
        return {"type": head, "runId": run_id, "from": item[2] if len(item) > 2 else "WORKFLOW", "payload": item[1]}
    return item  # type: ignore[no-any-return]


def _expand_step(run_id: str, item: list[Any]) -> dict[str, Any]:
    """A step's start or result event, or the run's finish, from its compact form (see `STEP_STARTED`)."""
    if item[0] == RUN_FINISHED:
        usage = item[2]
        finished = {"workflowStatus": item[1], "output": {"usage": dict(EMPTY_USAGE) if usage == 0 else usage}, "metadata": {}}
        if len(item) > 3:
            finished["finalWorkflowResult"] = item[3]
        return {"type": WORKFLOW_FINISH, "runId": run_id, "from": "WORKFLOW", "payload": finished}
    name, call_id = item[1], item[2]
    if item[0] == STEP_STARTED:
        payload = {"stepName": name, "id": name, "stepCallId": call_id, "payload": item[3], "startedAt": item[4], "status": "running"}
        return {"type": STEP_START, "runId": run_id, "from": "WORKFLOW", "payload": payload}
    payload = item[3]
    kind = STEP_SUSPENDED if payload.get("status") == "suspended" else STEP_RESULT
    payload["stepName"] = name
    payload["id"] = name
    payload["stepCallId"] = call_id
    if item[4]:
        payload["status"] = "bailed"
    return {"type": kind, "runId": run_id, "from": "WORKFLOW", "payload": payload}


@dataclass(frozen=True, slots=True)
class EventPage:
    """What `read_events` saw in one snapshot: the run's status, the events from the
    asked offset on (in order), and the offset the next appended event will get."""

    status: RunStatus
    events: list[LoggedEvent]
    next_offset: int


#: Statuses of a run that may still append events (a reader of its log waits for more).
LIVE_STATUSES: frozenset[str] = frozenset({"pending", "running", "waiting"})


class Storage(ABC):
    """Async storage of runs. Backends must make each call atomic."""

    #: True when `update_run(expected_status=...)` is a real compare-and-set across processes.
    supports_concurrent_updates: bool = True
    #: True when other processes can read the runs (then a slow step is also recorded as `running`).
    shared: bool = True
    #: False for a backend that keeps no event log: the engine then builds events only for
    #: in-process readers (`stream`, `watch`), and `observe_stream` cannot be used.
    keeps_events: bool = True
    #: True when `save_step` takes `create=`: on a `shared` backend the engine then inserts a
    #: fresh run with its first step write (one commit less per run), not on its own before the walk.
    folds_claim: bool = False
    #: True when the backend implements the schedule methods below.
    supports_schedules: bool = False
    #: True when the backend implements the payload methods below.
    supports_payloads: bool = False
    #: True when the backend keeps a foreach's item entries in rows of their own
    #: (`load_run_thin`, `load_items`, `save_items`; see `_items`): then resuming one item
    #: reads and writes that item's row and the foreach's record, not every item's entry.
    supports_items: bool = False
    #: The fewest items for which a foreach's entries go in rows of their own (with
    #: `supports_items`): a smaller foreach keeps them inline in its record, one write
    #: instead of two, where a round trip costs more than rewriting a few dozen entries.
    items_from: int = 0
    #: True when `save_step_now` does what `save_step` does, at once (no I/O, nothing awaited):
    #: the engine then writes a step record with no await, lock or task switch.
    immediate: bool = False

    async def setup(self) -> None:  # noqa: B027 - optional hook
        """Prepares the backend (connects, runs migrations). Idempotent."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Releases connections."""

    @abstractmethod
    async def create_run(self, record: RunRecord) -> bool:
        """Inserts a run (its step records too) unless one with its ids exists; False if it did."""

    @abstractmethod
    async def load_run(self, workflow_id: str, run_id: str) -> RunRecord | None:
        """The run with all its step records, or None."""

    async def load_run_thin(self, workflow_id: str, run_id: str) -> RunRecord | None:
        """`load_run`, except that foreach records stored thin (`supports_items`) come without
        their item entries: the engine reads those it needs with `load_items`. A backend may
        give the run's input and a thin record's payload as `RawJSON` (their stored text,
        parsed when read: SQLite does), which the engine hands back to it unparsed."""
        return await self.load_run(workflow_id, run_id)

    async def load_items(self, workflow_id: str, run_id: str, key: str, indexes: Collection[int] | None = None) -> dict[int, Any]:
        """The stored entries of a foreach's items by index (those of `indexes` only, if given)."""
        raise StorageError(f"{type(self).__name__} does not store foreach items")

    async def load_items_json(self, workflow_id: str, run_id: str, key: str) -> str:
        """Every stored entry of a foreach's items as one JSON object text keyed by index
        (`{"0": entry, ...}`): read in one piece, parsed only if someone looks."""
        entries = await self.load_items(workflow_id, run_id, key)
        return json.dumps({str(i): e for i, e in entries.items()})

    async def save_items(
        self,
        workflow_id: str,
        run_id: str,
        key: str,
        entries: Mapping[int, Any],
        *,
        replace: bool = False,
        expected_owner: str | None = None,
    ) -> bool:
        """Upserts item entries of a foreach (after dropping all its stored ones, with `replace`);
        False, writing nothing, when the run does not exist or is owned by someone else."""
        raise StorageError(f"{type(self).__name__} does not store foreach items")

    @abstractmethod
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
        """Changes run-level fields; with `expected_status`, only if the status is one of them,
        and with `expected_owner`, only if the run's owner is that token. `events` are
        appended to the run's log in the same transaction.

        Returns False, writing nothing, when the run does not exist or a condition did not match.
        """

    @abstractmethod
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
        """Upserts one step record, and run-level `changes` and log `events` in the same transaction.

        Returns False, writing nothing, when the run does not exist or (with
        `expected_owner`) is owned by someone else. With `create` (backends with
        `folds_claim`), the run is inserted from it in the same transaction first; if a
        run with its ids exists already, nothing is written and False is returned.
        """

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
        """`save_step`, done before returning; only called when `immediate` is True
        (positionally on the engine's hot path)."""
        raise NotImplementedError(f"{type(self).__name__} writes only with `await save_step(...)`")

    @abstractmethod
    async def delete_steps(self, workflow_id: str, run_id: str, keys: Collection[str]) -> None:
        """Removes step records (time travel resets the steps it re-runs)."""

    @abstractmethod
    async def list_runs(self, query: RunQuery = ALL_RUNS) -> tuple[list[RunRecord], int]:
        """Runs newest first (without step records) and the total matching `query`.

        Pagination applies when both `query.page` (0-based) and `query.per_page` are given.
        """

    @abstractmethod
    async def delete_run(self, workflow_id: str, run_id: str) -> bool:
        """Deletes a run and its steps; False if there was none."""

    # -- the event log -------------------------------------------------------------

    @abstractmethod
    async def append_events(
        self, workflow_id: str, run_id: str, events: Sequence[LoggedEvent], *, expected_owner: str | None = None
    ) -> bool:
        """Appends events to the run's log in one transaction (the caller numbers them).

        Returns False, writing nothing, when the run does not exist or (with
        `expected_owner`) is owned by someone else.
        """

    @abstractmethod
    async def read_events(self, workflow_id: str, run_id: str, offset: int = 0, limit: int | None = None) -> EventPage | None:
        """The run's events from `offset` on (at most `limit` of them) with its status, or None
        if there is no such run."""

    @abstractmethod
    async def wait_events(self, workflow_id: str, run_id: str, offset: int) -> None:
        """Returns once the run's log holds an event at `offset` or later. Sees appends made
        through this instance at once, and those of other processes sharing the storage.
        It does not return for a run that appends nothing more (settled, deleted): bound
        the wait with `asyncio.timeout()` and re-read the run's status."""

    # -- payloads ----------------------------------------------------------------------
    # Large values that travel by reference: stepstream.temporal keeps Temporal payloads
    # over its size threshold here (Temporal caps one at 2 MB). Content-addressed blobs,
    # an optional capability (`supports_payloads`); the defaults refuse, naming the backend.

    def _no_payloads(self) -> StorageError:
        return StorageError(f"{type(self).__name__} does not store payloads; use InMemoryStorage, SQLiteStorage or PostgresStorage")

    async def save_payload(self, digest: str, data: bytes) -> None:
        """Stores `data` under `digest`, the caller's content hash of it; if that digest is
        stored already, writes nothing."""
        raise self._no_payloads()

    async def load_payload(self, digest: str) -> bytes | None:
        """The payload stored under `digest`, or None."""
        raise self._no_payloads()

    async def delete_payloads(self, created_before: int) -> int:
        """Deletes payloads stored before `created_before` (ms since the epoch); returns how many."""
        raise self._no_payloads()

    # -- schedules -------------------------------------------------------------------------
    # Cron schedules and their audit trail (see stepstream.schedules): an optional
    # capability (`supports_schedules`). Each fire is claimed by `claim_schedule_fire`,
    # a compare-and-set on the next fire time. The defaults refuse, naming the backend.

    def _no_schedules(self) -> StorageError:
        return StorageError(f"{type(self).__name__} does not store schedules; use InMemoryStorage, SQLiteStorage or PostgresStorage")

    async def create_schedule(self, schedule: Schedule) -> bool:
        """Inserts a schedule unless one with its id exists; False if it did."""
        raise self._no_schedules()

    async def load_schedule(self, schedule_id: str) -> Schedule | None:
        """The schedule with this id, or None."""
        raise self._no_schedules()

    async def list_schedules(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        """Schedules, oldest first, optionally of one workflow and with one status."""
        raise self._no_schedules()

    async def list_due_schedules(self, now: int, limit: int) -> list[Schedule]:
        """At most `limit` active schedules whose next fire time is at or before `now`, earliest first."""
        raise self._no_schedules()

    async def next_schedule_fire_at(self) -> int | None:
        """The earliest next fire time of any active schedule, or None."""
        raise self._no_schedules()

    async def update_schedule(self, schedule_id: str, changes: ScheduleChanges) -> Schedule | None:
        """Applies `changes` (and a new `updated_at`) atomically; the updated schedule, or None if missing."""
        raise self._no_schedules()

    async def claim_schedule_fire(
        self, schedule_id: str, expected_next_fire_at: int, next_fire_at: int, *, fired_at: int | None = None, run_id: str | None = None
    ) -> bool:
        """Compare-and-set: moves an active schedule's next fire time from `expected_next_fire_at`
        to `next_fire_at` (and sets its last fire time and run id when `fired_at` is given).

        Returns False, changing nothing, when the schedule is missing, paused, or its next fire
        time is no longer `expected_next_fire_at`: another process claimed that slot.
        """
        raise self._no_schedules()

    async def delete_schedule(self, schedule_id: str) -> bool:
        """Deletes a schedule and its triggers; False if there was none."""
        raise self._no_schedules()

    async def record_trigger(self, trigger: ScheduleTrigger) -> None:
        """Appends a row to a schedule's audit trail."""
        raise self._no_schedules()

    async def list_triggers(
        self,
        schedule_id: str,
        *,
        from_fire_at: int | None = None,
        to_fire_at: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[ScheduleTrigger], int]:
        """A schedule's triggers newest first (by actual fire time, then insertion) and the total.

        `from_fire_at` is inclusive and `to_fire_at` exclusive, on the actual fire time;
        pagination applies when both `page` (0-based) and `per_page` are given.
        """
        raise self._no_schedules()
