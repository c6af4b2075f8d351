"""Pure deadline logic: days left, schedules, the working-hour rule, catch-up, date input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from criteria.calendar import (
    CalendarInputError,
    Deadline,
    days_left,
    digest_due,
    due_offset,
    in_working_hours,
    local_today,
    parse_date,
    parse_date_range,
    schedule,
    set_deadlines,
    split_by_time,
)
from criteria.loader import require_catalogue
from handlers.texts.deadlines import days_phrase

VN = ZoneInfo("Asia/Ho_Chi_Minh")
END = date(2021, 11, 15)
OFFSETS = (7, 3, 1, 0)


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("end", "today", "left", "phrase"),
    [
        (END, date(2021, 11, 12), 3, "còn 3 ngày"),
        (END, END, 0, "hôm nay"),
        (END, date(2021, 11, 17), -2, "quá hạn 2 ngày"),
        (date(2022, 1, 1), date(2021, 12, 31), 1, "còn 1 ngày"),
    ],
)
def test_days_left_and_phrase(end: date, today: date, left: int, phrase: str) -> None:
    assert days_left(end, today) == left
    assert days_phrase(end, today) == phrase


def test_local_day_is_vietnam_not_utc() -> None:
    # 18:30 UTC on the 14th is already 01:30 on the 15th in Hà Nội.
    assert local_today(datetime(2021, 11, 14, 18, 30, tzinfo=UTC), VN) == END


def test_schedule_at_working_hour() -> None:
    assert schedule(END, OFFSETS, VN, 8) == [
        vn(2021, 11, 8, 8),
        vn(2021, 11, 12, 8),
        vn(2021, 11, 14, 8),
        vn(2021, 11, 15, 8),
    ]
    assert schedule(END, (), VN, 8) == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (vn(2021, 11, 1, 9), None),  # too early
        (vn(2021, 11, 8, 7, 59), None),  # the day, before the working hour
        (vn(2021, 11, 8, 8), 7),
        (vn(2021, 11, 10, 15), 7),  # still the 7-day one until the 3-day one is due
        (vn(2021, 11, 12, 8, 1), 3),
        (vn(2021, 11, 13, 22), None),  # quiet hours
        (vn(2021, 11, 14, 6), None),  # night
        (vn(2021, 11, 14, 10), 1),
        (vn(2021, 11, 15, 8), 0),
        (vn(2021, 11, 15, 20, 59), 0),
        (vn(2021, 11, 16, 9), None),  # deadline passed: no late reminder
    ],
)
def test_due_offset(now: datetime, expected: int | None) -> None:
    assert due_offset(END, OFFSETS, now, VN, 8) == expected


def test_catch_up_after_downtime_sends_only_latest() -> None:
    # Down from the 7th to the 13th: both the 7- and 3-day reminders were missed; only the
    # latest (3) is due, once; the 1-day one follows on the 14th.
    assert due_offset(END, OFFSETS, vn(2021, 11, 13, 9), VN, 8) == 3
    assert due_offset(END, OFFSETS, vn(2021, 11, 14, 9), VN, 8) == 1


def test_working_hours_rule_and_custom_hour() -> None:
    assert not in_working_hours(vn(2021, 11, 12, 7, 59), VN, 8)
    assert in_working_hours(vn(2021, 11, 12, 8), VN, 8)
    assert not in_working_hours(vn(2021, 11, 12, 21), VN, 8)
    assert due_offset(END, OFFSETS, vn(2021, 11, 12, 9), VN, 10) is None
    assert due_offset(END, OFFSETS, vn(2021, 11, 12, 10), VN, 10) == 3


def test_digest_days() -> None:
    window = Deadline(key="tu-cham", title="t", start=date(2021, 11, 5), end=END,
                      audience="departments")
    assert not digest_due(window, vn(2021, 11, 4, 9), VN, 8)
    assert digest_due(window, vn(2021, 11, 5, 9), VN, 8)
    assert digest_due(window, vn(2021, 11, 18, 9), VN, 8)
    assert not digest_due(window, vn(2021, 11, 19, 9), VN, 8)
    assert not digest_due(window, vn(2021, 11, 10, 7), VN, 8)
    other = Deadline(key="x", title="t", end=END, audience="all")
    assert not digest_due(other, vn(2021, 11, 10, 9), VN, 8)


def test_shipped_set_calendar() -> None:
    cset = require_catalogue().current
    steps = {d.key: d for d in set_deadlines(cset)}
    assert steps["tu-cham"].reminders == (7, 3, 1, 0)
    assert steps["cong-bo"].reminders == ()
    past, current, upcoming = split_by_time(list(steps.values()), date(2021, 11, 10))
    assert [d.key for d in current] == ["tu-cham"]
    assert "tong-hop" in [d.key for d in upcoming] and not past
    past, current, upcoming = split_by_time(list(steps.values()), date(2026, 5, 1))
    assert len(past) == len(steps) and not current and not upcoming


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/11/2021", (None, END)),
        ("5/11/21", (None, date(2021, 11, 5))),
        ("15-11-2021", (None, END)),
        ("05/11/2021 - 15/11/2021", (date(2021, 11, 5), END)),
        ("05/11/2021 đến 15/11/2021", (date(2021, 11, 5), END)),
        ("05/11/2021–15/11/2021", (date(2021, 11, 5), END)),
    ],
)
def test_parse_dates(text: str, expected: tuple[date | None, date]) -> None:
    assert parse_date_range(text) == expected


@pytest.mark.parametrize(
    "text", ["", "mai", "31/02/2021", "15/13/2021", "15/11/1999", "15/11/2021 - 01/11/2021",
             "1/1/2021 - 2/1/2021 - 3/1/2021"]
)
def test_parse_dates_rejects(text: str) -> None:
    with pytest.raises(CalendarInputError):
        parse_date_range(text)


def test_parse_date_message_names_bad_day() -> None:
    with pytest.raises(CalendarInputError, match="31/02/2021"):
        parse_date("31/02/2021")
