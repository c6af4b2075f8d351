"""Working-hours arithmetic: table tests (weekends, lunch break, evenings, holidays)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.workhours import (
    add_working_hours,
    is_working_day,
    parse_days,
    parse_periods,
    working_hours_between,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    # November 2026: the 2nd is a Monday, the 7th and 8th a weekend.
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (local(2, 7, 30), local(2, 17, 0), 8.0),  # one full day
        (local(2, 8, 0), local(2, 9, 0), 1.0),
        (local(2, 11, 0), local(2, 14, 0), 1.5),  # lunch 11:30–13:00 excluded
        (local(2, 18, 0), local(3, 7, 0), 0.0),  # the night
        (local(6, 16, 0), local(9, 8, 30), 2.0),  # Friday 16:00 → Monday 08:30
        (local(7, 9, 0), local(8, 16, 0), 0.0),  # a weekend
        (local(2, 7, 30), local(6, 17, 0), 40.0),  # a working week
        (local(2, 10, 0), local(2, 9, 0), 0.0),  # end before start
    ],
)
def test_hours_between(start: datetime, end: datetime, hours: float) -> None:
    assert working_hours_between(start, end, TZ) == pytest.approx(hours)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (local(2, 8, 0), 1, local(2, 9, 0)),
        (local(2, 11, 0), 1, local(2, 13, 30)),  # across lunch
        (local(2, 8, 0), 16, local(4, 8, 0)),  # Monday 08:00 + 16 h → Wednesday 08:00
        (local(6, 9, 0), 16, local(10, 9, 0)),  # Friday 09:00 + 16 h → Tuesday 09:00
        (local(7, 10, 0), 1, local(9, 8, 30)),  # Saturday → Monday 07:30 + 1 h
        (local(2, 20, 0), 8, local(3, 17, 0)),  # evening → the whole next day
        (local(2, 17, 0), 0, local(2, 17, 0)),
    ],
)
def test_add_hours(start: datetime, hours: float, due: datetime) -> None:
    assert add_working_hours(start, hours, TZ) == due.astimezone(UTC)


def test_holidays_are_skipped() -> None:
    holidays = {date(2026, 11, 3)}
    assert not is_working_day(date(2026, 11, 3), holidays)
    assert add_working_hours(local(2, 8, 0), 16, TZ, holidays) == local(5, 8, 0).astimezone(UTC)
    assert working_hours_between(local(2, 7, 30), local(4, 17, 0), TZ, holidays) == 16.0


def test_round_trip() -> None:
    start = local(5, 15, 17)
    for hours in (0.5, 3, 8, 16, 33):
        due = add_working_hours(start, hours, TZ)
        assert working_hours_between(start, due, TZ) == pytest.approx(hours)


def test_naive_refused() -> None:
    with pytest.raises(ValueError):
        working_hours_between(datetime(2026, 11, 2, 8), local(2, 9), TZ)


@pytest.mark.parametrize(
    ("text", "periods"),
    [
        ("07:30-11:30,13:00-17:00", ((450, 690), (780, 1020))),
        ("7:00-11:00, 13:30-17:00", ((420, 660), (810, 1020))),  # a northern summer schedule
        ("00:00-24:00", ((0, 1440),)),
    ],
)
def test_periods_setting(text: str, periods: tuple[tuple[int, int], ...]) -> None:
    assert parse_periods(text) == periods


@pytest.mark.parametrize(
    "text", ["", "7-11", "11:30-07:30", "07:30-11:30,11:00-17:00", "08:60-09:00", "00:00-24:01"]
)
def test_bad_periods_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_periods(text)


def test_days_setting() -> None:
    assert parse_days("1-5") == {1, 2, 3, 4, 5}
    assert parse_days("1-5,6") == parse_days("1,2,3,4,5,6") == set(range(1, 7))
    for bad in ("", "0", "8", "5-1", "mon-fri"):
        with pytest.raises(ValueError):
            parse_days(bad)


def test_other_periods_and_days() -> None:
    always, every_day = parse_periods("00:00-24:00"), parse_days("1-7")
    # A weekend night counts when every hour of every day does.
    assert working_hours_between(
        local(7, 22, 0), local(8, 2, 30), TZ, periods=always, days=every_day
    ) == pytest.approx(4.5)
    assert add_working_hours(local(7, 23, 0), 2, TZ, periods=always, days=every_day) == local(
        8, 1, 0
    ).astimezone(UTC)
    # Mornings only, Saturdays too: Friday 10:00 + 2.5 h is Saturday 08:30.
    saturday = parse_periods("07:30-11:30"), parse_days("1-6")
    assert add_working_hours(
        local(6, 10, 0), 2.5, TZ, periods=saturday[0], days=saturday[1]
    ) == local(7, 8, 30).astimezone(UTC)
