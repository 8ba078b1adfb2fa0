"""Tracing across Temporal: one trace per stepstream execution.

The process that starts (or resumes) a run opens the execution's interceptors there
(`engine/_intercept.py`: OpenTelemetry's run span when tracing is on) and keeps the run
span current while it starts the Temporal execution, so Temporal's own OpenTelemetry
interceptor (`temporalio.contrib.opentelemetry.TracingInterceptor`, on the client; workers
take it from their client) puts its workflow and activity spans under it. Each step
attempt's activity opens the step's span under the current span (the interceptor's activity
span), or, with no interceptor, under the run span, whose ids travel in the workflow input.
Either way every span of the execution is in the run's trace. OpenTelemetry is imported
only when tracing may be on (`stepstream.tracing.default_interceptors`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import tracing as T
from .._suspend_meta import strip_meta
from ..engine import _intercept as intercept
from ..engine._state import RunExecution
from ..request_context import RequestContext

if TYPE_CHECKING:
    from ..engine._plan import ExecutionPlan
    from ..engine.run import Run


def open_execution(
    run: Run, plan: ExecutionPlan, input_data: Any, rc: RequestContext, tracing_options: Mapping[str, Any] | None
) -> RunExecution | None:
    """The execution's interceptors, opened in this process (None when there are none):
    a run state holding them, and the run span's ids (`rs.trace`)."""
    candidates = intercept.configured(None)
    if not candidates:
        return None
    wf = run.workflow
    rs = RunExecution(
        run_id=run.run_id,
        workflow_id=wf.id,
        storage=wf.storage,
        request_context=rc,
        state=dict(plan.state),
        records={},
        sinks=[],
        resource_id=run.resource_id,
    )
    intercept.open_for(run, rs, candidates, plan, input_data, tracing_options)
    return rs if rs.interceptors else None


def close_execution(rs: RunExecution | None, status: str, result: Any, error: Any, usage: Mapping[str, int] | None) -> None:
    """The execution settled: its interceptors are told, then closed."""
    if rs is None:
        return
    rs.usage = dict(usage or {})
    intercept.execution_ended(rs, status, result, error)
    intercept.execution_closed(rs, None)


@contextmanager
def step_span(trace_ids: Mapping[str, Any] | None, key: str, path: str, payload: Any) -> Iterator[Any]:
    """The span of one step attempt, in its activity (see the module docstring)."""
    if not trace_ids or not T.default_interceptors():
        yield None
        return
    from opentelemetry import trace

    from ..otel import _values as V

    provider = T.tracer_provider() or trace.get_tracer_provider()
    tracer = provider.get_tracer("stepstream")
    parent = None
    if not trace.get_current_span().get_span_context().is_valid:
        trace_id = V.parse_id(trace_ids.get("traceId"), 32)
        span_id = V.parse_id(trace_ids.get("spanId"), 16)
        if trace_id is not None and span_id is not None:
            parent = trace.set_span_in_context(trace.NonRecordingSpan(V.remote(trace_id, span_id)))
    attrs = {T.SPAN_TYPE: T.TYPE_STEP, T.STEP_ID: key, T.STEP_PATH: path, T.INPUT: V.to_text(payload)}
    span = tracer.start_span(T.STEP_SPAN.format(step_id=key), context=parent, attributes=attrs)
    with trace.use_span(span, end_on_exit=True):
        yield span


def step_outcome(span: Any, status: str, value: Any) -> None:
    """Records how the attempt ended on its span."""
    if span is None:
        return
    from opentelemetry import trace

    from ..otel import _values as V

    span.set_attribute(T.STEP_STATUS, status)
    if status == "success":
        span.set_attribute(T.OUTPUT, V.to_text(value))
    elif status == "suspended":
        span.set_attribute(T.SUSPEND_PAYLOAD, V.to_text(strip_meta(value)))
    elif status == "failed":
        message = value.get("message", "") if isinstance(value, dict) else str(value)
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(message)))
