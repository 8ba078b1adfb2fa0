"""`.foreach(step, concurrency=n)`: a fluid queue of items, ordered output.

Up to `concurrency` items run at once; a free slot takes the next item at once
(no batches). The first failure or suspension stops new items from starting
(those in flight finish). On resume, items that already succeeded are kept,
the targeted suspended items run with the resume data, other suspended items
stay suspended, and items that never started run too (Mastra drops them, #24581).

Where the storage keeps items in rows of their own (`_host.ItemHost`), the foreach's
record is stored thin: one status letter per item stands for the entries, and an
execution reads only the entries of the items it runs and writes only those it
changed, so resuming one of W suspended items costs the same whatever W is.
Elsewhere the record carries every item's entry (`foreachOutput`), as Mastra's does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._raw_json import RawJSON, unraw
from .._schema import to_json
from .._suspend_meta import META, THIN, meta_of, strip_meta, thin_of
from ..events import STEP_RESULT, STEP_START, STEP_SUSPENDED, WorkflowEvent
from ..results import StepResult
from ..workflow.builder import Workflow, concurrency_value
from . import _intercept as intercept
from ._context import EngineStepContext
from ._flow import together
from ._foreach_items import (
    SUCCESSES_ONLY,
    ItemLog,
    ThinView,
    earlier_view,
    entry_json,
    item_host,
    item_record,
    letter,
    positions,
    remember,
    thin_meta,
)
from ._nested import run_nested
from ._state import Fenced, Target, _Attempt

if TYPE_CHECKING:
    from ..workflow.plan import ForeachNode
    from ._executor import LevelWalk
    from ._host import ItemHost


async def run_foreach(ex: LevelWalk, node: ForeachNode, value: Any) -> tuple[str, Any]:
    """Runs (or resumes, or replays) one foreach node; returns (status, output | error | bail value)."""
    prev = ex.steps.get(node.step.id) if ex.replay else None
    if prev is not None and prev.status == "success":
        return "success", prev.output
    return await _Foreach(ex, node, prev).run(value)


class _Foreach:
    """One execution of a foreach node: what it keeps of an earlier execution, its queue,
    and its record."""

    def __init__(self, ex: LevelWalk, node: ForeachNode, prev: StepResult | None):
        rs = ex.rs
        host = rs.host
        self.ex, self.node, self.step, self.prev = ex, node, node.step, prev
        self.key = node.step.id
        self.name = ex.prefix + self.key
        self.resuming = prev is not None and prev.status == "suspended"
        # A restart after a crash finds the items that finished before it (see `ItemLog`).
        self.interrupted = prev is not None and prev.status == "running" and rs.restarting
        self.target: Target | None = ex.targets.get(self.key) if self.resuming else None
        carried = prev is not None and (self.resuming or self.interrupted)
        self.started = prev.started_at if carried and prev is not None and prev.started_at else host.now_ms()
        self.resumed_at = host.now_ms() if self.target is not None else None
        self.resume_data = to_json(self.target.resume_data) if self.target is not None else None
        self.store: ItemHost | None = item_host(ex)
        self.items: list[Any] | RawJSON = []
        #: entries of the items known here (kept from storage or run now), by index
        self.outs: dict[int, dict[str, Any]] = {}
        #: their stored JSON form, for those read from storage (not converted again)
        self.stored: dict[int, dict[str, Any]] = {}
        self.codes = bytearray()  # one status letter per item (`LETTERS`)
        self.labels: dict[int, dict[str, Any]] = {}  # resume labels of suspended items
        self.changed: set[int] = set()  # items whose entry is not stored yet
        self.replace = True  # the stored entries (if any) are dropped on the next write
        self.completed = 0
        self.stop = False
        self.queue: list[int] = []
        self.position = 0
        self.call_id = ""
        self.log: ItemLog | None = None
        self.first_payload: Any = None  # the first suspended item's suspend payload
        self.written: dict[int, Any] = {}  # entries this execution stored
        self.replaced = False  # ... after dropping every stored one

    # -- the run ----------------------------------------------------------------------------
    async def run(self, value: Any) -> tuple[str, Any]:
        prev = self.prev
        items = prev.payload if prev is not None and (self.resuming or self.interrupted) else value
        if type(items) is RawJSON and not items.is_array:
            items = items.value
        if not isinstance(items, (list, tuple, RawJSON)):
            error = TypeError(f"foreach step {self.name!r} in run {self.ex.rs.run_id!r} needs an array input, got {type(items).__name__}")
            return await self._failed_at_start(items, error)
        # The stored items as their text (a resume's thin read): only the items that run are parsed.
        self.items = items if isinstance(items, RawJSON) else list(items)
        if self.store is not None and len(self.items) < self.store.items_from and (prev is None or thin_of(prev.suspend_payload) is None):
            self.store = None  # a small foreach keeps its entries in its record (`Storage.items_from`)
        try:
            concurrency = await resolve_concurrency(self.ex, self.node, self.items)
        except Exception as exc:
            return await self._failed_at_start(unraw(self.items), exc)
        self._keep()
        self._emit_start()
        self.queue = self._queued()
        await self._load_queued()
        self.completed = self.codes.count(b"S")
        rs = self.ex.rs
        # Worth it when other items may still run after one finishes (not for a one-item resume).
        if rs.shared and len(self.queue) > 1:
            self.log = ItemLog(self)
        try:
            await self._drain(concurrency)
        finally:
            self.log = None  # it holds this foreach: no cycle left for the collector to find
        return await self._settle()

    def _kept_mode(self) -> str | None:
        """What an earlier execution left that this one keeps: all entries on a resume, the
        successes on a restart after a crash or a time travel to a failed foreach, or nothing."""
        ex, prev = self.ex, self.prev
        if self.resuming:
            return "all"
        failed_travel = prev is not None and prev.status == "failed" and ex.time_travel is not None and ex.time_travel[0] == self.key
        return "successes" if self.interrupted or failed_travel else None

    def _keep(self) -> None:
        """Takes the kept entries' letters (and labels) from the earlier record; a thin record's
        entries stay in storage until an item needs its own."""
        total = len(self.items)
        mode = self._kept_mode()
        meta = meta_of(self.prev.suspend_payload) if mode is not None and self.prev is not None else None
        self.codes = bytearray(b"." * total)
        if meta is None:
            return
        thin = meta.get(THIN)
        if isinstance(thin, dict) and self.store is not None:
            codes = str(thin.get("codes") or "").encode()[:total]
            self.codes[: len(codes)] = codes
            self.replace = False
        else:
            for i, entry in enumerate((meta.get("foreachOutput") or [])[:total]):
                if isinstance(entry, dict):
                    self.outs[i], self.stored[i] = dict(entry), entry
                    self.codes[i] = letter(entry.get("status"))
                    self.changed.add(i)  # a thin record takes them all, once
        if mode == "successes":
            self.codes = bytearray(bytes(self.codes).translate(SUCCESSES_ONLY))
            return
        # Labels of items that stay suspended must survive a resume of their siblings.
        for label, where in (meta.get("resumeLabels") or {}).items():
            at = where.get("foreachIndex") if isinstance(where, dict) else None
            if isinstance(at, int) and 0 <= at < total and self.codes[at] == ord("s"):
                self.labels.setdefault(at, {})[label] = where.get("path") or [self.key]

    def _queued(self) -> list[int]:
        """The items this execution runs, in order: those never run, and the targeted suspended ones."""
        codes = bytes(self.codes)
        queue = positions(codes, ord("."))
        target = self.target
        if target is not None:
            if target.foreach_index is None:
                queue += positions(codes, ord("s"))
            elif 0 <= target.foreach_index < len(codes) and codes[target.foreach_index] == ord("s"):
                queue.append(target.foreach_index)
        return sorted(queue)

    async def _load_queued(self) -> None:
        """Reads the stored entries the queued items need (a thin record's): a suspended item's
        suspend payload; with them, in the same read, the first item that stays suspended
        (the record shows its payload). An item found finished (stored just before a crash)
        is kept, not run."""
        if self.store is None or self.replace or not self.queue:
            return
        wanted = [i for i in self.queue if self.codes[i] == ord("s")] if not self.interrupted else list(self.queue)
        target = self.target
        if target is not None and target.foreach_index is not None:
            first = self.codes.find(b"s")
            if first == target.foreach_index:
                first = self.codes.find(b"s", first + 1)
            if first >= 0:
                wanted.append(first)
        if not wanted:
            return
        for i, entry in (await self.store.load_items(self.key, wanted)).items():
            if not isinstance(entry, dict):
                continue
            if entry.get("status") == "success":
                self.codes[i] = ord("S")
            elif self.codes[i] == ord("s"):
                self.outs[i], self.stored[i] = dict(entry), entry
        self.queue = [i for i in self.queue if self.codes[i] != ord("S")]

    def _emit_start(self) -> None:
        rs = self.ex.rs
        if not rs.emitting:
            return
        self.call_id = rs.host.new_call_id()
        items: Any = self.items
        if type(items) is RawJSON and (rs.sinks or rs._outbox):
            items = items.value  # a reader in this process gets the list (the log takes the text as it is)
        start: dict[str, Any] = {
            "stepName": self.name,
            "id": self.name,
            "stepCallId": self.call_id,
            "payload": items if self.resuming or self.interrupted else to_json(items),  # stored items are JSON
            "startedAt": self.started,
            "status": "running",
        }
        if self.resumed_at is not None:
            start["resumePayload"] = self.resume_data
            start["resumedAt"] = self.resumed_at
        rs.emit(STEP_START, start)

    # -- the queue --------------------------------------------------------------------------
    def _take(self) -> int | None:
        if self.stop or self.position >= len(self.queue) or self.ex.rs.aborted:
            return None
        self.position += 1
        return self.queue[self.position - 1]

    async def _worker(self, first: int | None) -> None:
        i = first
        while i is not None:
            await self._run_item(i)
            i = self._take()

    async def _drain(self, concurrency: int) -> None:
        # Each slot takes its first item before any item runs, so `concurrency`
        # items are in flight at once even when they finish without awaiting.
        firsts = [self._take() for _ in range(min(concurrency, len(self.queue)))]
        if len(firsts) == 1:
            await self._worker(firsts[0])
        elif firsts:
            await together(self._worker(i) for i in firsts)

    async def _attempt(self, i: int, entry: dict[str, Any] | None) -> _Attempt:
        """Runs item `i` (a resumed one with its resume data and stored suspend payload)."""
        ex, step, target = self.ex, self.step, self.target
        item_resume = target is not None and entry is not None and entry.get("status") == "suspended"
        suspend_payload = entry.get("suspendPayload") if entry is not None else None
        if isinstance(step, Workflow):
            sub_target = None
            if item_resume and target is not None:
                # The item's own nested path (from its stored suspend meta) when the caller named only the foreach.
                rest = list(target.rest)
                inner_meta = meta_of(suspend_payload)
                if not rest and isinstance(inner_meta, dict):
                    rest = list(inner_meta.get("path") or [])
                sub_target = Target(rest, target.resume_data, None)
            prev = StepResult("suspended") if item_resume else None
            return await run_nested(ex, step, f"{self.key}[{i}]", self.items[i], sub_target, prev)
        resume_data = target.resume_data if item_resume and target is not None else None
        suspend_data = strip_meta(suspend_payload) if item_resume else None
        return await ex._attempts(step, self.key, self.items[i], resume_data, suspend_data, 0, None)

    async def _run_item(self, i: int) -> None:
        ex = self.ex
        rs = ex.rs
        intercept.item_started(ex, self.step, self.items[i], i)
        att = await self._attempt(i, self.outs.get(i))
        if att.state_updates and att.status in ("success", "suspended", "bailed"):
            rs.state.update(att.state_updates)
            rs.state_dirty = True
        intercept.item_ended(ex, self.key, i, att)
        self.outs[i] = item_record(att)
        self.stored.pop(i, None)
        self.changed.add(i)
        self.codes[i] = letter(att.status)
        self.labels.pop(i, None)
        if att.status == "suspended" and att.labels:
            self.labels[i] = {label: where.get("path") or [self.key] for label, where in att.labels.items()}
        if att.status != "suspended":
            self.completed += 1  # a failed, bailed or canceled item counts as completed (Mastra)
        if att.status != "success":
            self.stop = True
        # Mastra's iterationStatus values: success, suspended, failed (also for a bail or a cancel).
        progress = att.status if att.status in ("success", "suspended") else "failed"
        ex.emit_progress(self.key, self.completed, len(self.items), i, progress, att.value)
        if self.log is not None and att.status == "success" and not self.stop:
            await self.log.finished(i)

    # -- entries ----------------------------------------------------------------------------
    def entry(self, i: int) -> dict[str, Any] | None:
        """Item `i`'s entry in stored (JSON) form, if known here."""
        kept = self.stored.get(i)
        return kept if kept is not None else entry_json(self.outs.get(i))

    def serial(self) -> list[dict[str, Any] | None]:
        """Every item's entry in stored form (all are known here: a record with them inline)."""
        return [self.entry(i) if self.codes[i] != ord(".") else None for i in range(len(self.items))]

    async def write_items(self, indexes: set[int]) -> None:
        """Stores the entries of `indexes` (all known ones, the first time after a fresh start)."""
        if self.store is None or (not indexes and not self.replace):
            return
        entries = {i: self.entry(i) for i in sorted(indexes) if i in self.outs or i in self.stored}
        if not await self.store.save_items(self.key, entries, self.replace):
            raise Fenced
        self.replaced = self.replaced or self.replace
        self.replace = False
        self.changed -= indexes
        self.written.update(entries)

    def meta_entries(self, codes: bytes | None = None) -> dict[str, Any]:
        """The meta that stands for the entries: thin (letters) or inline (`foreachOutput`)."""
        if self.store is not None:
            return {THIN: thin_meta(len(self.items), codes if codes is not None else bytes(self.codes))}
        serial = self.serial()
        if codes is not None:
            serial = [e if c == ord("S") else None for e, c in zip(serial, codes, strict=True)]
        return {"foreachOutput": serial}

    # -- the record -------------------------------------------------------------------------
    async def _settle(self) -> tuple[str, Any]:
        ex = self.ex
        rs = ex.rs
        common: dict[str, Any] = {
            "started_at": self.started,
            "resume_payload": self.resume_data,
            "resumed_at": self.resumed_at,
            "suspended_at": self.prev.suspended_at if self.resuming and self.prev is not None else None,
        }
        codes = bytes(self.codes)
        if self.store is not None and not any(codes.find(c) >= 0 for c in (b"F", b"B", b"s", b".")):
            await self._load_outputs()
        await self.write_items(set(self.changed))
        record, status, result = await self._final_record(codes, common, rs.host.now_ms())
        if status == "failed":
            ex.error = result
        await ex.save(self.key, record, await self._result_event(record, status, result))
        if status in ("suspended", "failed") and self.store is not None and not ex.prefix:
            self._show(record)
        if status == "suspended":
            payload = record.suspend_payload
            ex._register_suspended(self.key, payload, payload[META]["resumeLabels"])
            return "suspended", None
        return status, result

    def _show(self, record: StepResult) -> None:
        """The record as the run's result shows it, when this process knows every entry: all were
        stored here, or an earlier view showed the record this execution started from."""
        base = None if self.replaced else earlier_view(self.ex, self.key, self.prev)
        if self.replaced or base is not None:
            self.ex.steps[self.key] = remember(self.ex, self.key, ThinView.of(record, base=base, patch=self.written))

    async def _load_outputs(self) -> None:
        """Every item succeeded: the outputs of those kept in storage are read (once, at the end)."""
        missing = [i for i in range(len(self.items)) if i not in self.outs and i not in self.stored]
        if missing and self.store is not None:
            for i, entry in (await self.store.load_items(self.key)).items():
                if i in missing and isinstance(entry, dict):
                    self.stored[i] = entry
                    self.outs[i] = dict(entry)

    async def _first_suspended(self, first: int) -> Any:
        """The suspend payload of the first suspended item (read from storage if not known here)."""
        entry = self.outs.get(first)
        if entry is None and self.store is not None:
            loaded = (await self.store.load_items(self.key, [first])).get(first)
            entry = loaded if isinstance(loaded, dict) else None
        return entry.get("suspendPayload") if entry is not None else None

    async def _final_record(self, codes: bytes, common: dict[str, Any], now: int) -> tuple[StepResult, str, Any]:
        """The foreach's record once its items settled: failed (first failure), bailed, canceled,
        suspended (with what a resume needs) or success (the outputs in order)."""
        items = self.items
        failed, bailed, first = codes.find(b"F"), codes.find(b"B"), codes.find(b"s")
        if failed >= 0:
            err = self.outs[failed]["error"]
            payload = items if self.store is not None else unraw(items)  # a thin record keeps the text
            record = StepResult("failed", payload, error=err, ended_at=now, suspend_payload={META: self.meta_entries()}, **common)
            return record, "failed", err
        if bailed >= 0:
            value_out = self.outs[bailed]["output"]
            return StepResult("success", unraw(items), value_out, ended_at=now, **common), "bailed", value_out
        if self.ex.rs.aborted and (first >= 0 or codes.find(b".") >= 0):
            return StepResult("canceled", unraw(items), ended_at=now, started_at=self.started), "canceled", None
        if first >= 0:
            first_payload = await self._first_suspended(first)
            labels: dict[str, Any] = {}
            for i in sorted(self.labels):
                if codes[i] == ord("s"):
                    for label, path in self.labels[i].items():
                        labels[label] = {"stepId": self.key, "foreachIndex": i, "path": path}
            data = dict(strip_meta(first_payload) or {}) if isinstance(first_payload, dict) or first_payload is None else {}
            data[META] = {"foreachIndex": first, **self.meta_entries(), "resumeLabels": labels}
            inner_meta = meta_of(first_payload)
            if isinstance(inner_meta, dict) and inner_meta.get("path"):
                data[META]["path"] = inner_meta["path"]  # a nested workflow's suspended step: [foreach, ...inner]
            common["suspended_at"] = now
            self.first_payload = first_payload
            return _ready(StepResult("suspended", items, suspend_payload=data, **common)), "suspended", None
        output = [(self.outs.get(i) or {}).get("output") for i in range(len(items))]
        return _ready(StepResult("success", unraw(items), output, ended_at=now, **common)), "success", output

    async def _result_event(self, record: StepResult, status: str, result: Any) -> WorkflowEvent | None:
        """The foreach's closing event, held until its record is stored. As in Mastra: a success
        carries its output (no payload), a suspension the first suspended item's own payload."""
        ex = self.ex
        rs = ex.rs
        if not rs.emitting:
            return None
        head = {"stepName": self.name, "id": self.name, "stepCallId": self.call_id}
        if status == "success":
            done = {"status": "success", "output": to_json(result), "startedAt": self.started, "endedAt": record.ended_at}
            return rs.emit(STEP_RESULT, {**head, **done}, deliver=False)
        if status == "suspended":
            payload = self.first_payload
            suspended = {
                "status": "suspended",
                "suspendPayload": payload if payload is not None else {},
                "suspendedAt": record.suspended_at,
            }
            return rs.emit(STEP_SUSPENDED, {**head, **suspended}, deliver=False)
        if status == "failed" and self.store is not None:
            record = ThinView.of(record, patch=await self.store.load_items(self.key))
        return ex._record_event(self.name, self.call_id, record, status)

    async def _failed_at_start(self, items: Any, error: Exception) -> tuple[str, Any]:
        """Records a foreach that failed before any item ran (no array, or its concurrency function raised)."""
        ex = self.ex
        host = ex.rs.host
        record = StepResult("failed", items, error=error, started_at=self.started, ended_at=host.now_ms())
        await ex.save(self.key, record, ex._record_event(self.name, host.new_call_id(), record, "failed"))
        ex.error = error
        return "failed", error


def _ready(record: StepResult) -> StepResult:
    """The record, marked as holding JSON values only: the items, entries, outputs and resume
    data a foreach keeps are all in stored form (storage still converts anything that is not)."""
    record.json_ready = True
    return record


async def resolve_concurrency(ex: LevelWalk, node: ForeachNode, items: list[Any] | RawJSON) -> int:
    """The foreach's concurrency: the int given, or what its function says for these items."""
    configured = node.concurrency
    if not callable(configured):
        return configured
    ctx = EngineStepContext(ex, None, node.step.id, unraw(items), retry_count=-1)
    value = await ex.rs.host.call(configured, ctx)
    resolved = concurrency_value(value)
    if ex.rs.interceptors:
        intercept.concurrency_resolved(ex, node, resolved)
    return resolved
