"""Asking a person for resume data, field by field, from the suspended step's resume schema
(a type for a local workflow, JSON Schema for one on a server).

Each answer is checked on its own as soon as it is typed (the field's type and
constraints), and asked again until it fits; the whole value is validated once more
by the resume itself, which leaves the run suspended when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import jsonschema
import pydantic
from pydantic import BaseModel, TypeAdapter
from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt

_MISSING = object()


@dataclass
class Field:
    """One answer to ask for: its name, how to show it, and how to check it."""

    name: str
    label: str
    required: bool
    check: Callable[[Any], Any]
    is_text: bool


@dataclass
class Form:
    """What to ask for a suspended step: its fields, or one answer that is the whole resume data."""

    fields: list[Field]
    whole: bool
    skeleton: Any


def form_of_type(schema: Any) -> Form:
    """The form for a resume schema given as a type (a local workflow): pydantic checks each answer."""
    fields = fields_of(schema)
    example = skeleton(TypeAdapter(schema).json_schema() if schema is not None else None)
    return Form(fields, False, example) if fields is not None else Form([whole_value(schema)], True, example)


def form_of_json_schema(schema: dict[str, Any] | None) -> Form:
    """The form for a resume schema given as JSON Schema (a workflow on a server): each answer is
    checked against its property's schema (with the schema's `$defs`)."""
    example = skeleton(schema)
    if schema is None:
        return Form([whole_value(None)], True, example)
    defs: dict[str, Any] = {k: schema[k] for k in ("$defs", "definitions") if k in schema}
    if schema.get("type") != "object" or "properties" not in schema:
        return Form([json_field("resume data", "resume data", schema, True)], True, example)
    required = set(schema.get("required") or ())
    fields = [json_field(name, name, {**prop, **defs}, name in required) for name, prop in schema["properties"].items()]
    return Form(fields, False, example)


def json_field(name: str, label: str, schema: dict[str, Any], required: bool) -> Field:
    """One answer checked against a JSON Schema (jsonschema, the reference implementation)."""
    validator = jsonschema.validators.validator_for(schema)(schema)
    kind = str(schema.get("type", "value"))
    description = schema.get("description")

    def check(value: Any) -> Any:
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            raise ValueError(error.message)
        return value

    return Field(name, f"{label} ({kind}{', ' + description if description else ''})", required, check, kind == "string")


_BLANKS: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}


def skeleton(schema: dict[str, Any] | None) -> Any:
    """A placeholder value of a JSON Schema's shape, to edit in a printed `--data`."""
    if schema is None:
        return {}
    if schema.get("type") != "object" or "properties" not in schema:
        return _placeholder(schema)
    return {name: _placeholder(prop) for name, prop in schema["properties"].items()}


def _placeholder(prop: dict[str, Any]) -> Any:
    """A blank of the property's type that its own constraints accept where they say how
    (a default, an example, the first allowed value, a minimum, a minimum length), so the
    printed `--data` passes as it is unless a value must be chosen."""
    for key in ("default", "const"):
        if key in prop:
            return prop[key]
    for key in ("examples", "enum"):
        if prop.get(key):
            return prop[key][0]
    kind = str(prop.get("type"))
    if kind in ("integer", "number"):
        low = prop.get("minimum")
        if low is None and "exclusiveMinimum" in prop:
            low = prop["exclusiveMinimum"] + 1
        if low is None and prop.get("maximum", 0) < 0:
            low = prop["maximum"]
        value = low if low is not None else 0
        return int(value) if kind == "integer" else value
    if kind == "string":
        return "x" * int(prop.get("minLength", 0))
    return _BLANKS.get(kind)


def fields_of(schema: Any) -> list[Field] | None:
    """The fields to ask for a model schema; None when the schema is not a model (ask for one value)."""
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return None
    out = []
    for name, info in schema.model_fields.items():
        annotation: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        kind = adapter.json_schema().get("type", "value")
        label = f"{name} ({kind}{', ' + info.description if info.description else ''})"
        out.append(Field(info.alias or name, label, info.is_required(), adapter.validate_python, kind == "string"))
    return out


def whole_value(schema: Any) -> Field:
    """A single answer: the resume data as one JSON value."""
    if schema is None:
        return Field("resume data", "resume data (JSON, empty for none)", False, lambda v: v, False)
    adapter: TypeAdapter[Any] = TypeAdapter(schema)
    kind = adapter.json_schema().get("type", "value")
    return Field("resume data", f"resume data ({kind})", True, adapter.validate_python, kind == "string")


def parse_answer(field: Field, answer: str) -> Any:
    """The typed answer: text as is for a string field, else JSON (bare words stay text)."""
    if field.is_text:
        return answer
    try:
        return json.loads(answer)
    except json.JSONDecodeError:
        return answer


def ask_field(console: Console, field: Field) -> Any:
    """Asks until the answer passes the field's check; `_MISSING` for an optional field left empty."""
    while True:
        answer = Prompt.ask(f"  {escape(field.label)}", console=console, default="", show_default=False)
        if answer == "":
            if not field.required:
                return _MISSING
            console.print(f"  [red]✗ {escape(field.name)}: an answer is required[/]", highlight=False)
            continue
        value = parse_answer(field, answer)
        try:
            field.check(value)
        except ValueError as exc:  # pydantic's ValidationError, or a JSON Schema's refusal
            problems = "; ".join(str(e["msg"]) for e in exc.errors()) if isinstance(exc, pydantic.ValidationError) else str(exc)
            console.print(f"  [red]✗ {escape(field.name)}: {escape(problems)}[/]", highlight=False)
            continue
        return value


def ask_resume_data(console: Console, form: Form) -> Any:
    """Resume data typed in by a person, checked answer by answer."""
    if form.whole:
        value = ask_field(console, form.fields[0])
        return None if value is _MISSING else value
    data = {}
    for field in form.fields:
        value = ask_field(console, field)
        if value is not _MISSING:
            data[field.name] = value
    return data
