"""`.foreach(step, concurrency=n)`: a fluid queue of items, ordered output.

Up to `concurrency` items run at once; a free slot takes the next item at once
(no batches). The first failure or suspension stops new items from starting
(those in flight finish). On resume, items that already succeeded are kept,
the targeted suspended items run with the resume data, other suspended items
stay suspended, and items that never started run too (Mastra drops them, #24581).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from .._serialize import serialize_error
from .._suspend_meta import META, meta_of, strip_meta
from ..events import STEP_RESULT, STEP_START, WorkflowEvent
from ..results import StepResult
from ..workflow.builder import Workflow, concurrency_value
from . import _intercept as intercept
from ._context import EngineStepContext
from ._state import Fenced, Target, _Attempt

if TYPE_CHECKING:
    from ..workflow.plan import ForeachNode
    from ._executor import LevelWalk


def _item_record(att: _Attempt) -> dict[str, Any]:
    if att.status == "success":
        return {"status": "success", "output": att.value}
    if att.status == "suspended":
        out: dict[str, Any] = {"status": "suspended", "payload": att.payload}
        if att.value is not None:
            out["suspendPayload"] = att.value
        return out
    if att.status == "failed":
        return {"status": "failed", "error": att.value}
    return {"status": att.status, "output": att.value}


async def run_foreach(ex: LevelWalk, node: ForeachNode, value: Any) -> tuple[str, Any]:  # noqa: C901 - one queue, kept together
    step = node.step
    key = step.id
    rs = ex.rs
    name = ex.prefix + key
    prev = ex.steps.get(key) if ex.replay else None
    if prev is not None and prev.status == "success":
        return "success", prev.output
    resuming = prev is not None and prev.status == "suspended"
    # A restart after a crash finds the items that finished before it (see `_ItemLog`).
    interrupted = prev is not None and prev.status == "running" and rs.restarting
    target: Target | None = ex.targets.get(key) if resuming else None
    items = prev.payload if (resuming or interrupted) and prev is not None else value
    started = prev.started_at if (resuming or interrupted) and prev is not None and prev.started_at else rs.host.now_ms()
    resumed_at = rs.host.now_ms() if target is not None else None
    resume_data = to_json(target.resume_data) if target is not None else None

    if not isinstance(items, (list, tuple)):
        error = TypeError(f"foreach step {name!r} in run {rs.run_id!r} needs an array input, got {type(items).__name__}")
        return await _failed_at_start(ex, key, items, started, error)
    items = list(items)
    try:
        concurrency = await resolve_concurrency(ex, node, items)
    except Exception as exc:
        return await _failed_at_start(ex, key, items, started, exc)
    total = len(items)
    kept = (
        "all"
        if resuming
        else "successes"
        if interrupted or (prev is not None and prev.status == "failed" and ex.time_travel is not None and ex.time_travel[0] == key)
        else None
    )
    outs, stored_json = _kept_entries(prev if kept else None, key, total, kept == "all")

    call_id = rs.host.new_call_id() if rs.emitting else ""
    if rs.emitting:
        start: dict[str, Any] = {
            "stepName": name,
            "id": name,
            "stepCallId": call_id,
            "payload": to_json(items),
            "startedAt": started,
            "status": "running",
        }
        if resumed_at is not None:
            start["resumePayload"] = resume_data
            start["resumedAt"] = resumed_at
        rs.emit(STEP_START, start)

    def wanted(i: int) -> bool:
        entry = outs[i]
        if entry is None:
            return True
        if entry.get("status") != "suspended" or target is None:
            return False
        return target.foreach_index is None or target.foreach_index == i

    queue = [i for i in range(total) if wanted(i)]
    completed = sum(1 for o in outs if o is not None and o.get("status") == "success")
    stop = False
    position = 0
    is_workflow = isinstance(step, Workflow)
    # Worth it when other items may still run after one finishes (not for a one-item resume).
    item_log = _ItemLog(ex, key, items, started, outs, stored_json) if rs.shared and len(queue) > 1 else None

    async def run_item(i: int) -> None:
        nonlocal completed, stop
        entry = outs[i]
        item_resume = target is not None and entry is not None and entry.get("status") == "suspended"
        intercept.item_started(ex, step, items[i], i)
        if is_workflow:
            assert isinstance(step, Workflow)
            sub_target = None
            if item_resume and target is not None and entry is not None:
                # The item's own nested path (from its stored suspend meta) when the caller named only the foreach.
                rest = list(target.rest)
                inner = entry.get("suspendPayload")
                inner_meta = meta_of(inner)
                if not rest and isinstance(inner_meta, dict):
                    rest = list(inner_meta.get("path") or [])
                sub_target = Target(rest, target.resume_data, None)
            att = await ex._run_nested(step, f"{key}[{i}]", items[i], sub_target, StepResult("suspended") if item_resume else None)
        else:
            att = await ex._attempts(
                step,
                key,
                items[i],
                target.resume_data if item_resume and target is not None else None,
                strip_meta(entry.get("suspendPayload")) if item_resume and entry is not None else None,
                0,
                None,
            )
        if att.state_updates and att.status in ("success", "suspended", "bailed"):
            rs.state.update(att.state_updates)
            rs.state_dirty = True
        intercept.item_ended(ex, key, i, att)
        record = _item_record(att)
        if att.status == "suspended" and att.labels:
            record["labels"] = {label: where.get("path") or [key] for label, where in att.labels.items()}
        outs[i] = record
        stored_json[i] = None
        if att.status != "suspended":
            completed += 1  # a failed, bailed or canceled item counts as completed (Mastra)
        if att.status != "success":
            stop = True
        # Mastra's iterationStatus values: success, suspended, failed (also for a bail or a cancel).
        progress = att.status if att.status in ("success", "suspended") else "failed"
        ex.emit_progress(key, completed, total, i, progress, att.value)
        if item_log is not None and att.status == "success" and not stop:
            await item_log.finished()

    def take() -> int | None:
        nonlocal position
        if stop or position >= len(queue) or rs.aborted:
            return None
        position += 1
        return queue[position - 1]

    async def worker(first: int | None) -> None:
        i = first
        while i is not None:
            await run_item(i)
            i = take()

    # Each slot takes its first item before any item runs, so `concurrency`
    # items are in flight at once even when they finish without awaiting.
    firsts = [take() for _ in range(min(concurrency, len(queue)))]
    if len(firsts) == 1:
        await worker(firsts[0])
    elif firsts:
        await asyncio.gather(*(worker(i) for i in firsts))

    common: dict[str, Any] = {
        "started_at": started,
        "resume_payload": resume_data,
        "resumed_at": resumed_at,
        "suspended_at": prev.suspended_at if resuming and prev is not None else None,
    }
    record, status, result = _final_record(key, items, outs, _serial(outs, stored_json), common, rs.aborted, rs.host.now_ms())
    if status == "failed":
        ex.error = result
    event: WorkflowEvent | None
    if status == "success" and rs.emitting:  # Mastra's foreach result carries its output, no payload (times kept)
        done = {"status": "success", "output": to_json(result), "startedAt": started, "endedAt": record.ended_at}
        event = rs.emit(STEP_RESULT, {"stepName": name, "id": name, "stepCallId": call_id, **done}, deliver=False)
    else:
        event = ex._record_event(name, call_id, record, status)
    await ex.save(key, record, event)
    if status == "suspended":
        ex._register_suspended(key, record.suspend_payload, record.suspend_payload[META]["resumeLabels"])
        return "suspended", None
    return status, result


def _kept_entries(
    prev: StepResult | None, key: str, total: int, keep_all: bool
) -> tuple[list[dict[str, Any] | None], list[dict[str, Any] | None]]:
    """The item entries an earlier execution stored: all of them on a resume (with the labels of
    items that stay suspended), only the successes on a restart after a crash or a time travel
    to a failed foreach. Also their stored JSON form, so they are not converted again."""
    outs: list[dict[str, Any] | None] = [None] * total
    stored_json: list[dict[str, Any] | None] = [None] * total
    meta = meta_of(prev.suspend_payload) if prev is not None else None
    if meta is None:
        return outs, stored_json
    for i, entry in enumerate((meta.get("foreachOutput") or [])[:total]):
        if isinstance(entry, dict) and (keep_all or entry.get("status") == "success"):
            outs[i] = dict(entry)
            stored_json[i] = entry
    if keep_all:
        # Labels of items that stay suspended must survive a resume of their siblings.
        for label, where in (meta.get("resumeLabels") or {}).items():
            at = where.get("foreachIndex") if isinstance(where, dict) else None
            entry = outs[at] if isinstance(at, int) and 0 <= at < total else None
            if entry is not None and entry.get("status") == "suspended":
                entry.setdefault("labels", {})[label] = where.get("path") or [key]
    return outs, stored_json


def _final_record(
    key: str,
    items: list[Any],
    outs: list[dict[str, Any] | None],
    serial: list[dict[str, Any] | None],
    common: dict[str, Any],
    aborted: bool,
    now: int,
) -> tuple[StepResult, str, Any]:
    """The foreach's record once its items settled: failed (first failure), bailed, canceled,
    suspended (with every item's entry, for the resume) or success (the outputs in order)."""
    statuses = [o.get("status") if o is not None else None for o in outs]
    failed = [i for i, s in enumerate(statuses) if s == "failed"]
    suspended = [i for i, s in enumerate(statuses) if s == "suspended"]
    bailed = [i for i, s in enumerate(statuses) if s == "bailed"]
    if failed:
        err = outs[failed[0]]["error"]  # type: ignore[index]
        record = StepResult("failed", items, error=err, ended_at=now, suspend_payload={META: {"foreachOutput": serial}}, **common)
        status, result = "failed", err
    elif bailed:
        value_out = outs[bailed[0]]["output"]  # type: ignore[index]
        record = StepResult("success", items, value_out, ended_at=now, **common)
        status, result = "bailed", value_out
    elif aborted and (suspended or None in statuses):
        record = StepResult("canceled", items, ended_at=now, **{k: v for k, v in common.items() if k == "started_at"})
        status, result = "canceled", None
    elif suspended:
        first = suspended[0]
        first_payload = outs[first].get("suspendPayload")  # type: ignore[union-attr]
        labels: dict[str, Any] = {}
        for i in suspended:
            for label, path in outs[i].get("labels", {}).items():  # type: ignore[union-attr]
                labels[label] = {"stepId": key, "foreachIndex": i, "path": path}
        data = dict(strip_meta(first_payload) or {}) if isinstance(first_payload, dict) or first_payload is None else {}
        data[META] = {"foreachIndex": first, "foreachOutput": serial, "resumeLabels": labels}
        inner_meta = meta_of(first_payload)
        if isinstance(inner_meta, dict) and inner_meta.get("path"):
            data[META]["path"] = inner_meta["path"]  # a nested workflow's suspended step: [foreach, ...inner]
        common["suspended_at"] = now
        record = StepResult("suspended", items, suspend_payload=data, **common)
        status, result = "suspended", None
    else:
        output = [o.get("output") if o is not None else None for o in outs]
        record = StepResult("success", items, output, ended_at=now, **common)
        status, result = "success", output
    return record, status, result


async def _failed_at_start(ex: LevelWalk, key: str, items: Any, started: int, error: Exception) -> tuple[str, Any]:
    """Records a foreach that failed before any item ran (no array, or its concurrency function raised)."""
    record = StepResult("failed", items, error=error, started_at=started, ended_at=ex.rs.host.now_ms())
    await ex.save(key, record, ex._record_event(ex.prefix + key, ex.rs.host.new_call_id(), record, "failed"))
    ex.error = error
    return "failed", error


async def resolve_concurrency(ex: LevelWalk, node: ForeachNode, items: list[Any]) -> int:
    """The foreach's concurrency: the int given, or what its function says for these items."""
    configured = node.concurrency
    if not callable(configured):
        return configured
    ctx = EngineStepContext(ex, None, node.step.id, items, retry_count=-1)
    value = await ex.rs.host.call(configured, ctx)
    resolved = concurrency_value(value)
    if ex.rs.interceptors:
        intercept.concurrency_resolved(ex, node, resolved)
    return resolved


class _ItemLog:
    """Persists finished items as they finish, so a crash re-runs only the items in flight.

    The foreach's record is written as `running` with the outputs of the items that
    succeeded so far (a restart keeps them). One write is in flight at a time; the next
    one takes every item that finished meanwhile, so a fast foreach batches its commits."""

    __slots__ = ("busy", "dirty", "ex", "full", "items", "outs", "started", "stored_json")

    def __init__(
        self,
        ex: LevelWalk,
        key: str,
        items: list[Any],
        started: int,
        outs: list[dict[str, Any] | None],
        stored_json: list[dict[str, Any] | None],
    ):
        self.ex = ex
        self.full = ex.prefix + key
        self.items = items
        self.started = started
        self.outs = outs
        self.stored_json = stored_json
        self.busy = False
        self.dirty = False

    async def finished(self) -> None:
        self.dirty = True
        if self.busy:
            return  # the write in flight is followed by one that takes this item
        self.busy = True
        rs = self.ex.rs
        try:
            while self.dirty:
                self.dirty = False
                done = [e if e is not None and e.get("status") == "success" else None for e in _serial(self.outs, self.stored_json)]
                record = StepResult("running", self.items, started_at=self.started, suspend_payload={META: {"foreachOutput": done}})
                if not await rs.host.save_step(self.full, record, rs.run_changes()):
                    raise Fenced
        finally:
            self.busy = False


def _serial(outs: list[dict[str, Any] | None], stored_json: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    """The entries in stored (JSON) form: those kept from storage as they were, the others converted."""
    return [kept if kept is not None else _serial_entry(entry) for entry, kept in zip(outs, stored_json, strict=True)]


def _serial_entry(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    out: dict[str, Any] = {}
    for k, v in entry.items():
        if k == "labels":
            continue
        out[k] = serialize_error(v) if k == "error" else to_json(v)
    return out
