"""Schedules declared on a workflow (`create_workflow(..., schedule=...)`), checked at definition.

Row ids follow Mastra: `wf_<workflowId>` for a single schedule and
`wf_<workflowId>__<id>` for the entries of a list, each part URL-encoded with
`_` escaped too, so no id can forge another's row. Imperative schedules get
`schedule_<slug of the given id>` or `schedule_<uuid>`.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Required, TypedDict
from urllib.parse import quote

from .._schema import Schema, to_json
from ..errors import ScheduleError, ValidationError
from .cron import check_cron

DECLARED_PREFIX = "wf_"
IMPERATIVE_PREFIX = "schedule_"


class ScheduleConfig(TypedDict, total=False):
    """One declared schedule: `cron` (5, 6 or 7 fields), `timezone` (IANA), the run's
    `input_data`, `initial_state` and `request_context`, `metadata`, `catch_up`
    (`"skip"` or `"latest"`), and `id` (required on every entry of a list)."""

    cron: Required[str]
    timezone: str
    input_data: Any
    initial_state: Any
    request_context: Mapping[str, Any]
    metadata: Mapping[str, Any]
    catch_up: Literal["skip", "latest"]
    id: str


_KEYS = frozenset(ScheduleConfig.__annotations__)


@dataclass(frozen=True)
class DeclaredSchedule:
    """A checked declaration and the id of the row it owns."""

    row_id: str
    key: str | None
    cron: str
    timezone: str | None = None
    input_data: Any = None
    initial_state: Any = None
    request_context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    catch_up: Literal["skip", "latest"] | None = None


def _encode(part: str) -> str:
    """encodeURIComponent, with `_` escaped as well (Mastra's row-id encoding)."""
    return quote(part, safe="!~*'()").replace("_", "%5F")


def declared_row_id(workflow_id: str, key: str | None = None) -> str:
    """`wf_<workflowId>` or `wf_<workflowId>__<id>`, parts encoded."""
    base = DECLARED_PREFIX + _encode(workflow_id)
    return base if key is None else f"{base}__{_encode(key)}"


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by `-` (accents dropped, other characters removed)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def imperative_id(given: str | None) -> str:
    """`schedule_<slug>` for a given id (prefix optional), else `schedule_<uuid>`."""
    if given is None:
        return IMPERATIVE_PREFIX + str(uuid.uuid4())
    trimmed = given.strip()
    slug = slugify(trimmed.removeprefix(IMPERATIVE_PREFIX))
    if not slug:
        raise ScheduleError(f"Schedule id {given!r} is empty after normalization; use at least one letter or digit", "id")
    return IMPERATIVE_PREFIX + slug


def check_inputs(where: str, input_schema: Schema, state_schema: Schema | None, input_data: Any, initial_state: Any) -> Any:
    """The JSON form of a schedule's input (validated); ScheduleError naming the field.

    A missing input starts runs with `{}`, as in Mastra."""
    try:
        input_schema.validate({} if input_data is None else input_data, f"{where}: invalid input_data")
        if state_schema is not None and initial_state is not None:
            state_schema.validate(initial_state, f"{where}: invalid initial_state")
    except ValidationError as exc:
        field = "initial_state" if "invalid initial_state" in str(exc) else "input_data"
        raise ScheduleError(str(exc), field) from exc
    return to_json(input_data)


def as_mapping(where: str, name: str, value: Any) -> dict[str, Any] | None:
    """A mapping field as a JSON dict (None stays None); ScheduleError if not a mapping."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScheduleError(f"{where}: field {name!r} must be a mapping, got {type(value).__name__}", name)
    return dict(to_json(dict(value)))


def check_catch_up(where: str, value: Any) -> Literal["skip", "latest"] | None:
    """A valid `catch_up` value or None; ScheduleError otherwise."""
    if value is None or value in ("skip", "latest"):
        return value  # type: ignore[no-any-return]
    raise ScheduleError(f"{where}: field 'catch_up' must be 'skip' or 'latest', got {value!r}", "catch_up")


def _entry(workflow_id: str, cfg: Any, key: str | None, row_id: str, schemas: tuple[Schema, Schema | None]) -> DeclaredSchedule:
    where = f"Workflow {workflow_id!r} schedule {row_id!r}"
    if not isinstance(cfg, Mapping):
        raise ScheduleError(f"{where}: a schedule is a mapping with a 'cron' key, got {type(cfg).__name__}", "schedule")
    unknown = set(cfg) - _KEYS
    if unknown:
        raise ScheduleError(f"{where}: unknown fields {sorted(unknown)}; known: {sorted(_KEYS)}", sorted(unknown)[0])
    if "cron" not in cfg:
        raise ScheduleError(f"{where}: field 'cron' is required", "cron")
    timezone = cfg.get("timezone")
    try:
        check_cron(cfg["cron"], timezone)
    except ScheduleError as exc:
        raise ScheduleError(f"{where}: field {exc.field!r}: {exc}", exc.field) from None
    return DeclaredSchedule(
        row_id=row_id,
        key=key,
        cron=cfg["cron"],
        timezone=timezone,
        input_data=check_inputs(where, schemas[0], schemas[1], cfg.get("input_data"), cfg.get("initial_state")),
        initial_state=to_json(cfg.get("initial_state")),
        request_context=as_mapping(where, "request_context", cfg.get("request_context")),
        metadata=as_mapping(where, "metadata", cfg.get("metadata")),
        catch_up=check_catch_up(where, cfg.get("catch_up")),
    )


def declared_schedules(
    workflow_id: str, schedule: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, input_schema: Schema, state_schema: Schema | None
) -> tuple[DeclaredSchedule, ...]:
    """Checks a workflow's `schedule=` argument; ScheduleError naming the schedule and field."""
    if schedule is None:
        return ()
    schemas = (input_schema, state_schema)
    if isinstance(schedule, Mapping):
        key = schedule.get("id")
        return (_entry(workflow_id, schedule, key, declared_row_id(workflow_id, key), schemas),)
    if not isinstance(schedule, Sequence) or isinstance(schedule, str):
        raise ScheduleError(f"Workflow {workflow_id!r}: schedule must be a mapping or a list of mappings", "schedule")
    out: list[DeclaredSchedule] = []
    for i, cfg in enumerate(schedule):
        key = cfg.get("id") if isinstance(cfg, Mapping) else None
        if not isinstance(key, str) or not key:
            raise ScheduleError(f"Workflow {workflow_id!r} schedule #{i}: field 'id' is required on every entry of a list", "id")
        if any(d.key == key for d in out):
            raise ScheduleError(f"Workflow {workflow_id!r} schedule #{i}: id {key!r} is used twice", "id")
        out.append(_entry(workflow_id, cfg, key, declared_row_id(workflow_id, key), schemas))
    return tuple(out)
