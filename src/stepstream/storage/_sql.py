"""What the SQL backends share: the column layout and the JSON codec.

Run-level JSON fields go in one column each, so `update_run` and `save_step`
write only the fields that changed, and a step record is one row: the bytes
written for a step never depend on how many steps the run already has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pydantic_core

from .._raw_json import RawJSON, array_json, splice_dumps, splice_json
from .._schema import to_json
from .._serialize import finite
from .._suspend_meta import thin_of
from ..errors import StorageError
from ..results import StepResult
from .base import RUN_FIELDS, LoggedEvent, RunChanges, RunRecord

RUNS = "stepstream_runs"
STEPS = "stepstream_steps"
EVENTS = "stepstream_events"

#: Run-level fields stored as JSON text (SQL NULL for None).
JSON_FIELDS: tuple[str, ...] = (
    "input",
    "state",
    "request_context",
    "result",
    "error",
    "suspended",
    "resume_labels",
    "tracing_context",
)
#: Every column of the runs table, in the order `record_row` and `row_record` use.
RUN_COLUMNS: tuple[str, ...] = ("workflow_id", "run_id", "status", "resource_id", *JSON_FIELDS, "created_at", "updated_at", "owner")
#: Run fields stored as plain text columns.
TEXT_FIELDS = frozenset({"status", "resource_id", "owner"})

_ALLOWED = frozenset(RUN_FIELDS)


def _encode(value: Any) -> str:
    """Compact JSON text of JSON data and the values pydantic-core knows (dates, models, ...),
    non-finite floats as null: what the fallbacks of `dumps` make of them, by pydantic-core's
    encoder, several times faster than `json`'s on the small dicts a run writes. Anything
    else (an unknown object, a `RawJSON`, a lone surrogate) raises ValueError."""
    return pydantic_core.to_json(value, inf_nan_mode="null").decode()


def dumps(value: Any, what: str) -> str | None:
    """Compact JSON text of a value, or None for None.

    Plain JSON values take the fast path; anything else (models, dates, NaN, ...)
    goes through `to_json` first. Raises StorageError naming `what` if it cannot.
    """
    if value is None:
        return None
    try:
        return _encode(value)
    except (TypeError, ValueError):
        pass
    try:
        return splice_dumps(value)  # a RawJSON in it is written as its text
    except (TypeError, ValueError):
        pass
    try:
        return _encode(finite(to_json(value)))
    except Exception as exc:
        raise StorageError(f"cannot store {what} as JSON: {exc}") from exc


def loads(text: str | None) -> Any:
    """The value of a JSON column (None for SQL NULL)."""
    return None if text is None else json.loads(text)


def step_json(key: str, record: StepResult) -> str:
    """The stored JSON of a step record."""
    try:
        data = record.to_dict()
    except Exception as exc:
        raise StorageError(f"cannot store step record {key!r} as JSON: {exc}") from exc
    return dumps(data, f"step record {key!r}") or "null"


def step_from_json(text: str) -> StepResult:
    """A step record back from its stored JSON."""
    return StepResult.from_dict(json.loads(text))


def thin_parts(key: str, record: StepResult, origin: Any = None) -> tuple[str, RawJSON | None] | None:
    """A thin foreach record stored with its payload (the items) apart: the record's JSON
    without it, and the payload to store (with its index, `_raw_json.array_json`), or None
    when it is stored already (a `RawJSON` read from `origin`, unchanged). None for any other record."""
    payload = record.payload
    if not isinstance(payload, list | RawJSON) or thin_of(record.suspend_payload) is None:
        return None
    try:
        text = step_json(key, record.copy(payload=None, json_ready=record.json_ready))
        if type(payload) is RawJSON and payload.index is not None:
            return text, (None if origin is not None and payload.origin == origin else payload)
        return text, array_json(to_json(payload), lambda v: dumps(v, f"an item of step record {key!r}") or "null")
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(f"cannot store step record {key!r} as JSON: {exc}") from exc


def encode_changes(changes: RunChanges) -> list[tuple[str, Any]]:
    """`(column, value)` pairs for run-level changes, JSON fields as text."""
    out: list[tuple[str, Any]] = []
    for name, value in changes.items():
        if name not in _ALLOWED:
            raise StorageError(f"unknown run field {name!r}; expected one of {', '.join(RUN_FIELDS)}")
        out.append((name, value if name in TEXT_FIELDS else dumps(value, f"run field {name!r}")))
    return out


def record_row(record: RunRecord) -> tuple[Any, ...]:
    """A run's values in RUN_COLUMNS order."""
    return (
        record.workflow_id,
        record.run_id,
        record.status,
        record.resource_id,
        *(dumps(getattr(record, name), f"run field {name!r}") for name in JSON_FIELDS),
        record.created_at,
        record.updated_at,
        record.owner,
    )


def row_record(row: Iterable[Any], steps: dict[str, StepResult] | None = None, raw: bool = False) -> RunRecord:
    """A RunRecord from a row in RUN_COLUMNS order (JSON fields as text); with `raw`, the
    input as `RawJSON`, parsed only if read (the engine's thin read)."""
    values = dict(zip(RUN_COLUMNS, row, strict=True))
    for name in JSON_FIELDS:
        text = values[name]
        values[name] = RawJSON(text) if raw and name == "input" and text is not None else loads(text)
    return RunRecord(steps=steps if steps is not None else {}, **values)


def event_batch(run_id: str, events: Sequence[LoggedEvent]) -> tuple[int, int, str]:
    """`(seq, next_seq, json)` of the one row that stores a write's events: the first
    offset, the offset after the last, and the events' wire JSON as one array.

    The events are JSON values already (`to_dict()` output), so pydantic-core's encoder
    (Rust, several times faster than `json.dumps` on these nested dicts) takes them;
    anything it cannot encode goes through `dumps`."""
    first = events[0].offset
    for i, event in enumerate(events):
        if event.offset != first + i:
            raise StorageError(f"events of run {run_id!r} must have consecutive offsets; got {[e.offset for e in events]}")
    data = [e.data for e in events]
    try:
        text = splice_json(data)  # a RawJSON in an event (a foreach's items) is written as its text
    except (pydantic_core.PydanticSerializationError, TypeError, ValueError, UnicodeError):
        text = dumps(data, f"events {first}.. of run {run_id!r}") or "[]"
    return first, first + len(events), text


def batch_events(seq: int, events: list[Any], offset: int) -> list[LoggedEvent]:
    """The events of a stored batch (first offset `seq`) from `offset` on."""
    return [LoggedEvent(seq + i, data) for i, data in enumerate(events) if seq + i >= offset]
