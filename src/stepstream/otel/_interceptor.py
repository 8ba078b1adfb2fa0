"""`TracingInterceptor`: OpenTelemetry spans of each execution, from the engine's hooks.

`intercept_execution` returns None when no tracer provider is configured
(OpenTelemetry's default proxy / no-op provider), so with tracing off the engine
calls no hook at all.

Otherwise an `_ExecutionSpans` opens the run span (under the caller's current span,
or where `tracing_options` / the stored trace of a suspended run put it) and
receives the hooks. Inside the run, parents are explicit, never taken from "the
current span": a step's parent is the parallel/conditional/loop span registered for
its full path, else the step span of the nested workflow it runs in (registered for
its `outer.` prefix), else the run span. Steps run concurrently in parallel and
foreach, so this keeps the tree right whatever the task layout. Step spans (and the
run span) are also made current while they run, so spans that user code opens nest
under its step.

Span names and attributes are constants in `stepstream.tracing`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, NonRecordingSpan, Span, Status, StatusCode, TracerProvider

from .. import interceptors as I
from .. import tracing as T
from .._version import __version__
from ..types import InternalSpans
from . import _values as V
from ._values import Attrs

log = logging.getLogger("stepstream")

_NOOP_PROVIDERS = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)


class TracingInterceptor(I.Interceptor):
    """OpenTelemetry spans for every execution (`docs/tracing.md`).

    `tracer_provider`: the provider to record with; None follows
    `stepstream.tracing.set_tracer_provider`, else OpenTelemetry's global provider.
    """

    #: the engine adds the process-wide one unless the executor already has one
    is_tracing = True

    def __init__(self, tracer_provider: TracerProvider | None = None):
        self._fixed = tracer_provider
        self._cached: tuple[TracerProvider, trace.Tracer | None] | None = None

    def tracer(self) -> trace.Tracer | None:
        """The OpenTelemetry tracer it records with now, or None when no real provider is configured."""
        provider = self._fixed or T.tracer_provider() or trace.get_tracer_provider()
        cached = self._cached
        if cached is not None and cached[0] is provider:
            return cached[1]
        tracer: trace.Tracer | None = None
        if not isinstance(provider, _NOOP_PROVIDERS):
            tracer = provider.get_tracer("stepstream", __version__)
            if isinstance(tracer, trace.NoOpTracer):
                tracer = None
        self._cached = (provider, tracer)
        return tracer

    def intercept_execution(self, input: I.StartExecutionInput) -> I.ExecutionInterceptor | None:
        if input.internal_spans & InternalSpans.WORKFLOW:
            return None  # a hidden workflow: no span at all (Mastra's tracingPolicy)
        tracer = self.tracer()
        if tracer is None:
            return None
        try:
            return _ExecutionSpans(tracer, input)
        except Exception:
            log.exception("stepstream tracing: could not open the run span of %s; the run goes on untraced", V.where(input))
            return None


class _Open:
    """An open span: its context (the parent of what runs inside), and bookkeeping."""

    __slots__ = ("ctx", "iterations", "kind", "mark", "name", "span", "start", "step_ids", "token")

    def __init__(self, span: Span, name: str, start: int = 0):
        self.span = span
        self.name = name
        self.ctx: Context = trace.set_span_in_context(span)
        self.start = start
        self.mark = start
        self.iterations = 0
        self.token: object | None = None
        self.kind = ""
        self.step_ids: tuple[str, ...] = ()


def _detach(handle: _Open) -> None:
    token = handle.token
    if token is not None:
        handle.token = None
        otel_context.detach(token)  # type: ignore[arg-type]


class _ExecutionSpans(I.ExecutionInterceptor):
    """Spans of one execution, through the OpenTelemetry API."""

    def __init__(self, tracer: trace.Tracer, run: I.StartExecutionInput):
        self._tracer = tracer
        options = V.options(run)
        self._hide_input = bool(options.get("hide_input"))
        self._hide_output = bool(options.get("hide_output"))
        #: parallel/conditional/loop/foreach spans, by the full path of each step they hold
        self._parents: dict[str, _Open] = {}
        #: step spans, by the prefix of what runs inside them (`outer.`, `each[2].`)
        self._scopes: dict[str, _Open] = {}
        self._sleeps: dict[str, _Open] = {}
        self._live: dict[_Open, None] = {}
        self._errors: list[BaseException] = []
        self._ended = False
        resumed = run.operation == "resume"
        attrs: Attrs = {
            T.SPAN_TYPE: T.TYPE_RUN,
            T.WORKFLOW_ID: run.workflow_id,
            T.RUN_ID: run.run_id,
            T.RUN_OPERATION: run.operation,
            T.RESUMED: resumed,
        }
        if run.resource_id:
            attrs[T.RESOURCE_ID] = run.resource_id
        parent, links = self._parent_context(options, run, attrs)
        V.user_attributes(options, run, attrs)
        if not self._hide_input:
            attrs[T.INPUT] = V.to_text(run.input)
        name = T.RUN_SPAN.format(workflow_id=run.workflow_id) + (T.RESUMED_SUFFIX if resumed else "")
        span = tracer.start_span(name, context=parent, attributes=attrs, links=links)
        self._run = _Open(span, "")
        self._run.token = otel_context.attach(self._run.ctx)
        sc = span.get_span_context()
        self.trace_id = trace.format_trace_id(sc.trace_id)
        self.span_id = trace.format_span_id(sc.span_id)

    # -- the run span --------------------------------------------------------------------
    @staticmethod
    def _parent_context(options: Mapping[str, Any], run: I.StartExecutionInput, attrs: Attrs) -> tuple[Context | None, list[Link]]:
        """Where the run span goes: Mastra's rules, including resume continuity."""
        trace_id = V.checked_id(options, "trace_id", 32, run)
        parent_id = V.checked_id(options, "parent_span_id", 16, run)
        persisted = run.tracing_context or {}
        old_trace = V.parse_id(persisted.get("traceId"), 32)
        old_span = V.parse_id(persisted.get("spanId"), 16) if old_trace is not None else None
        links: list[Link] = []
        if old_trace is not None and old_span is not None and parent_id is None and trace_id in (None, old_trace):
            links.append(Link(V.remote(old_trace, old_span), {T.RESUMED_FROM_SPAN_ID: trace.format_span_id(old_span)}))
            attrs[T.RESUMED_FROM_SPAN_ID] = trace.format_span_id(old_span)
            attrs[T.RESUMED_FROM_TRACE_ID] = trace.format_trace_id(old_trace)
        if trace_id is None and parent_id is None:
            if old_trace is None:
                return None, links
            trace_id, parent_id = old_trace, old_span
        elif trace_id is None:
            current = trace.get_current_span().get_span_context()
            trace_id = current.trace_id if current.is_valid else V.random_trace_id()
        if parent_id is None:
            parent_id = old_span if trace_id == old_trace and old_span is not None else V.random_span_id()
        return trace.set_span_in_context(NonRecordingSpan(V.remote(trace_id, parent_id))), links

    def end_execution(self, input: I.EndExecutionInput) -> None:
        if self._ended:
            return
        span = self._run.span
        status = input.status
        span.set_attribute(T.RUN_STATUS, status)
        if status == "success" and not self._hide_output:
            span.set_attribute(T.OUTPUT, V.to_text(input.result))
        for key, value in input.usage.items():
            if key == "inputTokens":
                span.set_attribute(T.USAGE_INPUT_TOKENS, value)
            elif key == "outputTokens":
                span.set_attribute(T.USAGE_OUTPUT_TOKENS, value)
            else:
                span.set_attribute(T.USAGE_PREFIX + V.snake(key), value)
        if status == "failed":
            self._fail(span, self._live_error(input.error) or input.error)
        elif status == "canceled":
            self._cancel(span)
        self._end_run()

    def _live_error(self, error: Mapping[str, Any] | None) -> BaseException | None:
        """The exception a step raised that `error` (serialized) describes."""
        if not isinstance(error, Mapping):
            return None
        for exc in self._errors:
            if type(exc).__name__ == error.get("name") and (str(exc) or type(exc).__name__) == error.get("message"):
                return exc
        return None

    def _end_run(self) -> None:
        self._ended = True
        self._run.span.end()
        _detach(self._run)

    def close_execution(self, input: I.CloseExecutionInput) -> None:
        exc = input.exception
        for handle in reversed(list(self._live)):
            self._abandon(handle, exc)
        self._live.clear()
        if not self._ended:
            span = self._run.span
            span.set_attribute(T.RUN_STATUS, "failed")
            self._fail(span, exc if exc is not None else "the run ended without a status")
            self._end_run()

    def _abandon(self, handle: _Open, exc: BaseException | None) -> None:
        if exc is not None:
            self._fail(handle.span, exc)
        else:
            handle.span.set_status(Status(StatusCode.ERROR, "the run ended before this span closed"))
        handle.span.end()

    # -- errors and cancels --------------------------------------------------------------
    def _fail(self, span: Span, error: Any) -> None:
        if isinstance(error, BaseException):
            span.record_exception(error)
            message = str(error) or type(error).__name__
            if error not in self._errors:
                self._errors.append(error)
        elif isinstance(error, Mapping):
            message = str(error.get("message", ""))
            event: Attrs = {"exception.type": str(error.get("name", "Error")), "exception.message": message}
            if error.get("stack"):
                event["exception.stacktrace"] = str(error["stack"])
            span.add_event("exception", event)
        else:
            message = str(error)
            span.add_event("exception", {"exception.type": "Error", "exception.message": message})
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__ if isinstance(error, BaseException) else 'Error'}: {message}"))

    @staticmethod
    def _cancel(span: Span) -> None:
        span.record_exception(asyncio.CancelledError("stepstream: run canceled"))
        span.set_status(Status(StatusCode.ERROR, "canceled"))

    # -- steps ---------------------------------------------------------------------------
    def start_step(self, input: I.StartStepInput) -> None:
        key, name, index = input.step_id, input.path, input.foreach_index
        parent = self._parents.get(name) or self._scopes.get(input.prefix, self._run)  # inlined `_parent`: every step
        attrs: Attrs = {T.SPAN_TYPE: T.TYPE_STEP, T.STEP_ID: key, T.STEP_PATH: name}
        if index is not None:
            parent.iterations += 1
            attrs[T.FOREACH_INDEX] = index
        if input.entry is not None:
            V.entry_attrs(input.entry, attrs)
        if not self._hide_input:
            attrs[T.INPUT] = V.to_text(input.input)
        span = self._tracer.start_span(T.STEP_SPAN.format(step_id=key), context=parent.ctx, attributes=attrs)
        handle = _Open(span, name)
        handle.token = otel_context.attach(handle.ctx)
        self._scopes[name + "." if index is None else f"{name}[{index}]."] = handle
        self._live[handle] = None

    def end_step(self, input: I.EndStepInput) -> None:
        index = input.foreach_index
        handle = self._scopes.pop(input.path + "." if index is None else f"{input.path}[{index}].", None)
        if handle is None:
            return
        span = handle.span
        span.set_attribute(T.STEP_STATUS, input.status)
        if input.resumed:
            span.set_attribute(T.RESUMED, True)
        if input.iteration is not None:
            span.set_attribute(T.LOOP_ITERATION, input.iteration)
        self._outcome(span, input)
        span.end()
        self._live.pop(handle, None)
        otel_context.detach(handle.token)  # type: ignore[arg-type]
        handle.token = None
        parent = self._parents.get(input.path)
        if parent is not None and index is None:
            parent.mark = time.time_ns()
            if input.iteration is not None:
                parent.iterations = max(parent.iterations, input.iteration)

    def _outcome(self, span: Span, input: I.EndStepInput) -> None:
        status = input.status
        if status == "success":
            if not self._hide_output:
                span.set_attribute(T.OUTPUT, V.to_text(input.output))
        elif status == "suspended":
            if not self._hide_output:
                span.set_attribute(T.SUSPEND_PAYLOAD, V.to_text(input.suspend_payload))
        elif status == "failed":
            self._fail(span, input.exception if input.exception is not None else input.error)
        elif status == "canceled":
            self._cancel(span)

    # -- sleep ---------------------------------------------------------------------------
    def start_sleep(self, input: I.StartSleepInput) -> None:
        attrs: Attrs = {
            T.SPAN_TYPE: T.TYPE_SLEEP,
            T.STEP_ID: input.step_id,
            T.STEP_PATH: input.path,
            T.SLEEP_DURATION_MS: round(input.seconds * 1000),
            T.SLEEP_TYPE: "dynamic" if input.dynamic else "fixed",
        }
        if input.entry is not None:
            V.entry_attrs(input.entry, attrs)
        if input.kind == "sleep_until":
            if input.until is not None:
                attrs[T.SLEEP_UNTIL] = input.until
                span_name = T.SLEEP_UNTIL_SPAN.format(until=input.until)
            else:
                span_name = T.SLEEP_UNTIL_DYNAMIC_SPAN
        elif input.duration_ms is not None:
            ms = float(input.duration_ms)
            span_name = T.SLEEP_SPAN.format(ms=int(ms) if ms.is_integer() else ms)
        else:
            span_name = T.SLEEP_DYNAMIC_SPAN
        parent = self._scopes.get(input.prefix, self._run)
        span = self._tracer.start_span(span_name, context=parent.ctx, attributes=attrs)
        handle = _Open(span, input.path)
        self._sleeps[input.path] = handle
        self._live[handle] = None

    def end_sleep(self, input: I.EndSleepInput) -> None:
        handle = self._sleeps.pop(input.path, None)
        if handle is None:
            return
        handle.span.set_attribute(T.STEP_STATUS, input.status)
        if input.status == "canceled":
            self._cancel(handle.span)
        handle.span.end()
        self._live.pop(handle, None)

    # -- parallel, conditional, loops --------------------------------------------------
    def start_node(self, input: I.StartNodeInput) -> None:
        kind, ids = input.kind, input.step_ids
        attrs: Attrs
        if kind == "parallel":
            name = T.PARALLEL_SPAN.format(count=len(ids))
            attrs = {T.SPAN_TYPE: T.TYPE_PARALLEL, T.PARALLEL_BRANCH_COUNT: len(ids), T.PARALLEL_STEPS: list(ids)}
        elif kind == "conditional":
            name = T.CONDITIONAL_SPAN.format(count=len(ids))
            attrs = {T.SPAN_TYPE: T.TYPE_CONDITIONAL, T.CONDITION_COUNT: len(ids)}
        else:
            name = T.LOOP_SPAN.format(kind=kind)
            attrs = {T.SPAN_TYPE: T.TYPE_LOOP, T.LOOP_TYPE: kind}
            if input.concurrency is not None:
                attrs[T.LOOP_CONCURRENCY] = input.concurrency
            if input.item_count is not None:
                attrs[T.FOREACH_ITEM_COUNT] = input.item_count
        if input.entry is not None:
            V.entry_attrs(input.entry, attrs)
            if input.entry.id:  # Mastra names the span after the authored id: `parallel: 'check-document'`
                name = name.split(":", 1)[0] + f": '{input.entry.id.strip()}'"
        start = time.time_ns()
        parent = self._scopes.get(input.prefix, self._run)
        span = self._tracer.start_span(name, context=parent.ctx, attributes=attrs, start_time=start)
        handle = _Open(span, input.prefix, start)
        handle.kind, handle.step_ids = kind, ids
        for step_id in ids:
            self._parents[input.prefix + step_id] = handle
        self._live[handle] = None

    def end_node(self, input: I.EndNodeInput) -> None:
        handle = self._parents.get(input.prefix + input.step_ids[0]) if input.step_ids else None
        if handle is None:
            return
        for step_id in handle.step_ids:
            self._parents.pop(input.prefix + step_id, None)
        self._live.pop(handle, None)
        span = handle.span
        status = input.status
        if status is None:  # an exception escaped the walk out of this node
            self._fail(span, input.exception)
            span.end()
            return
        span.set_attribute(T.STATUS, status)
        if handle.kind in ("dowhile", "dountil", "foreach"):
            span.set_attribute(T.LOOP_TOTAL_ITERATIONS, handle.iterations)
        if status == "failed":
            error: Any = input.exception if input.exception is not None else input.error
            if isinstance(error, BaseException) and error in self._errors:
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            else:
                self._fail(span, error if error is not None else "failed")
        elif status == "canceled":
            self._cancel(span)
        span.end()

    def concurrency_resolved(self, input: I.ConcurrencyInput) -> None:
        handle = self._parents.get(input.path)
        if handle is not None:
            handle.span.set_attribute(T.LOOP_CONCURRENCY, input.concurrency)

    def conditions_evaluated(self, input: I.ConditionsInput) -> None:
        handle = self._parents.get(input.prefix + input.step_ids[0]) if input.step_ids else None
        if handle is None:
            return
        now = time.time_ns()
        truthy = [i for i, ok in enumerate(input.verdicts) if ok]
        for i, ok in enumerate(input.verdicts):
            attrs: Attrs = {T.SPAN_TYPE: T.TYPE_CONDITION, T.CONDITION_INDEX: i, T.CONDITION_RESULT: bool(ok)}
            span = self._tracer.start_span(T.CONDITION_SPAN.format(index=i), context=handle.ctx, attributes=attrs, start_time=handle.start)
            span.end(end_time=now)
        handle.span.set_attribute(T.TRUTHY_INDEXES, truthy)
        handle.span.set_attribute(T.SELECTED_STEPS, [input.step_ids[i] for i in truthy])

    def loop_condition_checked(self, input: I.LoopConditionInput) -> None:
        handle = self._parents.get(input.path)
        if handle is None:
            return
        kind = input.kind
        attrs: Attrs = {
            T.SPAN_TYPE: T.TYPE_CONDITION,
            T.LOOP_TYPE: kind,
            T.LOOP_ITERATION: input.iteration,
            T.CONDITION_RESULT: input.holds,
        }
        span = self._tracer.start_span(
            T.LOOP_CONDITION_SPAN.format(kind=kind), context=handle.ctx, attributes=attrs, start_time=handle.mark
        )
        span.end()
        handle.iterations = max(handle.iterations, input.iteration)
