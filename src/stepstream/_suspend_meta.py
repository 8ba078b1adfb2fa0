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

Readers of a run see payloads without it (`strip_meta`).
"""

from __future__ import annotations

from typing import Any

META = "__workflow_meta"


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
