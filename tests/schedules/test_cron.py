"""Cron parsing and next fire times: 5, 6 and 7 fields, time zones, DST by cron's usual rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stepstream import ScheduleError
from stepstream.schedules import Cron, check_cron
from stepstream.schedules.cron import host_zone

from .conftest import ms


def utc(value: int | None) -> str:
    assert value is not None
    return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def fires(cron: Cron, after: int, n: int) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        nxt = cron.next_after(after)
        out.append(utc(nxt))
        assert nxt is not None
        after = nxt
    return out


def test_five_fields_minutes_and_strictly_after() -> None:
    cron = Cron("*/15 * * * *", "UTC")
    assert fires(cron, ms(2027, 1, 1, 0, 0), 3) == ["2027-01-01 00:15:00", "2027-01-01 00:30:00", "2027-01-01 00:45:00"]
    assert utc(cron.next_after(ms(2027, 1, 1, 0, 14, 59) + 999)) == "2027-01-01 00:15:00"


def test_six_fields_have_seconds_first() -> None:
    cron = Cron("*/20 * * * * *", "UTC")
    assert fires(cron, ms(2027, 1, 1, 0, 0, 0), 3) == ["2027-01-01 00:00:20", "2027-01-01 00:00:40", "2027-01-01 00:01:00"]


def test_seven_fields_have_a_year_last() -> None:
    cron = Cron("0 0 9 1 1 * 2029,2031-2033/2", "UTC")
    assert fires(cron, ms(2027, 6, 1), 3) == ["2029-01-01 09:00:00", "2031-01-01 09:00:00", "2033-01-01 09:00:00"]
    assert cron.next_after(ms(2033, 1, 2)) is None
    every_second_of_2030 = Cron("* * * * * * 2030", "UTC")
    assert utc(every_second_of_2030.next_after(ms(2027, 6, 1))) == "2030-01-01 00:00:00"


def test_time_zone_shifts_the_fire_time() -> None:
    assert utc(Cron("0 9 * * *", "Europe/Paris").next_after(ms(2027, 1, 10, 12))) == "2027-01-11 08:00:00"
    assert utc(Cron("0 9 * * *", "America/New_York").next_after(ms(2027, 1, 10, 12))) == "2027-01-10 14:00:00"


def test_daily_0230_in_paris_across_spring_forward() -> None:
    """02:30 does not exist on 2027-03-28: cron runs the job as the clock jumps (03:00 CEST), once."""
    cron = Cron("30 2 * * *", "Europe/Paris")
    assert fires(cron, ms(2027, 3, 27, 12), 3) == [
        "2027-03-28 01:00:00",  # 03:00 CEST, right after the skipped 02:00-03:00
        "2027-03-29 00:30:00",  # 02:30 CEST
        "2027-03-30 00:30:00",
    ]


def test_daily_0230_in_paris_across_fall_back() -> None:
    """02:30 happens twice on 2027-10-31: a job at a fixed time runs once, at the first."""
    cron = Cron("30 2 * * *", "Europe/Paris")
    assert fires(cron, ms(2027, 10, 30, 12), 3) == [
        "2027-10-31 00:30:00",  # 02:30 CEST; the 02:30 CET an hour later does not fire
        "2027-11-01 01:30:00",  # 02:30 CET
        "2027-11-02 01:30:00",
    ]


def test_hourly_jobs_run_every_hour_across_fall_back() -> None:
    """Jobs of one-hour granularity or finer are scheduled normally: both 02:30s fire."""
    cron = Cron("30 * * * *", "Europe/Paris")
    assert fires(cron, ms(2027, 10, 30, 23, 45), 3) == ["2027-10-31 00:30:00", "2027-10-31 01:30:00", "2027-10-31 02:30:00"]


def test_latest_until_finds_the_last_slot_even_after_a_long_outage() -> None:
    cron = Cron("* * * * * *", "UTC")
    assert cron.latest_until(ms(2027, 1, 1), ms(2027, 1, 1, 0, 0, 5) + 500) == ms(2027, 1, 1, 0, 0, 5)
    assert cron.latest_until(ms(2027, 1, 1), ms(2027, 1, 3, 7, 0, 9)) == ms(2027, 1, 3, 7, 0, 9)  # > 10,000 slots: searched backwards
    assert cron.latest_until(ms(2027, 1, 1), ms(2027, 1, 1)) == ms(2027, 1, 1)


@pytest.mark.parametrize(
    ("expr", "zone", "field", "message"),
    [
        ("61 * * * *", "UTC", "cron", "Bad minute"),
        ("* * * *", "UTC", "cron", "expected 5, 6 or 7 fields, got 4"),
        ("* * * * * * * *", "UTC", "cron", "expected 5, 6 or 7 fields, got 8"),
        ("", "UTC", "cron", "non-empty cron string"),
        ("0 0 1 1 * * 2031-2020", "UTC", "cron", "bad year '2031-2020'"),
        ("0 0 1 1 * * 1999", "UTC", "cron", "no future occurrence"),
        ("* * * * *", "Mars/Olympus", "timezone", "not an IANA time zone"),
        ("* * * * *", " ", "timezone", "expected an IANA name"),
    ],
)
def test_bad_crons_and_zones_name_the_field(expr: str, zone: str, field: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as info:
        check_cron(expr, zone)
    assert info.value.field == field


def test_missing_zone_is_the_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert str(host_zone()) == "Asia/Tokyo"
    assert utc(Cron("0 9 * * *").next_after(ms(2027, 1, 10, 12))) == "2027-01-11 00:00:00"
