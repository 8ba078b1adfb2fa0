"""A nested workflow as a step: a child walk whose record keys and event ids carry the `outer.` prefix.

A suspended child becomes one suspended record at the parent level; its metadata
(`_suspend_meta`) carries the path to every suspended step inside and their labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._schema import to_json
from .._suspend_meta import META, strip_meta
from ..errors import ValidationError
from ..results import StepResult
from ..workflow.builder import Workflow
from ._attempt import IN_CODE, IN_FAILED
from ._state import Target, _Attempt

if TYPE_CHECKING:
    from ._executor import LevelWalk


async def run_nested(ex: LevelWalk, wf: Workflow, key: str, value: Any, target: Target | None, prev: StepResult | None) -> _Attempt:
    payload = value
    if ex.workflow.validate_inputs:
        try:
            payload = wf._in.validate(value, IN_FAILED, code=IN_CODE)
            if wf._rc is not None:
                ex._check_request_context(wf)
        except ValidationError as exc:
            return _Attempt("failed", exc, value)
    replay = ex.replay
    travel = ex.time_travel
    child_travel = None
    if travel is not None and travel[0] == key and travel[2]:
        child_travel = (travel[2][0], travel[1], travel[2][1:])
        replay = True
    base = key.split("[", 1)[0]  # a foreach item `each[2]` sits at path `each`
    child = type(ex)(  # the child level walks with the parent's own `LevelWalk` class
        ex.rs,
        wf,
        ex.prefix + key + ".",
        payload,
        replay=replay,
        targets=target.child() if target is not None else None,
        time_travel=child_travel,
        path=[*ex.path, base],
    )
    status, out = await child.run(to_json(payload))
    payload = to_json(payload)
    if status in ("success", "bailed"):
        return _Attempt("success", out, payload)
    if status == "suspended":
        first = child.suspended[0]
        inner = child.suspend_payloads.get(first[0])
        meta: dict[str, Any] = {"runId": ex.rs.run_id, "path": first}
        if len(child.suspended) > 1:
            meta["paths"] = child.suspended  # every suspended step inside, not only the first
        if isinstance(inner, dict) and META in inner:
            meta.update({k: v for k, v in inner[META].items() if k not in ("path", "paths", "runId")})
        data = dict(strip_meta(inner) or {}) if isinstance(inner, dict) or inner is None else {"value": inner}
        data[META] = meta
        labels = {
            label: {**where, "stepId": base, "path": [base, *(where.get("path") or [where.get("stepId")])]}
            for label, where in child.labels.items()
        }
        return _Attempt("suspended", data, payload, None, labels)
    if status == "failed":
        return _Attempt("failed", child.error, payload)
    return _Attempt("canceled", None, payload)
