"""What `sleep` and `sleep_until` accept, given to the builder or returned by their function.

One set of rules for both, so a wrong value is a clear error (at build time, or a failed run)
instead of a silent zero-length sleep. `sleep_until` reads a value as Mastra's
`new Date(value)` does: a number is epoch milliseconds, a string an ISO-8601 date.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration_ms(value: Any, where: str) -> float:
    """The milliseconds a `sleep` waits: a number of ms or a `timedelta`. A negative, NaN or
    infinite number waits nothing (as Mastra's `!duration || duration < 0`)."""
    if isinstance(value, timedelta):
        return value.total_seconds() * 1000
    if _number(value):
        return float(value)
    raise TypeError(f"{where} must be a number of milliseconds or a datetime.timedelta, got {value!r}")


def until_ms(value: Any, where: str) -> float:
    """The epoch milliseconds a `sleep_until` waits until, from a `datetime`, an ISO-8601
    string or epoch milliseconds. A naive datetime, or a string with a time and no offset, is
    local time (`datetime.timestamp()`, and JavaScript's `Date`); a date-only string is
    midnight UTC (as JavaScript reads it)."""
    if isinstance(value, datetime):
        return value.timestamp() * 1000
    if isinstance(value, str):
        return _parse(value, where).timestamp() * 1000
    if _number(value):
        if not math.isfinite(value):
            raise ValueError(f"{where} must be a finite number of epoch milliseconds, got {value!r}")
        return float(value)
    raise TypeError(f"{where} must be a datetime, an ISO-8601 string or epoch milliseconds, got {value!r}")


def until_datetime(value: Any, where: str) -> datetime:
    """`until_ms` as an aware datetime (what a plan keeps of a fixed `sleep_until` value)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.astimezone()
    ms = until_ms(value, where)
    try:
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{where} is out of the range of dates, got {value!r}") from None


def _parse(text: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{where} must be a datetime, an ISO-8601 string or epoch milliseconds, got the string {text!r}") from None
    if parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=UTC) if _DATE_ONLY.fullmatch(text.strip()) else parsed.astimezone()
