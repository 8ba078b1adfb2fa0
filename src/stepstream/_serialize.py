"""Errors to Mastra's JSON: `{message, name, cause?, ...custom attributes}`, no stack."""

from __future__ import annotations

import math
from typing import Any

from ._schema import to_json

_MAX_CAUSE_DEPTH = 8


def serialize_error(error: Any, depth: int = 0) -> dict[str, Any] | None:
    """An exception (or an already serialized dict) as Mastra's error JSON."""
    if error is None:
        return None
    if isinstance(error, dict):
        return error
    if not isinstance(error, BaseException):
        return {"message": str(error), "name": "Error"}
    # str(), not args: some exceptions (pydantic's ValidationError) carry their text without args
    out: dict[str, Any] = {"message": str(error) or type(error).__name__, "name": type(error).__name__}
    if getattr(type(error), "non_retryable", False) is True:
        out["isNonRetryable"] = True  # Mastra's `MastraNonRetryableError` field
    for key, value in vars(error).items():
        if key.startswith("_") or key in ("message", "name", "cause"):
            continue
        try:
            out[key] = to_json(value)
        except Exception:
            continue
    cause = getattr(error, "cause", None) or error.__cause__
    if cause is not None and depth < _MAX_CAUSE_DEPTH:
        out["cause"] = serialize_error(cause, depth + 1)
    return out


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None, as `JSON.stringify` writes them
    (strict JSON has no NaN): for encoders that refuse them (storage, the server's answers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
