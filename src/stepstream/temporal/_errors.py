"""Step errors across Temporal: raised in a worker, serialized (Mastra's error JSON), rebuilt.

An in-process run keeps a failed step's exception on its record (`result.steps[k].error`,
with its `__cause__`); on Temporal the exception was raised in another process. It comes
back as an exception of a class with the same name (a subclass of `RemoteStepError`, or of
`NonRetryableError` for one, so the walk still skips the retries), the same message,
attributes and cause chain, which serializes to the same JSON.
"""

from __future__ import annotations

from typing import Any

from ..errors import NonRetryableError

_MAX_DEPTH = 8


class RemoteStepError(Exception):
    """A step's exception, raised in a Temporal worker and rebuilt here (see the module docstring)."""


_KINDS: dict[tuple[str, type], type[Exception]] = {}


def _kind(name: str, base: type[Exception]) -> type[Exception]:
    kind = _KINDS.get((name, base))
    if kind is None:
        kind = _KINDS[(name, base)] = type(name if name.isidentifier() else "Error", (base,), {"__module__": __name__})
    return kind


def rebuild_error(data: Any, non_retryable: bool = False, depth: int = 0) -> Any:
    """The exception a serialized error stands for (anything but a dict is returned as is)."""
    if not isinstance(data, dict):
        return data
    kind = _kind(str(data.get("name") or "Error"), NonRetryableError if non_retryable else RemoteStepError)
    error = kind.__new__(kind)
    Exception.__init__(error, str(data.get("message", "")))
    for key, value in data.items():
        if key not in ("message", "name", "cause"):
            setattr(error, key, value)
    cause = data.get("cause")
    if isinstance(cause, dict) and depth < _MAX_DEPTH:
        error.__cause__ = rebuild_error(cause, False, depth + 1)
    elif cause is not None:
        error.cause = cause  # type: ignore[attr-defined]
    return error
