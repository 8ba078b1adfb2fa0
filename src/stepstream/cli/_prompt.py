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

from ..step import Step
from ..workflow.builder import Workflow, node_steps

_MISSING = object()


@dataclass
class Field:
    """One answer to ask for: its name, how to show it, and how to check it."""

    name: str
    label: str
    required: bool
    check: Callable[[Any], Any]
    is_text: bool


def find_step(workflow: Workflow, path: list[str]) -> Step | None:
    """The step at a suspended path (`["outer", "inner"]`) of a workflow."""
    head, *rest = path
    for node in workflow.graph:
        for step in node_steps(node):
            if step.id == head:
                if rest and isinstance(step, Workflow):
                    return find_step(step, rest)
                return None if rest else step
    return None


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


def ask_resume_data(console: Console, schema: Any) -> Any:
    """Resume data typed in by a person, checked field by field against `schema`."""
    fields = fields_of(schema)
    if fields is None:
        value = ask_field(console, whole_value(schema))
        return None if value is _MISSING else value
    data = {}
    for field in fields:
        value = ask_field(console, field)
        if value is not _MISSING:
            data[field.name] = value
    return data
