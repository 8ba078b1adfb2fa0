"""`RawJSON`: a JSON value kept as its stored text, passed on and written back as it is,
parsed only when someone reads it.

Resuming one item of a foreach over W items carries the foreach's whole input list: its
record's `payload`, the run's input, the `workflow-step-start` event's payload. Parsing
and re-encoding that list on every resume made each one cost O(W). The engine's thin
read of a run (`Storage.load_run_thin`) gives these values as `RawJSON`; the engine hands
them on, and the encoders of step records and event batches splice the text in unchanged
(`splice_json`). An array stored with its index (where each element ends, see
`array_json`) gives one element (`item`) without parsing the others.

Anything that needs the value itself (a reader of the run, `to_json`) gets it parsed.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Callable
from itertools import accumulate
from typing import Any

import pydantic_core

#: `json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
#: what stands for a RawJSON while the value around it is encoded (numbered by position): a
#: string no caller's data holds (it starts with NUL). Fixed, not drawn at random: this module
#: is also imported inside Temporal's workflow sandbox, which refuses randomness.
_MARK = "\x00stepstream-raw-value:"
_MARK_JSON = _encode(_MARK)[:-1]  # its encoded form, without the closing quote


def _index(ends: array[int]) -> bytes:
    """The stored form of an index: 32-bit little-endian ends."""
    if sys.byteorder == "big":  # pragma: no cover - no big-endian machine in CI
        ends = array("I", ends)
        ends.byteswap()
    return ends.tobytes()


def _ends(index: bytes) -> array[int]:
    ends = array("I")
    ends.frombytes(index)
    if sys.byteorder == "big":  # pragma: no cover
        ends.byteswap()
    return ends


class RawJSON:
    """A JSON value as its text (`text`), parsed once, when `value` is first read; an array
    may carry its `index` (each element's end in `text`, as 32-bit little-endian offsets).
    `origin` says where a storage read it from, so that writing it back there unchanged
    can be skipped; `alias`, where else that storage keeps the same text (it may then
    write a reference to it, see `splice_json`)."""

    __slots__ = ("_ends", "_parsed", "_value", "alias", "index", "origin", "text")

    def __init__(self, text: str, index: bytes | None = None, origin: Any = None, alias: Any = None):
        self.text = text
        self.index = index
        self.origin = origin
        self.alias = alias
        self._ends: array[int] | None = None
        self._parsed = False
        self._value: Any = None

    @property
    def value(self) -> Any:
        """The parsed value (parsed on first use; the same object after)."""
        if not self._parsed:
            self._value, self._parsed = json.loads(self.text), True
        return self._value

    @property
    def is_array(self) -> bool:
        return self.text[:1] == "["

    def __getitem__(self, key: Any) -> Any:
        """An element (`item`) of an array, or `value[key]`."""
        return self.item(key) if type(key) is int else self.value[key]

    def __eq__(self, other: object) -> bool:
        """Equal to what it stands for (another RawJSON compares by value too)."""
        return bool(self.value == unraw(other))

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        """How many elements an array has (from its index when it has one)."""
        ends = self._indexed()
        return len(ends) if ends is not None else len(self.value)

    def item(self, i: int) -> Any:
        """Element `i` of an array: parsed alone when the array has its index."""
        ends = self._indexed()
        if ends is None or self._parsed or not 0 <= i < len(ends):
            return self.value[i]
        start = ends[i - 1] + 1 if i else 1
        return json.loads(self.text[start : ends[i]])

    def _indexed(self) -> array[int] | None:
        """The index's ends, if the index fits the text (else the text is parsed)."""
        if self._ends is None and self.index is not None:
            ends = _ends(self.index)
            text = self.text
            fits = text[:1] == "[" and text[-1:] == "]" and (ends[-1] == len(text) - 1 if ends else text == "[]")
            self._ends = ends if fits else None
            self.index = self.index if fits else None
        return self._ends

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r}{'...' if len(self.text) > 60 else ''})"


def array_json(values: list[Any] | tuple[Any, ...], encode: Callable[[Any], str] = _encode) -> RawJSON:
    """A list of JSON values as its text with its index (`encode` gives one element's text)."""
    parts = [encode(v) for v in values]
    return RawJSON("[" + ",".join(parts) + "]", _index(array("I", accumulate(len(p) + 1 for p in parts))))


def unraw(value: Any) -> Any:
    """`value`, or the value a RawJSON stands for (parsed)."""
    return value.value if type(value) is RawJSON else value


def _marker(found: list[RawJSON], alias: Any = None, reference: str = "") -> Callable[[Any], Any]:
    def mark(obj: Any) -> Any:
        if type(obj) is RawJSON:
            if alias is not None and obj.alias == alias:
                return reference
            found.append(obj)
            return f"{_MARK}{len(found) - 1}"
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    return mark


def _spliced(text: str, found: list[RawJSON]) -> str:
    for n, raw in enumerate(found):
        text = text.replace(f'{_MARK_JSON}{n}"', raw.text, 1)
    return text


def splice_json(value: Any, alias: Any = None, reference: str = "") -> str:
    """Compact JSON text of `value` (dicts, lists and JSON scalars) with each RawJSON in it
    written as its text, or, for one whose `alias` is `alias`, as the string `reference`.
    pydantic-core encodes; NaN and infinities become null. Raises TypeError (or
    pydantic-core's error) for anything else it holds."""
    found: list[RawJSON] = []
    return _spliced(pydantic_core.to_json(value, fallback=_marker(found, alias, reference), inf_nan_mode="null").decode(), found)


def splice_dumps(value: Any) -> str:
    """`splice_json` with the stdlib encoder (strict JSON: NaN refused), as storage's `dumps` writes."""
    found: list[RawJSON] = []
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_marker(found))
    return _spliced(encoder.encode(value), found)
