"""OpenTelemetry spans for runs. The only module that touches `opentelemetry`.

The engine calls `make_tracer(...)` once per execution. It returns None when no
tracer provider is configured (OpenTelemetry's default proxy / no-op provider),
so with tracing off the engine pays one `is not None` check per hook point.

Otherwise an `OtelRunTracer` opens the run span (under the caller's current span,
or where `tracing_options` / the stored trace of a suspended run put it) and
receives the hooks below. Inside the run, parents are explicit, never taken from
"the current span": a step's parent is the parallel/conditional/loop span
registered for its full name, else the step span of the nested workflow it runs
in (registered for its `outer.` prefix), else the run span. Steps run concurrently in parallel and foreach, so this keeps the
tree right whatever the task layout. Step spans (and the run span) are also made
current while they run, so spans that user code opens nest under its step.

Span names and attributes are constants in `stepstream.tracing`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanContext, Status, StatusCode, TraceFlags
from opentelemetry.util.types import AttributeValue

from .. import tracing as T
from .._schema import to_json
from .._suspend_meta import strip_meta
from .._version import __version__
from ..results import StepResult
from ..workflow.plan import ConditionalNode, EntryOptions, ForeachNode, LoopNode, Node, ParallelNode, SleepNode, StepNode

if TYPE_CHECKING:
    from opentelemetry.context import Context

    from ..request_context import RequestContext
    from ._executor import LevelWalk
    from ._state import Target
    from .run import Run

log = logging.getLogger("stepstream")

Attrs = dict[str, AttributeValue]


class RunTracer:
    """Receives the engine's tracing hooks for one execution of a run (no-op base)."""

    trace_id: str | None = None
    span_id: str | None = None

    def step_started(self, name: str, payload: Any, prefix: str, entry: EntryOptions | None = None) -> Any:
        """Opens a step span; returns a handle passed to `step_ended`."""
        return None

    def step_ended(self, handle: Any, record: StepResult) -> None:
        """Closes a step span with the record's status."""

    async def node(self, ex: LevelWalk, node: Node, value: Any) -> tuple[str, Any]:
        """Runs a parallel, conditional, loop, foreach or sleep node (inside its span)."""
        return await ex._run_node(node, value, True)

    def item_started(self, prefix: str, key: str, index: int, payload: Any) -> Any:
        """Opens the span of one foreach item."""
        return None

    def item_ended(self, handle: Any, status: str, value: Any) -> None:
        """Closes a foreach item span; `value` is the output, suspend payload or error."""

    def foreach_concurrency(self, name: str, concurrency: int) -> None:
        """Records the concurrency a foreach's function resolved to."""

    def sleep_started(self, name: str, node: SleepNode, seconds: float) -> Any:
        """Opens a sleep span."""
        return None

    def span_ended(self, handle: Any, status: str) -> None:
        """Closes a span opened by `sleep_started`."""

    def conditional(self, prefix: str, node: ConditionalNode, verdicts: Sequence[bool]) -> None:
        """Records a conditional's evaluation (one verdict per branch)."""

    def loop_iteration(self, name: str, kind: str, iteration: int, holds: bool) -> None:
        """Records one loop condition check."""

    def run_ended(self, status: str, result: Any, error: Any, usage: Mapping[str, int] | None = None) -> None:
        """Closes the run span."""

    def close(self) -> None:
        """Called when the execution is over, however it ended; closes what is still open."""


# -- the provider ------------------------------------------------------------------------
_NOOP_PROVIDERS = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
_cached: tuple[trace.TracerProvider, trace.Tracer | None] | None = None


def set_provider(provider: trace.TracerProvider | None) -> None:
    """Uses `provider` instead of the global one (None: the global one again)."""
    T.set_tracer_provider(provider)


def _otel_tracer() -> trace.Tracer | None:
    global _cached
    chosen = T.tracer_provider()
    provider = chosen if chosen is not None else trace.get_tracer_provider()
    cached = _cached
    if cached is not None and cached[0] is provider:
        return cached[1]
    tracer: trace.Tracer | None = None
    if not isinstance(provider, _NOOP_PROVIDERS):
        tracer = provider.get_tracer("stepstream", __version__)
        if isinstance(tracer, trace.NoOpTracer):
            tracer = None
    _cached = (provider, tracer)
    return tracer


def make_tracer(
    *,
    run: Run,
    tracing_options: Mapping[str, Any] | None = None,
    resumed: bool = False,
    input_data: Any = None,
    targets: Mapping[str, Target] | None = None,
    request_context: RequestContext | None = None,
    tracing_context: Mapping[str, Any] | None = None,
    restarting: bool = False,
    time_travel: Any = None,
) -> RunTracer | None:
    """A tracer for one execution, or None when no tracer provider is configured."""
    tracer = _otel_tracer()
    if tracer is None:
        return None
    if time_travel is not None:
        operation = "time_travel"
    elif restarting:
        operation = "restart"
    else:
        operation = "resume" if resumed else "start"
    if resumed and targets:
        input_data = next(iter(targets.values())).resume_data
    try:
        return OtelRunTracer(tracer, run, _options(tracing_options, run), operation, input_data, request_context, tracing_context)
    except Exception:
        log.exception("stepstream tracing: could not open the run span of %s; the run goes on untraced", _where(run))
        return None


# -- options -----------------------------------------------------------------------------
_ALIASES = {
    "traceId": "trace_id",
    "parentSpanId": "parent_span_id",
    "requestContextKeys": "request_context_keys",
    "hideInput": "hide_input",
    "hideOutput": "hide_output",
}
_KNOWN = frozenset(T.TracingOptions.__annotations__)
_HEX = re.compile(r"[0-9a-fA-F]+")


def _where(run: Run) -> str:
    return f"run {run.run_id!r} of workflow {run.workflow_id!r}"


def _options(raw: Mapping[str, Any] | None, run: Run) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        name = _ALIASES.get(key, key)
        if name not in _KNOWN:
            log.warning("stepstream tracing: ignoring unknown tracing option %r for %s; known: %s", key, _where(run), sorted(_KNOWN))
            continue
        out[name] = value
    return out


def parse_id(value: Any, width: int) -> int | None:
    """The id as an int if `value` is 1-`width` hex characters and not all zeros."""
    if isinstance(value, str) and 0 < len(value) <= width and _HEX.fullmatch(value):
        return int(value, 16) or None
    return None


def _checked_id(options: Mapping[str, Any], key: str, width: int, run: Run) -> int | None:
    value = options.get(key)
    if value is None:
        return None
    parsed = parse_id(value, width)
    if parsed is None:
        log.warning(
            "stepstream tracing: ignoring invalid %s %r for %s: expected 1-%d hex characters, not all zero; the run goes on",
            key,
            value,
            _where(run),
            width,
        )
    return parsed


def _remote(trace_id: int, span_id: int) -> SpanContext:
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))


def _random_span_id() -> int:
    return random.getrandbits(64) or 1


# -- attribute values --------------------------------------------------------------------
def _json(value: Any) -> str:
    try:
        return json.dumps(to_json(value), default=str, ensure_ascii=False)
    except Exception:
        return repr(value)


def _attr(value: Any) -> AttributeValue:
    """An attribute value: primitives and homogeneous lists as they are, anything else as JSON."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and value:
        kind = type(value[0])
        if kind in (str, bool, int, float) and all(type(v) is kind for v in value):
            return list(value)
    return _json(value)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Open:
    """An open span: its context (the parent of what runs inside), and bookkeeping."""

    __slots__ = ("ctx", "iterations", "mark", "name", "node", "span", "start", "token")

    def __init__(self, span: Span, name: str, start: int = 0, node: Any = None):
        self.span = span
        self.name = name
        self.ctx: Context = trace.set_span_in_context(span)
        self.start = start
        self.node = node
        self.mark = start
        self.iterations = 0
        self.token: object | None = None


class OtelRunTracer(RunTracer):
    """Spans of one execution, through the OpenTelemetry API."""

    def __init__(
        self,
        tracer: trace.Tracer,
        run: Run,
        options: dict[str, Any],
        operation: str,
        input_data: Any,
        request_context: RequestContext | None,
        tracing_context: Mapping[str, Any] | None,
    ):
        self._tracer = tracer
        self._hide_input = bool(options.get("hide_input"))
        self._hide_output = bool(options.get("hide_output"))
        self._parents: dict[str, _Open] = {}
        self._scopes: dict[str, _Open] = {}
        self._live: dict[_Open, None] = {}
        self._errors: list[BaseException] = []
        self._ended = False
        resumed = operation == "resume"
        attrs: Attrs = {
            T.SPAN_TYPE: T.TYPE_RUN,
            T.WORKFLOW_ID: run.workflow_id,
            T.RUN_ID: run.run_id,
            T.RUN_OPERATION: operation,
            T.RESUMED: resumed,
        }
        if run.resource_id:
            attrs[T.RESOURCE_ID] = run.resource_id
        parent, links = self._parent_context(options, tracing_context, run, attrs)
        self._user_attributes(options, request_context, run, attrs)
        if not self._hide_input:
            attrs[T.INPUT] = _json(input_data)
        name = T.RUN_SPAN.format(workflow_id=run.workflow_id) + (T.RESUMED_SUFFIX if resumed else "")
        span = tracer.start_span(name, context=parent, attributes=attrs, links=links)
        self._run = _Open(span, "")
        self._run.token = otel_context.attach(self._run.ctx)
        sc = span.get_span_context()
        self.trace_id = trace.format_trace_id(sc.trace_id)
        self.span_id = trace.format_span_id(sc.span_id)

    # -- the run span --------------------------------------------------------------------
    def _parent_context(
        self, options: Mapping[str, Any], persisted: Mapping[str, Any] | None, run: Run, attrs: Attrs
    ) -> tuple[Context | None, list[Link]]:
        """Where the run span goes: Mastra's rules, including resume continuity."""
        trace_id = _checked_id(options, "trace_id", 32, run)
        parent_id = _checked_id(options, "parent_span_id", 16, run)
        old_trace = parse_id((persisted or {}).get("traceId"), 32)
        old_span = parse_id((persisted or {}).get("spanId"), 16) if old_trace is not None else None
        links: list[Link] = []
        if old_trace is not None and old_span is not None and parent_id is None and trace_id in (None, old_trace):
            links.append(Link(_remote(old_trace, old_span), {T.RESUMED_FROM_SPAN_ID: trace.format_span_id(old_span)}))
            attrs[T.RESUMED_FROM_SPAN_ID] = trace.format_span_id(old_span)
            attrs[T.RESUMED_FROM_TRACE_ID] = trace.format_trace_id(old_trace)
        if trace_id is None and parent_id is None:
            if old_trace is None:
                return None, links
            trace_id, parent_id = old_trace, old_span
        elif trace_id is None:
            current = trace.get_current_span().get_span_context()
            trace_id = current.trace_id if current.is_valid else random.getrandbits(128) or 1
        if parent_id is None:
            parent_id = old_span if trace_id == old_trace and old_span is not None else _random_span_id()
        return trace.set_span_in_context(NonRecordingSpan(_remote(trace_id, parent_id))), links

    def _user_attributes(self, options: Mapping[str, Any], rc: RequestContext | None, run: Run, attrs: Attrs) -> None:
        tags = options.get("tags")
        if tags is not None:
            if isinstance(tags, str):
                tags = [tags]
            if isinstance(tags, Sequence):
                attrs[T.TAGS] = [str(t) for t in tags]
            else:
                log.warning("stepstream tracing: ignoring tags %r for %s: expected a list of strings", tags, _where(run))
        metadata = options.get("metadata")
        if metadata is not None:
            if isinstance(metadata, Mapping):
                for key, value in metadata.items():
                    attrs[T.METADATA_PREFIX + str(key)] = _attr(value)
            else:
                log.warning("stepstream tracing: ignoring metadata %r for %s: expected a mapping", metadata, _where(run))
        keys = options.get("request_context_keys")
        if isinstance(keys, str):
            keys = [keys]
        if keys is not None and not isinstance(keys, Sequence):
            log.warning("stepstream tracing: ignoring request_context_keys %r for %s: expected a list of keys", keys, _where(run))
        elif keys and rc is not None:
            for path in keys:
                value = rc.get(path) if path in rc else rc.get_path(str(path))
                if value is not None:
                    attrs[T.REQUEST_CONTEXT_PREFIX + str(path)] = _attr(value)

    def run_ended(self, status: str, result: Any, error: Any, usage: Mapping[str, int] | None = None) -> None:
        if self._ended:
            return
        span = self._run.span
        span.set_attribute(T.RUN_STATUS, status)
        if status == "success" and not self._hide_output:
            span.set_attribute(T.OUTPUT, _json(result))
        for key, value in (usage or {}).items():
            if key == "inputTokens":
                span.set_attribute(T.USAGE_INPUT_TOKENS, value)
            elif key == "outputTokens":
                span.set_attribute(T.USAGE_OUTPUT_TOKENS, value)
            else:
                span.set_attribute(T.USAGE_PREFIX + _snake(key), value)
        if status == "failed":
            self._fail(span, self._live_error(error) or error)
        elif status == "canceled":
            self._cancel(span)
        self._end_run()

    def _live_error(self, error: Any) -> BaseException | None:
        """The exception a step raised that `error` (serialized) describes."""
        if not isinstance(error, dict):
            return None
        for exc in self._errors:
            if type(exc).__name__ == error.get("name") and (str(exc) or type(exc).__name__) == error.get("message"):
                return exc
        return None

    def _end_run(self) -> None:
        self._ended = True
        self._run.span.end()
        token = self._run.token
        self._run.token = None
        if token is not None:
            otel_context.detach(token)  # type: ignore[arg-type]

    def close(self) -> None:
        exc = sys.exc_info()[1]
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
        elif isinstance(error, dict):
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
    def _parent(self, name: str, prefix: str) -> _Open:
        handle = self._parents.get(name)
        if handle is not None:
            return handle
        return self._scopes.get(prefix, self._run)

    def _open_step(self, key: str, name: str, parent: _Open, attrs: Attrs, scope: str) -> _Open:
        span = self._tracer.start_span(T.STEP_SPAN.format(step_id=key), context=parent.ctx, attributes=attrs)
        handle = _Open(span, name)
        handle.token = otel_context.attach(handle.ctx)
        self._scopes[scope] = handle
        self._live[handle] = None
        return handle

    def _close_step(self, handle: _Open, scope: str) -> None:
        handle.span.end()
        self._scopes.pop(scope, None)
        self._live.pop(handle, None)
        token = handle.token
        if token is not None:
            handle.token = None
            otel_context.detach(token)  # type: ignore[arg-type]

    def step_started(self, name: str, payload: Any, prefix: str, entry: EntryOptions | None = None) -> _Open:
        key = name[len(prefix) :]
        attrs: Attrs = {T.SPAN_TYPE: T.TYPE_STEP, T.STEP_ID: key, T.STEP_PATH: name}
        if entry:
            _entry_attrs(entry, attrs)
        if not self._hide_input:
            attrs[T.INPUT] = _json(payload)
        return self._open_step(key, name, self._parent(name, prefix), attrs, name + ".")

    def step_ended(self, handle: _Open, record: StepResult) -> None:
        span = handle.span
        status = record.status
        span.set_attribute(T.STEP_STATUS, status)
        if record.resumed_at is not None:
            span.set_attribute(T.RESUMED, True)
        iteration = (record.metadata or {}).get("iterationCount")
        if iteration is not None:
            span.set_attribute(T.LOOP_ITERATION, iteration)
        self._outcome(span, status, record.output, record.suspend_payload, record.error)
        self._close_step(handle, handle.name + ".")
        parent = self._parents.get(handle.name)
        if parent is not None:
            parent.mark = time.time_ns()
            if iteration is not None:
                parent.iterations = max(parent.iterations, iteration)

    def _outcome(self, span: Span, status: str, output: Any, suspend_payload: Any, error: Any) -> None:
        if status == "success":
            if not self._hide_output:
                span.set_attribute(T.OUTPUT, _json(output))
        elif status == "suspended":
            if not self._hide_output:
                span.set_attribute(T.SUSPEND_PAYLOAD, _json(strip_meta(suspend_payload)))
        elif status == "failed":
            self._fail(span, error)
        elif status == "canceled":
            self._cancel(span)

    def item_started(self, prefix: str, key: str, index: int, payload: Any) -> _Open:
        name = prefix + key
        parent = self._parent(name, prefix)
        parent.iterations += 1
        attrs: Attrs = {T.SPAN_TYPE: T.TYPE_STEP, T.STEP_ID: key, T.STEP_PATH: name, T.FOREACH_INDEX: index}
        if not self._hide_input:
            attrs[T.INPUT] = _json(payload)
        handle = self._open_step(key, name, parent, attrs, f"{name}[{index}].")
        handle.node = index
        return handle

    def item_ended(self, handle: _Open, status: str, value: Any) -> None:
        span = handle.span
        span.set_attribute(T.STEP_STATUS, status)
        self._outcome(span, status, value, value, value)
        self._close_step(handle, f"{handle.name}[{handle.node}].")

    # -- sleep ---------------------------------------------------------------------------
    def sleep_started(self, name: str, node: SleepNode, seconds: float) -> _Open:
        prefix = name[: len(name) - len(node.id)]
        attrs: Attrs = {
            T.SPAN_TYPE: T.TYPE_SLEEP,
            T.STEP_ID: node.id,
            T.STEP_PATH: name,
            T.SLEEP_DURATION_MS: round(seconds * 1000),
        }
        dynamic = callable(node.until) or callable(node.duration)
        attrs[T.SLEEP_TYPE] = "dynamic" if dynamic else "fixed"
        if node.entry:
            _entry_attrs(node.entry, attrs)
        if node.until is not None:
            if isinstance(node.until, datetime):
                attrs[T.SLEEP_UNTIL] = node.until.isoformat()
                span_name = T.SLEEP_UNTIL_SPAN.format(until=node.until.isoformat())
            else:
                span_name = T.SLEEP_UNTIL_DYNAMIC_SPAN
        elif isinstance(node.duration, (int, float)):
            ms = float(node.duration)
            span_name = T.SLEEP_SPAN.format(ms=int(ms) if ms.is_integer() else ms)
        else:
            span_name = T.SLEEP_DYNAMIC_SPAN
        parent = self._scopes.get(prefix, self._run)
        span = self._tracer.start_span(span_name, context=parent.ctx, attributes=attrs)
        handle = _Open(span, name)
        self._live[handle] = None
        return handle

    def span_ended(self, handle: _Open, status: str) -> None:
        handle.span.set_attribute(T.STEP_STATUS, status)
        if status == "canceled":
            self._cancel(handle.span)
        handle.span.end()
        self._live.pop(handle, None)

    # -- parallel, conditional, loops --------------------------------------------------
    async def node(self, ex: LevelWalk, node: Node, value: Any) -> tuple[str, Any]:
        handle = self._node_started(ex, node, value)
        if handle is None:
            return await ex._run_node(node, value, True)
        try:
            status, out = await ex._run_node(node, value, True)
        except BaseException as exc:
            self._node_done(handle, ex.prefix)
            self._fail(handle.span, exc)
            handle.span.end()
            raise
        self._node_ended(handle, ex, status)
        return status, out

    def _node_started(self, ex: LevelWalk, node: Node, value: Any) -> _Open | None:
        if isinstance(node, (SleepNode, StepNode)) or ex.replayed(node):
            return None
        attrs: Attrs
        if isinstance(node, ParallelNode):
            name = T.PARALLEL_SPAN.format(count=len(node.steps))
            attrs = {T.SPAN_TYPE: T.TYPE_PARALLEL, T.PARALLEL_BRANCH_COUNT: len(node.steps), T.PARALLEL_STEPS: list(node.ids)}
        elif isinstance(node, ConditionalNode):
            name = T.CONDITIONAL_SPAN.format(count=len(node.branches))
            attrs = {T.SPAN_TYPE: T.TYPE_CONDITIONAL, T.CONDITION_COUNT: len(node.branches)}
        elif isinstance(node, LoopNode):
            name = T.LOOP_SPAN.format(kind=node.kind)
            attrs = {T.SPAN_TYPE: T.TYPE_LOOP, T.LOOP_TYPE: node.kind}
        else:
            name = T.LOOP_SPAN.format(kind="foreach")
            attrs = {T.SPAN_TYPE: T.TYPE_LOOP, T.LOOP_TYPE: "foreach"}
            if not callable(node.concurrency):  # a function's value is recorded once resolved
                attrs[T.LOOP_CONCURRENCY] = node.concurrency
            prev = ex.steps.get(node.step.id) if ex.replay else None
            items = prev.payload if prev is not None and prev.status == "suspended" else value
            if isinstance(items, (list, tuple)):
                attrs[T.FOREACH_ITEM_COUNT] = len(items)
        if node.entry:
            _entry_attrs(node.entry, attrs)
            if node.entry.id:  # Mastra names the span after the authored id: `parallel: 'check-document'`
                name = name.split(":", 1)[0] + f": '{node.entry.id.strip()}'"
        start = time.time_ns()
        parent = self._scopes.get(ex.prefix, self._run)
        span = self._tracer.start_span(name, context=parent.ctx, attributes=attrs, start_time=start)
        handle = _Open(span, ex.prefix, start, node)
        for step_id in node.ids:
            self._parents[ex.prefix + step_id] = handle
        self._live[handle] = None
        return handle

    def foreach_concurrency(self, name: str, concurrency: int) -> None:
        handle = self._parents.get(name)
        if handle is not None:
            handle.span.set_attribute(T.LOOP_CONCURRENCY, concurrency)

    def _node_done(self, handle: _Open, prefix: str) -> None:
        for step_id in handle.node.ids:
            self._parents.pop(prefix + step_id, None)
        self._live.pop(handle, None)

    def _node_ended(self, handle: _Open, ex: LevelWalk, status: str) -> None:
        self._node_done(handle, ex.prefix)
        span = handle.span
        span.set_attribute(T.STATUS, status)
        if isinstance(handle.node, (LoopNode, ForeachNode)):
            span.set_attribute(T.LOOP_TOTAL_ITERATIONS, handle.iterations)
        if status == "failed":
            error = ex.error
            if isinstance(error, BaseException) and error in self._errors:
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            else:
                self._fail(span, error if error is not None else "failed")
        elif status == "canceled":
            self._cancel(span)
        span.end()

    def conditional(self, prefix: str, node: ConditionalNode, verdicts: Sequence[bool]) -> None:
        handle = self._parents.get(prefix + node.ids[0])
        if handle is None:
            return
        now = time.time_ns()
        truthy = [i for i, ok in enumerate(verdicts) if ok]
        for i, ok in enumerate(verdicts):
            attrs: Attrs = {T.SPAN_TYPE: T.TYPE_CONDITION, T.CONDITION_INDEX: i, T.CONDITION_RESULT: bool(ok)}
            span = self._tracer.start_span(T.CONDITION_SPAN.format(index=i), context=handle.ctx, attributes=attrs, start_time=handle.start)
            span.end(end_time=now)
        handle.span.set_attribute(T.TRUTHY_INDEXES, truthy)
        handle.span.set_attribute(T.SELECTED_STEPS, [node.branches[i][1].id for i in truthy])

    def loop_iteration(self, name: str, kind: str, iteration: int, holds: bool) -> None:
        handle = self._parents.get(name)
        if handle is None:
            return
        attrs: Attrs = {T.SPAN_TYPE: T.TYPE_CONDITION, T.LOOP_TYPE: kind, T.LOOP_ITERATION: iteration, T.CONDITION_RESULT: holds}
        span = self._tracer.start_span(
            T.LOOP_CONDITION_SPAN.format(kind=kind), context=handle.ctx, attributes=attrs, start_time=handle.mark
        )
        span.end()
        handle.iterations = max(handle.iterations, iteration)


def _entry_attrs(entry: EntryOptions, attrs: Attrs) -> None:
    """The authored identity of a control-flow entry, as Mastra's entryId/entryDescription/entryMetadata."""
    if entry.id and entry.id.strip():
        attrs[T.ENTRY_ID] = entry.id.strip()
    if entry.description and entry.description.strip():
        attrs[T.ENTRY_DESCRIPTION] = entry.description.strip()
    if entry.metadata is not None:
        attrs[T.ENTRY_METADATA] = _json(entry.metadata)
