"""Working-hours arithmetic for response times: pure, no clock, no database.

A working day is Monday to Friday, 07:30–11:30 and 13:00–17:00 local time (eight hours, the
usual office hours of Vietnamese state agencies); weekends and the given holidays do not count.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# (start, end) of each working period of a day, local time.
PERIODS: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def _periods(day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, a, tzinfo=tz), datetime.combine(day, b, tzinfo=tz))
        for a, b in PERIODS
    ]


def working_hours_between(
    start: datetime, end: datetime, tz: ZoneInfo, holidays: Collection[date] = ()
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
        if is_working_day(day, holidays):
            for p_start, p_end in _periods(day, tz):
                lo, hi = max(p_start, a), min(p_end, b)
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def add_working_hours(
    start: datetime, hours: float, tz: ZoneInfo, holidays: Collection[date] = ()
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
        if is_working_day(day, holidays):
            for p_start, p_end in _periods(day, tz):
                lo = max(p_start, cursor)
                if p_end <= lo:
                    continue
                if lo + left <= p_end:
                    return (lo + left).astimezone(UTC)
                left -= p_end - lo
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tzinfo=tz)
    raise ValueError("no working time found within ten years")
