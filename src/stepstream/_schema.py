"""Schemas: a pydantic model, any type `TypeAdapter` accepts, or None (anything goes).

One `Schema` per type is cached, so validating on the hot path costs one call
into pydantic-core and no lookups beyond an attribute read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pydantic
from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError, SchemaValidator, to_jsonable_python
from pydantic_core import to_json as _to_json_bytes

from ._raw_json import RawJSON
from .errors import ValidationError


class Schema:
    """A validator and dumper for one type."""

    __slots__ = ("_core", "adapter", "is_any", "model", "plain", "type")

    def __init__(self, tp: Any):
        self.type = tp
        self.is_any = tp is None or tp is Any or tp is object
        self.model: type[BaseModel] | None = tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
        self.adapter: TypeAdapter[Any] | None = None if self.is_any else TypeAdapter(tp)
        #: pydantic-core's validator once built (skips TypeAdapter's Python wrapper on the hot path)
        self._core: SchemaValidator | None = None
        #: a model whose JSON form round-trips (`round_trips`): validating the dump of one of
        #: its validated instances and dumping again gives the same JSON
        self.plain = self.model is not None and round_trips(self.model)

    def validate(self, value: Any, prefix: str, *, code: str | None = None) -> Any:
        """Returns the validated value; raises `ValidationError` naming each bad field."""
        if self.adapter is None:
            return value
        if self.model is not None and type(value) is self.model:
            return value
        if type(value) is dict:
            # JSON data (what travels between steps): reading attributes cannot matter, so the
            # core validator alone; anything it refuses takes the full path below.
            core = self._core
            if core is None:
                found = self.adapter.validator
                core = self._core = found if type(found) is SchemaValidator else None
            if core is not None:
                try:
                    return core.validate_python(value)
                except pydantic.ValidationError:
                    pass
        try:
            return self.adapter.validate_python(value, from_attributes=True)
        except pydantic.ValidationError as exc:
            # Model instances inside the value (a previous step's output) do not fit a dict or
            # TypedDict schema, while their JSON form, which is what a reloaded run carries, does.
            try:
                data = to_json(value)
            except (ValueError, RecursionError):  # too deep for JSON (past 254 levels): refused as it is
                raise validation_error(prefix, exc, code=code) from exc
            if data == value:
                raise validation_error(prefix, exc, code=code) from exc
            try:
                return self.adapter.validate_python(data)
            except pydantic.ValidationError as json_exc:
                raise validation_error(prefix, json_exc, code=code) from json_exc

    def dump(self, value: Any) -> Any:
        """`to_json` of a value this schema validated: a model of exactly the schema's type is
        dumped by its own serializer (what `to_json` does, without working out how: about half
        the cost), anything else, or a model holding what that serializer refuses, by `to_json`."""
        model = self.model
        if model is not None and type(value) is model:
            try:
                return model.__pydantic_serializer__.to_python(value, mode="json", by_alias=True)
            except (PydanticSerializationError, ValueError, RecursionError):
                pass
        return to_json(value)

    def storable(self, value: Any, what: str, *args: Any) -> Any:
        """`storable` of a value this schema validated, a model of exactly the schema's type
        dumped by its own serializer (see `dump`); the same checks, the same errors."""
        model = self.model
        if model is not None and type(value) is model:
            try:
                data = model.__pydantic_serializer__.to_python(value, mode="json", by_alias=True)
                _to_json_bytes(data)  # strings that are not valid Unicode
                return data
            except (PydanticSerializationError, ValueError, RecursionError):
                pass  # the general path names the field
        return storable(value, what, *args)

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the type (`{}` for anything)."""
        return {} if self.adapter is None else self.adapter.json_schema()


#: core-schema types whose JSON form validates back to the same value
_PLAIN_LEAVES = frozenset({"int", "float", "bool", "str", "none", "literal"})


def round_trips(model: type[BaseModel]) -> bool:
    """True when a model's JSON form (`Schema.dump`) of any instance its validation made
    validates back to an equal instance: JSON leaves, lists, string-keyed dicts, optional and
    defaulted fields and nested such models only; no validator or serializer function, alias,
    computed field, union or `Any` (each can make the second pass differ from the first).
    The engine then takes a step's input JSON, when the previous step dumped it from this
    very model, as the record's payload instead of dumping the validated input again."""
    try:
        return _plain(model.__pydantic_core_schema__, {}, set())
    except Exception:  # a model not fully defined yet, or a schema shape not known here
        return False


def _plain(schema: Any, defs: dict[str, Any], seen: set[str]) -> bool:
    kind = schema.get("type")
    if "serialization" in schema:  # field_serializer, PlainSerializer, model_serializer
        return False
    if kind in _PLAIN_LEAVES:
        return True
    if kind in ("nullable", "default"):
        return _plain(schema["schema"], defs, seen)
    if kind == "list":
        return "items_schema" in schema and _plain(schema["items_schema"], defs, seen)
    if kind == "dict":
        keys, values = schema.get("keys_schema"), schema.get("values_schema")
        return keys is not None and keys.get("type") == "str" and values is not None and _plain(values, defs, seen)
    if kind == "model":
        plain_class = not schema.get("root_model") and not schema.get("custom_init") and schema.get("post_init") is None
        return plain_class and _plain(schema["schema"], defs, seen)
    if kind == "model-fields":
        if schema.get("computed_fields") or ("extras_schema" in schema and not _plain(schema["extras_schema"], defs, seen)):
            return False
        return all(
            field.get("type") == "model-field"
            and "validation_alias" not in field
            and "serialization_alias" not in field
            and _plain(field["schema"], defs, seen)
            for field in schema["fields"].values()
        )
    if kind == "definitions":
        defs.update((d["ref"], d) for d in schema["definitions"])
        return _plain(schema["schema"], defs, seen)
    if kind == "definition-ref":
        ref = schema["schema_ref"]
        if ref in seen:
            return True  # (recursive: judged where it started)
        seen.add(ref)
        return ref in defs and _plain(defs[ref], defs, seen)
    return False


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


def issue_lines(issues: list[tuple[str, str]]) -> str:
    """`- path: reason` lines; a problem with the value itself (no path) is `- reason`."""
    return "\n".join(f"- {path}: {msg}" if path else f"- {msg}" for path, msg in issues)


def validation_error(prefix: str, exc: pydantic.ValidationError, *, code: str | None = None) -> ValidationError:
    """Mastra's layout: the prefix line, then `- path: reason` for each issue."""
    issues = issues_of(exc)
    return ValidationError(f"{prefix}: \n{issue_lines(issues)}", issues, code=code)


NOT_STORABLE = "WORKFLOW_VALUE_NOT_STORABLE"
_MAX_DEPTH = 254  # pydantic-core refuses deeper values


def storable(value: Any, what: str, *args: Any) -> Any:
    """The JSON form of a value that storage must hold (a step's output, resume data, a
    run's input), or ValidationError naming `what` and the offending field.

    Refuses what `to_json` would turn silently into something else or what storage
    cannot encode: unknown objects (stored as their repr otherwise), cycles, strings
    that are not valid Unicode (a lone surrogate), bytes that are not UTF-8, nesting
    deeper than 254 levels. Two passes in pydantic-core check all of it (a step's
    output costs about what `to_json` did), before anything is claimed or written.
    With `args`, `what` is a %-format, filled in only for an error (the hot path builds no string).
    """
    if value is None or type(value) in (int, float, bool):
        return value
    try:
        data = to_jsonable_python(value)  # unknown objects, cycles, bad bytes, depth
        _to_json_bytes(data)  # what is left: strings that are not valid Unicode
        return data
    except (PydanticSerializationError, ValueError, RecursionError) as exc:
        path, reason = _unstorable(value)
        reason = reason or " ".join(str(exc).split())
        what = what % args if args else what
        raise ValidationError(f"{what} cannot be stored: \n{issue_lines([(path, reason)])}", [(path, reason)], code=NOT_STORABLE) from None


def _unstorable(value: Any, path: tuple[str, ...] = (), seen: frozenset[int] = frozenset()) -> tuple[str, str]:
    """Where a value stops being storable, and why (only called once it is known not to be)."""
    where = ".".join(path)
    if len(path) > _MAX_DEPTH:
        return ".".join(path[:3]) + "...", f"nested more than {_MAX_DEPTH} levels deep"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return where, f"string is not valid Unicode ({exc.reason}: {value[exc.start : exc.end]!r} at position {exc.start})"
        return "", ""
    if isinstance(value, bytes | bytearray):
        try:
            bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            return where, f"bytes are not valid UTF-8 (byte {value[exc.start]:#04x} at position {exc.start})"
        return "", ""
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, dict | list | tuple | set | frozenset):
        if id(value) in seen:
            return where, "circular reference (the value contains itself)"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = _unstorable(item, (*path, str(key)), seen | {id(value)})
            if found != ("", ""):
                return found
        return "", ""
    if value is None or isinstance(value, int | float):
        return "", ""
    try:
        to_jsonable_python(value)
    except (PydanticSerializationError, ValueError, RecursionError):
        return (
            where,
            f"a value of type {type(value).__name__!r} is not JSON data (use dicts, lists, strings, numbers, booleans, None or pydantic models)",
        )
    return "", ""


def to_json(value: Any) -> Any:
    """The JSON form of a value (models dumped, dates as ISO strings, a `RawJSON` parsed)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is dict and not value:
        return {}  # a run's empty state, labels and request context: no call into pydantic-core
    if kind is RawJSON:
        return value.value
    return to_jsonable_python(value, serialize_unknown=True, fallback=_unknown)


def _unknown(value: Any) -> Any:
    """What `to_json` makes of a value pydantic-core does not know: a RawJSON's value, else
    its `str()` (as pydantic-core's `serialize_unknown` does)."""
    if type(value) is RawJSON:
        return value.value
    try:
        return str(value)
    except Exception:
        return f"<Unserializable {type(value).__name__} object>"
