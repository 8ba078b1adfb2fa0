"""Attribute values and `tracing_options` for the OpenTelemetry spans (no span logic here)."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.util.types import AttributeValue

from .. import tracing as T
from ..interceptors import Entry, StartExecutionInput

log = logging.getLogger("stepstream")

Attrs = dict[str, AttributeValue]

_ALIASES = {
    "traceId": "trace_id",
    "parentSpanId": "parent_span_id",
    "requestContextKeys": "request_context_keys",
    "hideInput": "hide_input",
    "hideOutput": "hide_output",
}
_KNOWN = frozenset(T.TracingOptions.__annotations__)
_HEX = re.compile(r"[0-9a-fA-F]+")


def where(run: StartExecutionInput) -> str:
    """The run, for log messages."""
    return f"run {run.run_id!r} of workflow {run.workflow_id!r}"


def options(run: StartExecutionInput) -> dict[str, Any]:
    """The known `tracing_options` under their snake_case names; unknown ones are logged and dropped."""
    out: dict[str, Any] = {}
    for key, value in run.tracing_options.items():
        name = _ALIASES.get(key, key)
        if name not in _KNOWN:
            log.warning("stepstream tracing: ignoring unknown tracing option %r for %s; known: %s", key, where(run), sorted(_KNOWN))
            continue
        out[name] = value
    return out


def parse_id(value: Any, width: int) -> int | None:
    """The id as an int if `value` is 1-`width` hex characters and not all zeros."""
    if isinstance(value, str) and 0 < len(value) <= width and _HEX.fullmatch(value):
        return int(value, 16) or None
    return None


def checked_id(opts: Mapping[str, Any], key: str, width: int, run: StartExecutionInput) -> int | None:
    """`parse_id` of an option; an invalid id is logged and ignored."""
    value = opts.get(key)
    if value is None:
        return None
    parsed = parse_id(value, width)
    if parsed is None:
        log.warning(
            "stepstream tracing: ignoring invalid %s %r for %s: expected 1-%d hex characters, not all zero; the run goes on",
            key,
            value,
            where(run),
            width,
        )
    return parsed


def remote(trace_id: int, span_id: int) -> SpanContext:
    """A sampled remote span context."""
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))


def random_span_id() -> int:
    return random.getrandbits(64) or 1


def random_trace_id() -> int:
    return random.getrandbits(128) or 1


# -- attribute values --------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """`json.dumps` fallback for what is not JSON yet (user-given options): models, dates, the rest as str."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return iso()
    return str(value)


def to_text(value: Any) -> str:
    """A value as JSON text (the engine hands JSON data; anything else is converted)."""
    try:
        return json.dumps(value, default=_plain, ensure_ascii=False)
    except Exception:
        return repr(value)


def attr(value: Any) -> AttributeValue:
    """An attribute value: primitives and homogeneous lists as they are, anything else as JSON."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and value:
        kind = type(value[0])
        if kind in (str, bool, int, float) and all(type(v) is kind for v in value):
            return list(value)
    return to_text(value)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def entry_attrs(entry: Entry, attrs: Attrs) -> None:
    """The authored identity of a control-flow entry, as Mastra's entryId/entryDescription/entryMetadata."""
    if entry.id and entry.id.strip():
        attrs[T.ENTRY_ID] = entry.id.strip()
    if entry.description and entry.description.strip():
        attrs[T.ENTRY_DESCRIPTION] = entry.description.strip()
    if entry.metadata is not None:
        attrs[T.ENTRY_METADATA] = to_text(entry.metadata)


def _context_value(rc: Mapping[str, Any], path: str) -> Any:
    """A request-context value: the key itself first, else a dotted path into nested mappings."""
    if path in rc:
        return rc.get(path)
    value: Any = rc
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def user_attributes(opts: Mapping[str, Any], run: StartExecutionInput, attrs: Attrs) -> None:
    """`tags`, `metadata` and `request_context_keys` on the run span."""
    tags = opts.get("tags")
    if tags is not None:
        if isinstance(tags, str):
            tags = [tags]
        if isinstance(tags, Sequence):
            attrs[T.TAGS] = [str(t) for t in tags]
        else:
            log.warning("stepstream tracing: ignoring tags %r for %s: expected a list of strings", tags, where(run))
    metadata = opts.get("metadata")
    if metadata is not None:
        if isinstance(metadata, Mapping):
            for key, value in metadata.items():
                attrs[T.METADATA_PREFIX + str(key)] = attr(value)
        else:
            log.warning("stepstream tracing: ignoring metadata %r for %s: expected a mapping", metadata, where(run))
    keys = opts.get("request_context_keys")
    if isinstance(keys, str):
        keys = [keys]
    if keys is not None and not isinstance(keys, Sequence):
        log.warning("stepstream tracing: ignoring request_context_keys %r for %s: expected a list of keys", keys, where(run))
    elif keys:
        for path in keys:
            value = _context_value(run.request_context, str(path))
            if value is not None:
                attrs[T.REQUEST_CONTEXT_PREFIX + str(path)] = attr(value)
