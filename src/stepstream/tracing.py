"""OpenTelemetry tracing: the options a run takes, and the span names and attributes it emits.

The spans come from an interceptor (`stepstream.otel.TracingInterceptor`, the `otel`
extra), which the engine adds by itself when tracing may be configured: a provider
given to `stepstream.tracing.set_tracer_provider(...)`, or OpenTelemetry imported in
the process (a global provider set with `opentelemetry.trace.set_tracer_provider`, a
vendor distro such as Logfire). Spans are recorded when that provider is a real one
(the SDK, a distro). Otherwise OpenTelemetry is never imported, and tracing costs one
check per run.

Span tree of one execution (`start`, `resume`, `restart`, `time_travel`)::

    workflow run: 'order'                      one per execution; ` (resumed)` on resume
    ├── workflow step: 'fetch'                 each executed step (foreach items too)
    │   └── workflow step: 'inner'             steps of a nested workflow, under its step span
    ├── parallel: '2 branches'
    │   └── workflow step: 'a' ...
    ├── conditional: '2 conditions'
    │   ├── condition '0'                      one per evaluated condition
    │   └── workflow step: 'chosen'
    ├── loop: 'dowhile' | 'dountil' | 'foreach'
    │   ├── workflow step: 'body'              one per iteration or item
    │   └── condition: 'dowhile'               one per loop condition check
    └── sleep: 500ms | sleepUntil: <iso> | sleep: dynamic

The names follow Mastra's. Each `*_SPAN` constant is a `str.format` template.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from .interceptors import Interceptor


# -- span names (str.format templates) ---------------------------------------------------
RUN_SPAN = "workflow run: '{workflow_id}'"
RESUMED_SUFFIX = " (resumed)"
STEP_SPAN = "workflow step: '{step_id}'"
PARALLEL_SPAN = "parallel: '{count} branches'"
CONDITIONAL_SPAN = "conditional: '{count} conditions'"
CONDITION_SPAN = "condition '{index}'"
LOOP_SPAN = "loop: '{kind}'"
LOOP_CONDITION_SPAN = "condition: '{kind}'"
SLEEP_SPAN = "sleep: {ms}ms"
SLEEP_UNTIL_SPAN = "sleepUntil: {until}"
SLEEP_DYNAMIC_SPAN = "sleep: dynamic"
SLEEP_UNTIL_DYNAMIC_SPAN = "sleepUntil: dynamic"

# -- span types (value of SPAN_TYPE, Mastra's span types) ---------------------------------
TYPE_RUN = "workflow_run"
TYPE_STEP = "workflow_step"
TYPE_PARALLEL = "workflow_parallel"
TYPE_CONDITIONAL = "workflow_conditional"
TYPE_CONDITION = "workflow_conditional_eval"
TYPE_LOOP = "workflow_loop"
TYPE_SLEEP = "workflow_sleep"

# -- attributes ------------------------------------------------------------------------
SPAN_TYPE = "stepstream.span.type"
WORKFLOW_ID = "stepstream.workflow.id"
RUN_ID = "stepstream.run.id"
RESOURCE_ID = "stepstream.resource.id"
RUN_STATUS = "stepstream.run.status"
#: "start", "resume", "restart" or "time_travel"
RUN_OPERATION = "stepstream.run.operation"
RESUMED = "stepstream.resumed"
RESUMED_FROM_SPAN_ID = "stepstream.resumed_from_span_id"
RESUMED_FROM_TRACE_ID = "stepstream.resumed_from_trace_id"
TAGS = "stepstream.tags"
METADATA_PREFIX = "stepstream.metadata."
REQUEST_CONTEXT_PREFIX = "stepstream.request_context."
INPUT = "stepstream.input"
OUTPUT = "stepstream.output"
SUSPEND_PAYLOAD = "stepstream.suspend_payload"
STEP_ID = "stepstream.step.id"
#: The step's id with the ids of its enclosing nested-workflow steps, `outer.inner`.
STEP_PATH = "stepstream.step.path"
STEP_STATUS = "stepstream.step.status"
#: Status of a parallel, conditional or loop span.
STATUS = "stepstream.status"
FOREACH_INDEX = "stepstream.foreach.index"
FOREACH_ITEM_COUNT = "stepstream.foreach.item_count"
PARALLEL_BRANCH_COUNT = "stepstream.parallel.branch_count"
PARALLEL_STEPS = "stepstream.parallel.steps"
CONDITION_COUNT = "stepstream.conditional.condition_count"
TRUTHY_INDEXES = "stepstream.conditional.truthy_indexes"
SELECTED_STEPS = "stepstream.conditional.selected_steps"
CONDITION_INDEX = "stepstream.condition.index"
CONDITION_RESULT = "stepstream.condition.result"
LOOP_TYPE = "stepstream.loop.type"
LOOP_ITERATION = "stepstream.loop.iteration"
LOOP_TOTAL_ITERATIONS = "stepstream.loop.total_iterations"
LOOP_CONCURRENCY = "stepstream.loop.concurrency"
SLEEP_TYPE = "stepstream.sleep.type"
SLEEP_DURATION_MS = "stepstream.sleep.duration_ms"
SLEEP_UNTIL = "stepstream.sleep.until"
#: a control-flow entry's `id`, `description` and `metadata` (JSON) given to the builder
ENTRY_ID = "stepstream.entry.id"
ENTRY_DESCRIPTION = "stepstream.entry.description"
ENTRY_METADATA = "stepstream.entry.metadata"
#: OpenTelemetry GenAI semantic conventions, set on the run span when steps report usage.
USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
#: Other usage counters: `stepstream.usage.total_tokens`, `stepstream.usage.reasoning_tokens`, ...
USAGE_PREFIX = "stepstream.usage."


class TracingOptions(TypedDict, total=False):
    """`tracing_options` of `start`, `stream`, `resume`, `resume_stream`, `restart` and `time_travel`.

    Mastra's camelCase keys (`traceId`, `parentSpanId`, `requestContextKeys`,
    `hideInput`, `hideOutput`) are accepted too.
    """

    #: 1-32 hex characters: the run span joins this trace. Invalid ids are logged and ignored.
    trace_id: str
    #: 1-16 hex characters: the run span becomes a child of this span. Invalid ids are logged and ignored.
    parent_span_id: str
    #: Set on the run span as `stepstream.tags`.
    tags: Sequence[str]
    #: Set on the run span as `stepstream.metadata.<key>`.
    metadata: Mapping[str, Any]
    #: Request-context keys (dot paths allowed, `user.id`) copied to the run span as
    #: `stepstream.request_context.<key>`.
    request_context_keys: Sequence[str]
    #: Leave `stepstream.input` off every span of the execution.
    hide_input: bool
    #: Leave `stepstream.output` and `stepstream.suspend_payload` off every span.
    hide_output: bool


_provider: list[TracerProvider | None] = [None]


def set_tracer_provider(provider: TracerProvider | None) -> None:
    """Uses `provider` for stepstream's spans instead of OpenTelemetry's global provider;
    `None` goes back to the global one."""
    _provider[0] = provider


def tracer_provider() -> TracerProvider | None:
    """The provider `set_tracer_provider` gave, or None (OpenTelemetry's global one is used)."""
    return _provider[0]


# -- the interceptor that records the spans ------------------------------------------------
_default: list[tuple[Interceptor, ...] | None] = [None]
_env: list[bool] = []


def _env_provider() -> bool:
    """Whether `OTEL_PYTHON_TRACER_PROVIDER` is set, read once (as OpenTelemetry reads it once,
    when its global provider is first asked for): a lookup in `os.environ` on every run cost
    about 2% of a short run."""
    if not _env:
        _env.append("OTEL_PYTHON_TRACER_PROVIDER" in os.environ)
    return _env[0]


def default_interceptors() -> tuple[Interceptor, ...]:
    """The OpenTelemetry interceptor when tracing may be configured, else `()`.

    Tracing may be configured when a provider was given to `set_tracer_provider`, or
    OpenTelemetry is imported in the process (a global provider can only be set
    through it), or `OTEL_PYTHON_TRACER_PROVIDER` names one. Only then is `stepstream.otel`
    imported. Without the `otel` extra there is nothing to record with: `()`."""
    if _provider[0] is None and "opentelemetry.trace" not in sys.modules and not _env_provider():
        return ()
    found = _default[0]
    if found is None:
        try:
            from .otel import TracingInterceptor
        except ImportError as exc:
            logging.getLogger("stepstream").warning("stepstream tracing is off: %s", exc)
            found = ()
        else:
            found = (TracingInterceptor(),)
        _default[0] = found
    return found
