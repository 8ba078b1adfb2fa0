"""Step spans opened outside the walk: by `stepstream.temporal`'s step activities.

On Temporal the walk runs in a Temporal workflow (which exports no spans, so as not to
repeat them on replay) and each step attempt runs in an activity, maybe on another
machine. The activity opens the step's span under the current span (Temporal's
OpenTelemetry interceptor's activity span) or, without one, under the run span whose ids
it was given, so the execution stays one trace (docs/temporal.md, "Tracing").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

from .. import tracing as T
from . import _values as V


@contextmanager
def step_span(trace_ids: Mapping[str, Any], key: str, path: str, payload: Any) -> Iterator[trace.Span]:
    """A step's span, current while the attempt runs."""
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


def step_outcome(span: trace.Span, status: str, value: Any) -> None:
    """How the attempt ended, on its span (`value`: the output, the suspend payload without
    stepstream's metadata, or the serialized error)."""
    span.set_attribute(T.STEP_STATUS, status)
    if status == "success":
        span.set_attribute(T.OUTPUT, V.to_text(value))
    elif status == "suspended":
        span.set_attribute(T.SUSPEND_PAYLOAD, V.to_text(value))
    elif status == "failed":
        message = value.get("message", "") if isinstance(value, dict) else str(value)
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(message)))
