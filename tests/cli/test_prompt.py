"""The pieces behind the interactive resume: finding the suspended step (also nested), the
fields asked for, how answers are read, and the one-line error messages."""

from __future__ import annotations

import pydantic
import pytest
from pydantic import BaseModel, Field

from stepstream import create_step, create_workflow
from stepstream.cli._app import one_line
from stepstream.cli._prompt import fields_of, form_of_type, parse_answer, whole_value
from stepstream.cli._shape import concurrent_paths, find_step
from tests.cli.flows import Decision, tour


class Nested(BaseModel):
    approved: bool


leaf = create_step(id="leaf", input_schema=Nested, output_schema=Nested, resume_schema=Nested, execute=lambda ctx: ctx.input_data)
other = create_step(id="other", input_schema=Nested, output_schema=Nested, execute=lambda ctx: ctx.input_data)
inner = create_workflow(id="inner", input_schema=Nested, output_schema=Nested).parallel([leaf, other]).commit()
outer = create_workflow(id="outer", input_schema=Nested, output_schema=Nested).then(inner).commit()


def test_find_step_follows_nested_paths() -> None:
    assert find_step(outer, ["inner", "leaf"]) is leaf
    assert find_step(outer, ["inner"]) is inner
    assert find_step(outer, ["leaf"]) is None
    assert find_step(outer, ["inner", "leaf", "deeper"]) is None
    step = find_step(tour, ["approve"])
    assert step is not None and step.resume_schema is Decision


def test_concurrent_paths_name_parallel_steps_at_any_depth() -> None:
    assert concurrent_paths(outer) == {"inner.leaf", "inner.other"}
    assert concurrent_paths(tour) == {"price", "stock"}


def test_fields_check_each_answer_with_its_own_type_and_constraints() -> None:
    fields = fields_of(Decision)
    assert fields is not None
    approved, amount = fields
    assert (approved.name, approved.required, approved.is_text) == ("approved", True, False)
    assert amount.label == "amount (integer, how many to ship)"
    assert amount.check(parse_answer(amount, "7")) == 7
    with pytest.raises(pydantic.ValidationError, match="less than or equal to 100"):
        amount.check(parse_answer(amount, "500"))
    with pytest.raises(pydantic.ValidationError, match="valid boolean"):
        approved.check(parse_answer(approved, "maybe"))


def test_text_answers_stay_text_and_non_models_are_one_value() -> None:
    class Note(BaseModel):
        text: str = Field(min_length=2)

    (text,) = fields_of(Note) or []
    assert parse_answer(text, "42") == "42" and text.is_text
    one = whole_value(list[int])
    assert fields_of(list[int]) is None and one.check(parse_answer(one, "[1, 2]")) == [1, 2]
    assert whole_value(None).required is False


class Constrained(BaseModel):
    amount: int = Field(ge=1, le=10)
    ratio: float = Field(gt=0.5)
    code: str = Field(min_length=3)
    size: str = Field(json_schema_extra={"enum": ["s", "m"]})
    note: str = "none"
    below: int = Field(le=-2)


def test_a_skeleton_passes_its_own_schema_where_the_constraints_say_how() -> None:
    """The printed `--data` of a schema with bounds is accepted as it is (a 0 for `ge=1` was refused)."""
    shown = form_of_type(Constrained).skeleton
    assert shown == {"amount": 1, "ratio": 1.5, "code": "xxx", "size": "s", "note": "none", "below": -2}
    Constrained.model_validate(shown)


def test_skeleton_and_one_line() -> None:
    assert form_of_type(Decision).skeleton == {"approved": False, "amount": 1}
    assert form_of_type(None).skeleton == {}
    assert form_of_type(int).skeleton == 0
    assert (
        one_line("Invalid resume data: \n- approved: Field required\n- amount: too big")
        == "Invalid resume data: approved: Field required; amount: too big"
    )


def test_times_are_shown_in_local_time_with_their_zone_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A schedule's fire times sit beside its own zone: the local time printed says which zone it is."""
    import time

    from stepstream.cli._inspect import when

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert when(1_700_000_000_000) == "2023-11-15 07:13:20 JST"
        assert when("2023-11-14T22:13:20.000Z") == "2023-11-15 07:13:20 JST"
        assert when(None) == ""
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
