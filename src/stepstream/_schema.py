"""Schemas: a pydantic model, any type `TypeAdapter` accepts, or None (anything goes).

One `Schema` per type is cached, so validating on the hot path costs one call
into pydantic-core and no lookups beyond an attribute read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pydantic
from pydantic import BaseModel, TypeAdapter
from pydantic_core import to_jsonable_python

from .errors import ValidationError


class Schema:
    """A validator and dumper for one type."""

    __slots__ = ("adapter", "is_any", "model", "type")

    def __init__(self, tp: Any):
        self.type = tp
        self.is_any = tp is None or tp is Any or tp is object
        self.model: type[BaseModel] | None = tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
        self.adapter: TypeAdapter[Any] | None = None if self.is_any else TypeAdapter(tp)

    def validate(self, value: Any, prefix: str, *, code: str | None = None) -> Any:
        """Returns the validated value; raises `ValidationError` naming each bad field."""
        if self.adapter is None:
            return value
        if self.model is not None and type(value) is self.model:
            return value
        try:
            return self.adapter.validate_python(value, from_attributes=True)
        except pydantic.ValidationError as exc:
            # Model instances inside the value (a previous step's output) do not fit a dict or
            # TypedDict schema, while their JSON form, which is what a reloaded run carries, does.
            data = to_json(value)
            if data == value:
                raise validation_error(prefix, exc, code=code) from exc
            try:
                return self.adapter.validate_python(data)
            except pydantic.ValidationError as json_exc:
                raise validation_error(prefix, json_exc, code=code) from json_exc

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the type (`{}` for anything)."""
        return {} if self.adapter is None else self.adapter.json_schema()


@lru_cache(maxsize=1024)
def _cached(tp: Any) -> Schema:
    return Schema(tp)


ANY = Schema(None)


def schema_for(tp: Any) -> Schema:
    """The cached `Schema` of a type (unhashable types get a fresh one)."""
    if tp is None:
        return ANY
    try:
        return _cached(tp)
    except TypeError:
        return Schema(tp)


def issues_of(exc: pydantic.ValidationError) -> list[tuple[str, str]]:
    """`(dotted.path, message)` for each error in a pydantic ValidationError."""
    return [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]


def validation_error(prefix: str, exc: pydantic.ValidationError, *, code: str | None = None) -> ValidationError:
    """Mastra's layout: the prefix line, then `- path: reason` for each issue."""
    issues = issues_of(exc)
    lines = "\n".join(f"- {path}: {msg}" for path, msg in issues)
    return ValidationError(f"{prefix}: \n{lines}", issues, code=code)


def to_json(value: Any) -> Any:
    """The JSON form of a value (models dumped, dates as ISO strings)."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    return to_jsonable_python(value, serialize_unknown=True)
