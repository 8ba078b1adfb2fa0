"""`RequestContext`: per-run values (user, tenant, keys) that steps read and change.

It is persisted with the run, so values set before a suspension are there after
the resume, even in another process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from pydantic_core import PydanticSerializationError, to_jsonable_python

from .errors import ValidationError


class RequestContext(MutableMapping[str, Any]):
    """A mutable mapping with Mastra's `get/set/has/delete/keys` methods."""

    __slots__ = ("_data", "_version")

    def __init__(self, data: Mapping[str, Any] | None = None):
        self._data: dict[str, Any] = dict(data) if data else {}
        self._version = 0

    def set(self, key: str, value: Any) -> None:
        """Sets a value."""
        self._data[key] = value
        self._version += 1

    def has(self, key: str) -> bool:
        """True when the key is set."""
        return key in self._data

    def delete(self, key: str) -> bool:
        """Removes a key; True if it was there."""
        existed = key in self._data
        self._data.pop(key, None)
        self._version += 1
        return existed

    def get_path(self, path: str) -> Any:
        """The value at a dotted path (`user.id`), or None."""
        value: Any = self._data
        for part in path.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                return None
        return value

    @property
    def all(self) -> dict[str, Any]:
        """A plain dict of every value."""
        return dict(self._data)

    def stored(self) -> dict[str, Any]:
        """What storage keeps of the values: those that are JSON data, in JSON form. A value that
        is not (a database client, a function: what a request context injects) is left out, so a
        resume in another process finds it missing rather than as its `repr`, and gets it again
        from its caller; Mastra's `toJSON` skips non-serializable values the same way."""
        data = self._data
        if not data:
            return {}
        kept: dict[str, Any] = {}
        for key, value in data.items():
            try:
                kept[key] = to_jsonable_python(value)
            except (PydanticSerializationError, ValueError, TypeError, RecursionError):
                continue
        return kept

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self._data:
            raise KeyError(key)
        self.delete(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RequestContext({self._data!r})"


def as_request_context(value: Mapping[str, Any] | RequestContext | None) -> RequestContext:
    """A `RequestContext` from a plain dict (or the same object)."""
    if value is None:
        return RequestContext()  # most runs: no ABC check (`MutableMapping`'s isinstance is Python code)
    if isinstance(value, RequestContext):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"request_context must be a mapping of names to values (a dict or a RequestContext), not {type(value).__name__!r}",
            [("request_context", "not a mapping")],
        )
    return RequestContext(value)
