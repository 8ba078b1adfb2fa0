"""Cron expressions: parsing, checking and the next fire time, in a time zone.

Built on cronsim (see docs/schedules.md, "Why cronsim"): it follows Debian's
cron, DST handling included, has no dependencies and is typed. Expressions have
5 fields (minute hour day month weekday), 6 (seconds first, as in Mastra's
croner) or 7 (seconds first, year last); cronsim reads the first two forms and
this module adds the year field.

Times are Unix epoch milliseconds. A missing time zone means the host's zone
(`TZ`, else /etc/localtime, else UTC), as in Mastra.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from ..errors import ScheduleError

_YEAR_PART = re.compile(r"^(\*|\d{4}(?:-\d{4})?)(?:/(\d+))?$")
_MIN_YEAR, _MAX_YEAR = 1970, 2199
_SCAN = 10_000  # slots scanned forward before searching backwards


def _years(spec: str, expr: str) -> frozenset[int]:
    """The years a 7th cron field allows."""
    years: set[int] = set()
    for part in spec.split(","):
        match = _YEAR_PART.match(part)
        if match is None:
            raise ScheduleError(f"Invalid cron expression {expr!r}: bad year {part!r}", "cron")
        span, step = match.group(1), int(match.group(2) or 1)
        lo, _, hi = span.partition("-")
        first, last = (_MIN_YEAR, _MAX_YEAR) if span == "*" else (int(lo), int(hi or lo))
        if step < 1 or not _MIN_YEAR <= first <= last <= _MAX_YEAR:
            raise ScheduleError(f"Invalid cron expression {expr!r}: bad year {part!r} (years {_MIN_YEAR}-{_MAX_YEAR})", "cron")
        years.update(range(first, last + 1, step))
    return frozenset(years)


def host_zone() -> tzinfo:
    """The host's IANA zone: `TZ`, else /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, ValueError):
        return UTC


def zone(timezone: str | None) -> tzinfo:
    """The `tzinfo` of an IANA name (the host's zone for None); ScheduleError if unknown."""
    if timezone is None:
        return host_zone()
    if not isinstance(timezone, str) or not timezone.strip():
        raise ScheduleError(f"Invalid timezone {timezone!r}: expected an IANA name such as 'Europe/Paris'", "timezone")
    try:
        return _zone(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Invalid timezone {timezone!r}: not an IANA time zone (e.g. 'Europe/Paris', 'UTC')", "timezone") from None


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Cron:
    """A checked cron expression in a time zone."""

    def __init__(self, expr: str, timezone: str | None = None):
        if not isinstance(expr, str) or not expr.strip():
            raise ScheduleError(f"Invalid cron expression: expected a non-empty cron string (e.g. '0 * * * *'), got {expr!r}", "cron")
        fields = expr.split()
        if len(fields) not in (5, 6, 7):
            raise ScheduleError(f"Invalid cron expression {expr!r}: expected 5, 6 or 7 fields, got {len(fields)}", "cron")
        self.expr = expr
        self.years = _years(fields[6], expr) if len(fields) == 7 else None
        self._fields = " ".join(fields[:6])
        self.tz = zone(timezone)
        try:
            CronSim(self._fields, datetime(2000, 1, 1, tzinfo=self.tz))
        except CronSimError as exc:
            raise ScheduleError(f"Invalid cron expression {expr!r}: {exc}", "cron") from None

    def _after(self, start: datetime) -> Iterator[datetime]:
        """Matching times strictly after `start`, in the year field's years."""
        while True:
            for moment in CronSim(self._fields, start):
                if self.years is None or moment.year in self.years:
                    yield moment
                    continue
                later = [y for y in self.years if y > moment.year]
                if not later:
                    return
                start = datetime(min(later), 1, 1, tzinfo=self.tz) - timedelta(microseconds=1)
                break
            else:
                return

    def next_after(self, after_ms: int) -> int | None:
        """The first fire time strictly after `after_ms`, or None if there is none."""
        for moment in self._after(_at(after_ms, self.tz)):
            return _ms(moment)
        return None

    def latest_until(self, since_ms: int, until_ms: int) -> int:
        """The last fire time in (since_ms, until_ms], or `since_ms` if there is none."""
        latest = since_ms
        for count, moment in enumerate(self._after(_at(since_ms, self.tz))):
            ms = _ms(moment)
            if ms > until_ms:
                return latest
            latest = ms
            if count >= _SCAN:
                break
        else:
            return latest
        # Many slots (a long outage of a frequent schedule): search back from the end instead.
        for count, moment in enumerate(CronSim(self._fields, _at(until_ms + 1, self.tz), reverse=True)):
            if self.years is None or moment.year in self.years:
                return max(latest, _ms(moment))
            if count >= _SCAN:
                break
        return latest


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(ms: int, tz: tzinfo) -> datetime:
    """Epoch ms as an aware datetime in `tz` (exact: no float rounding)."""
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz)


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def check_cron(expr: str, timezone: str | None = None) -> Cron:
    """The parsed cron; ScheduleError naming the field if the expression or zone is invalid
    or the expression never fires again."""
    cron = Cron(expr, timezone)
    if cron.next_after(_ms(datetime.now(UTC))) is None:
        raise ScheduleError(f"Invalid cron expression {expr!r}: it has no future occurrence", "cron")
    return cron
