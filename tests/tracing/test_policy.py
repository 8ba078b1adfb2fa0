"""tracing_policy: a workflow's (or one run's) spans marked internal are not recorded."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from stepstream import (
    InternalSpans,
    StepContext,
    TracingPolicy,
    ValidationError,
    Workflow,
    WorkflowDefinitionError,
    WorkflowOptions,
    create_step,
    create_workflow,
)

from .conftest import Spans


def _workflow(policy: TracingPolicy | None) -> Workflow:
    async def work(ctx: StepContext) -> int:
        with spans_tracer().start_as_current_span("user work"):
            return int(ctx.input_data) + 1

    options: WorkflowOptions = {"tracing_policy": policy} if policy is not None else {}
    return create_workflow(id="quiet", options=options).then(create_step(id="work", execute=work)).commit()


_PROVIDER: list[trace.TracerProvider] = []


def spans_tracer() -> trace.Tracer:
    return _PROVIDER[0].get_tracer("user-code")


async def test_internal_workflow_spans_are_not_recorded_and_user_spans_nest_under_the_caller(spans: Spans) -> None:
    _PROVIDER[:] = [spans.provider]
    wf = _workflow({"internal": InternalSpans.WORKFLOW})
    with spans.provider.get_tracer("caller").start_as_current_span("request"):
        result = await (await wf.create_run()).start(input_data=1)
    assert result.status == "success" and result.trace_id is None
    request = spans.one("request")
    assert spans.tree(request) == ["request", [["user work", []]]]


async def test_a_run_policy_overrides_the_workflows(spans: Spans) -> None:
    _PROVIDER[:] = [spans.provider]
    wf = _workflow({"internal": InternalSpans.ALL})
    run = await wf.create_run(tracing_policy={"internal": InternalSpans.NONE})
    await run.start(input_data=1)
    assert spans.tree(spans.one("workflow run: 'quiet'")) == ["workflow run: 'quiet'", [["workflow step: 'work'", [["user work", []]]]]]
    other = _workflow({"internal": InternalSpans.AGENT})  # a bit for spans stepstream does not emit
    await (await other.create_run()).start(input_data=1)
    assert len(spans.named("workflow run: 'quiet'")) == 2
    hidden = await _workflow(None).create_run(tracing_policy={"internal": 1})
    await hidden.start(input_data=1)
    assert len(spans.named("workflow run: 'quiet'")) == 2


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ("all", "tracing_policy must be a dict"),
        ({"internal": 16}, r"tracing_policy\['internal'\] must be an InternalSpans value \(0..15\), got 16"),
        ({"internal": True}, r"tracing_policy\['internal'\] must be an InternalSpans value"),
        ({"hide": 1}, r"tracing_policy has unknown keys \['hide'\]"),
    ],
)
async def test_bad_policies_are_refused(policy: object, needle: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"Workflow 'w': " + needle):
        create_workflow(id="w", options={"tracing_policy": policy})  # type: ignore[arg-type]
    wf = create_workflow(id="w").then(create_step(id="s", execute=lambda ctx: 1)).commit()
    with pytest.raises(ValidationError, match=r"create_run\(\) of workflow 'w': " + needle):
        await wf.create_run(tracing_policy=policy)  # type: ignore[arg-type]
