"""Deadlines and reminder schedules: pure date logic (no aiogram, no database).

A deadline ends on a calendar day in the local timezone (Asia/Ho_Chi_Minh by default). A
reminder with offset ``k`` is due from ``reminder_hour`` local on the day ``k`` days before
the end; reminders go out only in the working window ``[reminder_hour, QUIET_HOUR)`` local.
After downtime the latest due offset is the one to send (once), so a missed reminder for a
deadline still ahead goes late rather than never, and never several at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from criteria.schema import CriteriaSet

QUIET_HOUR = 21
"""No reminder is sent from this local hour until the next day's reminder hour."""

DIGEST_AFTER_DAYS = 3
"""Coordinators' daily digest runs through the scoring window and this many days after it."""

AUDIENCES = ("departments", "coordinators", "all")


class CalendarInputError(ValueError):
    """A date (or date range) typed by a user that cannot be read; the message says why."""


@dataclass(frozen=True)
class Deadline:
    """One calendar step as it applies to a unit (the set's step, or the unit's own)."""

    key: str
    title: str
    end: date
    start: date | None = None
    audience: str = "all"
    reminders: tuple[int, ...] = (7, 3, 1, 0)
    note: str | None = None
    added: bool = False
    """Added by the unit's coordinator (may be removed), not from the criteria set."""
    changed: bool = False
    """A step of the set whose dates the unit's coordinator changed."""


def set_deadlines(cset: CriteriaSet) -> list[Deadline]:
    """The set's calendar; a step without its own ``reminders`` takes the set's default."""
    return [
        Deadline(
            key=step.id,
            title=step.title,
            start=step.start,
            end=step.end,
            audience=step.audience,
            reminders=step.reminders if step.reminders is not None else cset.reminders,
            note=step.note,
        )
        for step in cset.calendar
    ]


def ordered(deadlines: list[Deadline]) -> list[Deadline]:
    return sorted(deadlines, key=lambda d: (d.end, d.start or d.end, d.key))


def local_today(now: datetime, tz: tzinfo) -> date:
    return now.astimezone(tz).date()


def days_left(end: date, today: date) -> int:
    """Whole days from ``today`` to ``end``: 0 on the day, negative when overdue."""
    return (end - today).days


def is_past(deadline: Deadline, today: date) -> bool:
    return deadline.end < today


def is_current(deadline: Deadline, today: date) -> bool:
    start = deadline.start or deadline.end
    return start <= today <= deadline.end


def split_by_time(
    deadlines: list[Deadline], today: date
) -> tuple[list[Deadline], list[Deadline], list[Deadline]]:
    """(past, current, upcoming), each in calendar order."""
    past, current, upcoming = [], [], []
    for d in ordered(deadlines):
        if is_past(d, today):
            past.append(d)
        elif is_current(d, today):
            current.append(d)
        else:
            upcoming.append(d)
    return past, current, upcoming


def reminder_at(end: date, offset: int, tz: tzinfo, hour: int) -> datetime | None:
    """When the reminder ``offset`` days before ``end`` is due (aware, in ``tz``); None when
    no date is that far back (before year 1, or an offset beyond what a date can hold): such
    a reminder is skipped and never stops the others. Validation refuses offsets beyond a
    year, but this must not depend on it."""
    try:
        return datetime.combine(end - timedelta(days=offset), time(hour), tzinfo=tz)
    except (OverflowError, ValueError):
        return None


def schedule(end: date, offsets: tuple[int, ...], tz: tzinfo, hour: int) -> list[datetime]:
    """Every reminder time of a deadline, earliest first (impossible ones left out)."""
    times = (reminder_at(end, k, tz, hour) for k in set(offsets) if k >= 0)
    return sorted(t for t in times if t is not None)


def in_working_hours(now: datetime, tz: tzinfo, hour: int) -> bool:
    """Whether reminders may go out now: from ``hour`` until :data:`QUIET_HOUR` local."""
    return hour <= now.astimezone(tz).hour < QUIET_HOUR


def due_offset(
    end: date, offsets: tuple[int, ...], now: datetime, tz: tzinfo, hour: int
) -> int | None:
    """The reminder to send now, as its days-before offset, or None.

    It is the latest reminder whose time has come, while the deadline's day has not passed and
    it is working hours. Earlier offsets missed during downtime are not sent on top of it.
    """
    if not offsets or not in_working_hours(now, tz, hour):
        return None
    if local_today(now, tz) > end:
        return None
    due = []
    for k in set(offsets):
        when = reminder_at(end, k, tz, hour) if k >= 0 else None
        if when is not None and when <= now:
            due.append(k)
    return min(due) if due else None


def digest_due(deadline: Deadline, now: datetime, tz: tzinfo, hour: int) -> bool:
    """Whether today is a day of the coordinators' digest for this scoring window."""
    if deadline.audience != "departments" or not in_working_hours(now, tz, hour):
        return False
    today = local_today(now, tz)
    start = deadline.start or deadline.end
    return start <= today and (today - deadline.end).days <= DIGEST_AFTER_DAYS


_DATE_RE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})\s*$")
_RANGE_SPLIT = re.compile(r"\s+(?:-|–|—|đến|den|to)\s+|\s*(?:–|—)\s*", re.IGNORECASE)


def parse_date(text: str) -> date:
    """A day written as dd/mm/yyyy (also d/m/yy, with '-' or '.')."""
    match = _DATE_RE.match(text)
    if match is None:
        raise CalendarInputError("ngày phải viết dạng ngày/tháng/năm, ví dụ 15/11/2021")
    day, month, year = (int(g) for g in match.groups())
    if len(match.group(3)) == 2:  # "21" is 2021; a 4-digit year is taken as written
        year += 2000
    if not 2000 <= year <= 2100:
        raise CalendarInputError("năm phải trong khoảng 2000–2100")
    try:
        return date(year, month, day)
    except ValueError:
        raise CalendarInputError(f"ngày {day:02d}/{month:02d}/{year} không có thật") from None


def parse_date_range(text: str) -> tuple[date | None, date]:
    """One day (the deadline) or 'start - end'; the end may not come before the start."""
    parts = [p for p in _RANGE_SPLIT.split(text.strip()) if p.strip()]
    if len(parts) == 1:
        return None, parse_date(parts[0])
    if len(parts) == 2:
        start, end = parse_date(parts[0]), parse_date(parts[1])
        if end < start:
            raise CalendarInputError("ngày kết thúc phải sau hoặc trùng ngày bắt đầu")
        return start, end
    raise CalendarInputError("hãy gõ một ngày, hoặc hai ngày cách nhau bởi dấu gạch ngang")


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")
