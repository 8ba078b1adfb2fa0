"""The suspend metadata format, in one place.

A suspended step's stored `suspendPayload` carries the engine's bookkeeping under
`__workflow_meta` (Mastra's key), beside the step's own payload:

- `path`: the suspended step below this one (a nested workflow: `[inner, ...]`);
- `paths`: every suspended step below it, when more than one is;
- `runId`: the run (a nested workflow's entry);
- `foreachIndex`, `foreachOutput`, `resumeLabels`: a foreach's first suspended item,
  every item's entry (`{status, output | payload, suspendPayload | error}`), and the
  labels of its suspended items. A foreach record still `running` (a crash mid-foreach)
  holds the `foreachOutput` of the items that finished.
- `foreachItems` (`{"n": W, "codes": one status letter per item}`): stands for
  `foreachOutput` in a foreach record stored *thin*, whose entries are rows of their own
  (`storage._items`); storage puts the entries back for every reader but the engine.

Readers of a run see payloads without it (`strip_meta`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

META = "__workflow_meta"
#: the meta key of a thin foreach record (its entries are stored apart)
THIN = "foreachItems"


def meta_of(payload: Any) -> dict[str, Any] | None:
    """The engine's metadata in a stored suspend payload, if it has any."""
    meta = payload.get(META) if isinstance(payload, dict) else None
    return meta if isinstance(meta, dict) else None


def strip_meta(payload: Any) -> Any:
    """A suspend payload without the engine's `__workflow_meta`."""
    if isinstance(payload, dict) and META in payload:
        return {k: v for k, v in payload.items() if k != META}
    return payload


def with_meta(data: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """`data` (a step's own suspend payload) carrying the engine's `meta`."""
    data[META] = meta
    return data


def thin_of(payload: Any) -> dict[str, Any] | None:
    """The `foreachItems` of a thin foreach record's suspend payload, if it is one."""
    meta = meta_of(payload)
    thin = meta.get(THIN) if meta is not None else None
    return thin if isinstance(thin, dict) else None


def with_entries(payload: dict[str, Any], entries: Mapping[int, Any]) -> dict[str, Any]:
    """A thin foreach record's suspend payload with its item entries back in `foreachOutput`
    (where `foreachItems` was). An item whose letter is `.` (never ran, or not kept) has none,
    unless its stored entry is a success: successes are stored before the record that
    counts them, and a stored success always belongs to the foreach's current pass."""
    meta: dict[str, Any] = {}
    for name, value in payload[META].items():
        if name == THIN:
            codes = str(value.get("codes") or "")
            meta["foreachOutput"] = [_shown(entries.get(i), codes[i : i + 1]) for i in range(int(value["n"]))]
        else:
            meta[name] = value
    return {**payload, META: meta}


def _shown(entry: Any, code: str) -> Any:
    if code not in ("", ".") or (isinstance(entry, dict) and entry.get("status") == "success"):
        return entry
    return None
