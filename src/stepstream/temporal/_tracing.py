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
    """The span of one step attempt, in its activity (see the module docstring); None when
    tracing is off (OpenTelemetry is then not imported)."""
    if not trace_ids or not T.default_interceptors():
        yield None
        return
    from ..otel._steps import step_span as opened

    with opened(trace_ids, key, path, payload) as span:
        yield span


def step_outcome(span: Any, status: str, value: Any) -> None:
    """Records how the attempt ended on its span."""
    if span is not None:
        from ..otel._steps import step_outcome as record

        record(span, status, strip_meta(value) if status == "suspended" else value)
