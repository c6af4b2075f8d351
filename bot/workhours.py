"""Working-hours arithmetic for response times: pure, no clock, no database.

By default a working day is Monday to Friday, 07:30–11:30 and 13:00–17:00 local time (eight
hours, the usual office hours of Vietnamese state agencies); weekends and the given holidays do
not count. Both are settings (``WORKING_HOURS``, ``WORKING_DAYS``): see :func:`parse_periods`
and :func:`parse_days`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# (start, end) of each working period of a day, in minutes after local midnight.
Periods = tuple[tuple[int, int], ...]
PERIODS: Periods = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60, 17 * 60))
WEEKDAYS: frozenset[int] = frozenset(range(1, 6))  # ISO weekdays: 1 is Monday, 7 Sunday

_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAYS = re.compile(r"^([1-7])(?:-([1-7]))?$")


def parse_periods(text: str) -> Periods:
    """``"07:30-11:30,13:00-17:00"`` → minutes after midnight; ``24:00`` ends a day. The
    periods must be in order and not overlap; ValueError otherwise."""
    out: list[tuple[int, int]] = []
    for part in text.replace(" ", "").split(","):
        found = _PERIOD.match(part)
        if found is None:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or not 0 <= start < end <= 24 * 60:
            raise ValueError(part)
        if out and start < out[-1][1]:
            raise ValueError(part)
        out.append((start, end))
    return tuple(out)


def parse_days(text: str) -> frozenset[int]:
    """``"1-5"`` or ``"1,2,3,4,5,6"`` (ISO weekdays, 1 is Monday) → the set; ValueError
    when empty or malformed."""
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        found = _DAYS.match(part)
        if found is None:
            raise ValueError(part)
        first = int(found.group(1))
        last = int(found.group(2) or first)
        if last < first:
            raise ValueError(part)
        days.update(range(first, last + 1))
    return frozenset(days)


def is_working_day(
    day: date, holidays: Collection[date] = (), days: Collection[int] = WEEKDAYS
) -> bool:
    return day.isoweekday() in days and day not in holidays


def _periods(day: date, tz: ZoneInfo, periods: Periods) -> list[tuple[datetime, datetime]]:
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    return [
        (midnight + timedelta(minutes=a), midnight + timedelta(minutes=b)) for a, b in periods
    ]


def working_hours_between(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    holidays: Collection[date] = (),
    periods: Periods = PERIODS,
    days: Collection[int] = WEEKDAYS,
) -> float:
    """Working hours elapsed from ``start`` to ``end`` (0 when ``end`` is not later)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("working hours need aware datetimes")
    if end <= start:
        return 0.0
    a, b = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    day = a.date()
    while day <= b.date():
        if is_working_day(day, holidays, days):
            for p_start, p_end in _periods(day, tz, periods):
                lo, hi = max(p_start, a), min(p_end, b)
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def add_working_hours(
    start: datetime,
    hours: float,
    tz: ZoneInfo,
    holidays: Collection[date] = (),
    periods: Periods = PERIODS,
    days: Collection[int] = WEEKDAYS,
) -> datetime:
    """The moment (UTC) when ``hours`` working hours have passed since ``start``."""
    if start.tzinfo is None:
        raise ValueError("working hours need an aware datetime")
    if hours < 0:
        raise ValueError("hours must not be negative")
    if hours == 0:
        return start.astimezone(UTC)
    left = timedelta(hours=hours)
    cursor = start.astimezone(tz)
    day = cursor.date()
    # Far enough for any realistic setting; a guard against an endless holiday list.
    for _ in range(3660):
        if is_working_day(day, holidays, days):
            for p_start, p_end in _periods(day, tz, periods):
                lo = max(p_start, cursor)
                if p_end <= lo:
                    continue
                if lo + left <= p_end:
                    return (lo + left).astimezone(UTC)
                left -= p_end - lo
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tzinfo=tz)
    raise ValueError("no working time found within ten years")
