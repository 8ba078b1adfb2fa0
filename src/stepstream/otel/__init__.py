"""OpenTelemetry tracing for stepstream: the `TracingInterceptor` (the `otel` extra).

Imported only when tracing is configured (a tracer provider given to
`stepstream.tracing.set_tracer_provider`, or OpenTelemetry in use in the process),
so a plain `import stepstream` never imports OpenTelemetry. See `docs/tracing.md`.
"""

from __future__ import annotations

try:
    import opentelemetry.trace  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by tests/tracing/test_lazy.py
    raise ImportError(
        "stepstream's OpenTelemetry tracing needs the `otel` extra: pip install 'stepstream[otel]' "
        f"(opentelemetry-api could not be imported: {exc})"
    ) from exc

from ._interceptor import TracingInterceptor as TracingInterceptor

__all__ = ["TracingInterceptor"]
