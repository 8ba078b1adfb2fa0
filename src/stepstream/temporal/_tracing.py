"""Tracing across Temporal: one trace per stepstream execution.

The process that starts (or resumes) a run opens the run span, as in-process, and keeps it
current while it starts the Temporal execution, so Temporal's own OpenTelemetry interceptor
(`temporalio.contrib.opentelemetry.TracingInterceptor`, on the client; workers take it from
their client) puts its workflow and activity spans under it. Each step attempt's activity
opens the step's span under the current span (the interceptor's activity span), or, with no
interceptor, under the run span, whose ids travel in the workflow input. Either way every
span of the execution is in the run's trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from .. import tracing as T
from .._suspend_meta import strip_meta
from ..engine._tracing import RunTracer, _json, _otel_tracer, make_tracer, parse_id
from ..request_context import RequestContext
from ..types import InternalSpans

if TYPE_CHECKING:
    from ..engine._plan import ExecutionPlan
    from ..engine.run import Run


def run_tracer(
    run: Run, plan: ExecutionPlan, input_data: Any, rc: RequestContext, tracing_options: Mapping[str, Any] | None
) -> RunTracer | None:
    """The run span of one execution (None when tracing is off or the policy hides it)."""
    policy = run.tracing_policy or run.workflow.tracing_policy
    if policy is not None and bool(policy.get("internal", 0) & InternalSpans.WORKFLOW):
        return None
    targets = plan.walk_targets()
    return make_tracer(
        run=run,
        tracing_options=tracing_options,
        resumed=bool(targets),
        input_data=input_data,
        targets=targets,
        request_context=rc,
        tracing_context=plan.tracing_context,
        restarting=plan.restarting,
        time_travel=plan.walk_time_travel(),
    )


@contextmanager
def step_span(trace_ids: Mapping[str, Any] | None, key: str, path: str, payload: Any) -> Iterator[trace.Span | None]:
    """The span of one step attempt, in its activity (see the module docstring)."""
    tracer = _otel_tracer()
    if tracer is None or not trace_ids:
        yield None
        return
    parent = None
    if not trace.get_current_span().get_span_context().is_valid:
        trace_id = parse_id(trace_ids.get("traceId"), 32)
        span_id = parse_id(trace_ids.get("spanId"), 16)
        if trace_id is not None and span_id is not None:
            remote = trace.SpanContext(trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
            parent = trace.set_span_in_context(trace.NonRecordingSpan(remote))
    attrs = {T.SPAN_TYPE: T.TYPE_STEP, T.STEP_ID: key, T.STEP_PATH: path, T.INPUT: _json(payload)}
    span = tracer.start_span(T.STEP_SPAN.format(step_id=key), context=parent, attributes=attrs)
    with trace.use_span(span, end_on_exit=True):
        yield span


def step_outcome(span: trace.Span | None, status: str, value: Any) -> None:
    """Records how the attempt ended on its span."""
    if span is None:
        return
    span.set_attribute(T.STEP_STATUS, status)
    if status == "success":
        span.set_attribute(T.OUTPUT, _json(value))
    elif status == "suspended":
        span.set_attribute(T.SUSPEND_PAYLOAD, _json(strip_meta(value)))
    elif status == "failed":
        message = value.get("message", "") if isinstance(value, dict) else str(value)
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(message)))
