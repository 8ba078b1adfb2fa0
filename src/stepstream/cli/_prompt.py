"""Asking a person for resume data, field by field, from the suspended step's resume schema.

Each answer is checked on its own as soon as it is typed (the field's type and
constraints), and asked again until it fits; the whole value is validated once more
by the resume itself, which leaves the run suspended when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

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


def skeleton(schema: dict[str, Any] | None) -> Any:
    """A placeholder value of a JSON Schema's shape, to edit in a printed `--data`."""
    blanks = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}
    if schema is None:
        return {}
    if schema.get("type") != "object" or "properties" not in schema:
        return blanks.get(str(schema.get("type")))
    return {name: blanks.get(str(prop.get("type"))) for name, prop in schema["properties"].items()}


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
        except pydantic.ValidationError as exc:
            problems = "; ".join(str(e["msg"]) for e in exc.errors())
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
