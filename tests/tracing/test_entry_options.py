"""Control-flow entry options (`id`, `description`, `metadata`) name and annotate their spans."""

from __future__ import annotations

import json

import pytest

from stepstream import WorkflowDefinitionError, create_step, create_workflow
from stepstream import tracing as T
from stepstream.predicate import lt, path

from .conftest import Spans


async def test_entry_options_name_and_annotate_spans(spans: Spans) -> None:
    inc = create_step(id="inc", execute=lambda ctx: ctx.input_data + 1)
    dbl = create_step(id="dbl", execute=lambda ctx: ctx.input_data * 2)
    wf = (
        create_workflow(id="traced")
        .parallel([inc, dbl], id="both", description="fan out", metadata={"title": "Both"})
        .map(lambda ctx: ctx.input_data["inc"], id="unwrap", description="take inc", metadata={"k": [1]})
        .dountil(
            create_step(id="up", execute=lambda ctx: ctx.input_data + 1), lt(path("input_data"), 0) | lt(path("input_data"), 10), id="grow"
        )
        .sleep(1, description="breathe")
        .foreach(create_step(id="item", execute=lambda ctx: ctx.input_data), id="each")
        .commit()
    )
    result = await (await wf.create_run()).start(input_data=1)
    assert result.status == "failed"  # foreach on a number: the input is not an array; the spans are still there
    par = spans.one("parallel: 'both'")
    attrs = dict(par.attributes or {})
    assert (attrs[T.ENTRY_ID], attrs[T.ENTRY_DESCRIPTION], json.loads(str(attrs[T.ENTRY_METADATA]))) == (
        "both",
        "fan out",
        {"title": "Both"},
    )
    mapping = dict(spans.one("workflow step: 'unwrap'").attributes or {})
    assert (mapping[T.ENTRY_DESCRIPTION], json.loads(str(mapping[T.ENTRY_METADATA]))) == ("take inc", {"k": [1]})
    assert dict(spans.one("loop: 'grow'").attributes or {})[T.LOOP_TYPE] == "dountil"
    assert dict(spans.one("sleep: 1ms").attributes or {})[T.ENTRY_DESCRIPTION] == "breathe"
    assert T.ENTRY_ID not in dict(spans.one("workflow step: 'inc'").attributes or {})


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"id": ""}, r"parallel\(\) id must be a non-empty string"),
        ({"description": 3}, r"parallel\(\) description must be a string, got 3"),
        ({"metadata": ["x"]}, r"parallel\(\) metadata must be a dict, got list"),
        ({"metadata": {"f": object()}}, r"parallel\(\) metadata must be JSON-serializable"),
    ],
)
def test_bad_entry_options_are_refused(kwargs: dict[str, object], needle: str) -> None:
    step = create_step(id="s", execute=lambda ctx: 1)
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': " + needle):
        create_workflow(id="w").parallel([step], **kwargs)  # type: ignore[arg-type]
