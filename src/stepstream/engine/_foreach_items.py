"""A foreach's item entries: their status letters, their stored form, the log that
persists finished items as they finish, and the result's view of a thin record."""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .._raw_json import RawJSON
from .._schema import to_json
from .._serialize import serialize_error
from .._suspend_meta import META, thin_of, with_entries
from ..results import StepResult
from ._state import Fenced, _Attempt

if TYPE_CHECKING:
    from ._executor import LevelWalk
    from ._foreach import _Foreach
    from ._host import ItemHost

#: one letter per item in a thin record: never ran (or not kept), success, suspended,
#: failed, bailed, canceled, anything else
LETTERS = b".SsFBCX"
_LETTER = {"success": "S", "suspended": "s", "failed": "F", "bailed": "B", "canceled": "C"}


def letter(status: Any) -> int:
    """The letter (a byte) of an item's status."""
    return ord(_LETTER.get(status, "X")) if status is not None else ord(".")


def positions(codes: bytes, byte: int) -> list[int]:
    """The indexes of `byte` in `codes` (scanned in C, not item by item)."""
    out: list[int] = []
    at = codes.find(byte)
    while at >= 0:
        out.append(at)
        at = codes.find(byte, at + 1)
    return out


def thin_meta(total: int, codes: bytes) -> dict[str, Any]:
    """`foreachItems`: what stands for a thin record's entries."""
    return {"n": total, "codes": codes.decode()}


def item_host(ex: LevelWalk) -> ItemHost | None:
    """The execution's host, if its storage keeps a foreach's items in rows of their own."""
    host = ex.rs.host
    return cast("ItemHost", host) if getattr(host, "keeps_items", False) else None


def item_record(att: _Attempt) -> dict[str, Any]:
    """An item's entry from its attempt (live values; `entry_json` stores it)."""
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


def entry_json(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item's entry in stored (JSON) form."""
    if entry is None:
        return None
    out: dict[str, Any] = {}
    for k, v in entry.items():
        out[k] = serialize_error(v) if k == "error" else to_json(v)
    return out


class ItemLog:
    """Persists finished items as they finish, so a crash re-runs only the items in flight.

    The foreach's record is written as `running` with the items that succeeded so far (a
    restart keeps them): their entries inline; or, thin, each new entry in its own row
    (after one `running` record), since a stored success always counts (`with_entries`). One write is in flight at a time; the next one takes every item
    that finished meanwhile, so a fast foreach batches its commits."""

    __slots__ = ("busy", "dirty", "each", "recorded")

    def __init__(self, each: _Foreach):
        self.each = each
        self.busy = False
        self.dirty: set[int] = set()
        self.recorded = False  # thin: the `running` record is written once, the items' rows then suffice

    async def finished(self, i: int) -> None:
        self.dirty.add(i)
        if self.busy:
            return  # the write in flight is followed by one that takes this item
        self.busy = True
        each = self.each
        rs = each.ex.rs
        try:
            while self.dirty:
                done, self.dirty = self.dirty, set()
                await each.write_items(done)
                if self.recorded:
                    continue
                self.recorded = each.store is not None
                successes = bytes(each.codes).translate(SUCCESSES_ONLY)
                meta = each.meta_entries(successes)
                record = StepResult("running", each.items, started_at=each.started, suspend_payload={META: meta})
                if not await rs.host.save_step(each.name, record, rs.run_changes()):
                    raise Fenced
        finally:
            self.busy = False


SUCCESSES_ONLY = bytes.maketrans(LETTERS.replace(b"S", b""), b"." * (len(LETTERS) - 1))


class ThinView(StepResult):
    """A thin foreach record as a run's result shows it: every item's entry back in
    `foreachOutput`, built when first looked at from the stored entries (one JSON text
    read after the foreach settled) or, when this process showed the same foreach before
    and nobody changed it since, from that view's entries and the items this execution
    changed (`VIEWS`): then nothing is read at all."""

    __slots__ = ("__weakref__", "_known", "_map", "_patch", "_raw", "thin")

    thin: Any  # the record's thin suspend payload, as stored
    _raw: str | None  # the stored entries' JSON text (`{"0": entry, ...}`), not parsed yet
    _known: dict[int, Any] | None  # entries an earlier view built (shared, never changed)
    _patch: dict[int, Any]  # entries changed since `_raw` / `_known`
    _map: dict[int, Any] | None  # every entry, once built

    @classmethod
    def of(
        cls, record: StepResult, *, raw: str | None = None, base: ThinView | None = None, patch: dict[int, Any] | None = None
    ) -> ThinView:
        view = cls.__new__(cls)
        view._map = None
        view.thin = None
        for name in StepResult.__slots__:
            setattr(view, name, getattr(record, name))
        view.thin = record.suspend_payload
        view._raw, view._known, view._patch = raw, None, dict(patch or {})
        if base is not None:
            if base._map is not None:
                view._known = base._map
            elif base._raw is None and base._known is None:
                view._known = base._patch  # every entry (stored here): shared, not copied
            else:
                view._raw, view._known, view._patch = base._raw, base._known, {**base._patch, **view._patch}
        return view

    def shows(self, record: StepResult) -> bool:
        """True when `record` (as stored) is the record this view was built from."""
        return self.thin == record.suspend_payload and self.suspended_at == record.suspended_at

    def entries(self) -> dict[int, Any]:
        if self._map is None:
            built = {int(i): e for i, e in json.loads(self._raw).items()} if self._raw is not None else dict(self._known or {})
            built.update(self._patch)
            self._map, self._raw, self._known, self._patch = built, None, None, {}
        return self._map

    @property
    def suspend_payload(self) -> Any:
        raw = _PAYLOAD.__get__(self)
        if self.thin is not None and raw is self.thin:
            raw = with_entries(raw, self.entries())
            _PAYLOAD.__set__(self, raw)
        return raw

    @suspend_payload.setter
    def suspend_payload(self, value: Any) -> None:
        _PAYLOAD.__set__(self, value)

    @property
    def payload(self) -> Any:
        """The items, parsed when first looked at (a resume carries them as their text, `RawJSON`)."""
        items = _ITEMS.__get__(self)
        if type(items) is RawJSON:
            items = items.value
            _ITEMS.__set__(self, items)
        return items

    @payload.setter
    def payload(self, value: Any) -> None:
        _ITEMS.__set__(self, value)


_PAYLOAD = StepResult.__dict__["suspend_payload"]
_ITEMS = StepResult.__dict__["payload"]

#: the last view of each thin foreach this process showed, by (workflow id, run id, key)
VIEWS: weakref.WeakValueDictionary[tuple[str, str, str], ThinView] = weakref.WeakValueDictionary()


def views_of(steps: Mapping[str, StepResult]) -> tuple[ThinView, ...]:
    """The thin foreach views a run's result shows. The run keeps them (`Run._views`), so that
    `VIEWS`, whose hold is weak, still has them for the run's next execution in this process
    (which then reads no entries), and keeps nothing else of the result: the rest of it (its
    input, every item's record) is freed when the caller drops it, not by that next call."""
    return tuple(r for r in steps.values() if isinstance(r, ThinView))


def earlier_view(ex: LevelWalk, key: str, record: StepResult | None) -> ThinView | None:
    """The view this process last showed of the foreach at `key`, if `record` (the stored
    record an execution started from) is still what it showed."""
    view = VIEWS.get((ex.rs.workflow_id, ex.rs.run_id, ex.prefix + key))
    return view if view is not None and record is not None and view.shows(record) else None


def remember(ex: LevelWalk, key: str, view: ThinView) -> ThinView:
    VIEWS[(ex.rs.workflow_id, ex.rs.run_id, ex.prefix + key)] = view
    return view


async def show_items(ex: LevelWalk) -> None:
    """The walk's top-level thin foreach records, as the run's result shows them (`ThinView`)."""
    host = item_host(ex)
    if host is None:
        return
    for key, record in list(ex.steps.items()):
        if not isinstance(record, ThinView) and thin_of(record.suspend_payload) is not None:
            base = earlier_view(ex, key, record)
            raw = None if base is not None else await host.load_items_json(ex.prefix + key)
            ex.steps[key] = remember(ex, key, ThinView.of(record, raw=raw, base=base))
