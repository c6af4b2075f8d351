"""A unit's calendar (the set's steps plus the coordinator's changes) and what is left to do.

Coordinators add deadlines, change the dates of any step, and remove the deadlines they added;
every change is written to ``deadline_audit`` with the values before and after.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DeadlineAudit, UnitDeadline
from bot.errors import CchcError, NotFound
from bot.services import assessments
from criteria.calendar import Deadline, ordered, set_deadlines
from criteria.schema import CriteriaSet

TITLE_MIN, TITLE_MAX = 3, 200


class Work(Protocol):
    @property
    def unscored(self) -> Sequence[str]: ...

    @property
    def missing_evidence(self) -> Sequence[str]: ...


class UnknownDeadline(NotFound):
    user_message = "Không tìm thấy mốc này trong lịch của đơn vị (có thể đã bị xóa)."


class StepNotRemovable(CchcError):
    user_message = (
        "Mốc này thuộc lịch của bộ tiêu chí nên không xóa được; bạn có thể đổi ngày của nó."
    )


class BadTitle(CchcError):
    user_message = "Tên mốc cần từ 3 đến 200 ký tự."


async def unfinished_work(
    session: AsyncSession, unit_id: int, cset: CriteriaSet
) -> Mapping[str, Work]:
    """Per department with work left in the unit: unscored and missing-evidence codes.

    The one seam to the Score journey.
    """
    return await assessments.unfinished(session, unit_id, cset)


def _snapshot(row: UnitDeadline) -> dict[str, Any]:
    return {
        "title": row.title,
        "start": row.start_date.isoformat() if row.start_date else None,
        "end": row.end_date.isoformat(),
        "removed": row.removed,
    }


async def _rows(session: AsyncSession, unit_id: int, set_id: str) -> dict[str, UnitDeadline]:
    result = await session.execute(
        select(UnitDeadline).where(UnitDeadline.unit_id == unit_id, UnitDeadline.set_id == set_id)
    )
    return {row.step_id: row for row in result.scalars()}


async def unit_calendar(
    session: AsyncSession, unit_id: int | None, cset: CriteriaSet
) -> list[Deadline]:
    """The set's calendar with the unit's changes applied, in date order (set only if None)."""
    base = set_deadlines(cset)
    if unit_id is None:
        return ordered(base)
    rows = await _rows(session, unit_id, cset.id)
    out: list[Deadline] = []
    for step in base:
        row = rows.pop(step.key, None)
        if row is None:
            out.append(step)
            continue
        out.append(
            Deadline(
                key=step.key,
                title=row.title or step.title,
                start=row.start_date,
                end=row.end_date,
                audience=step.audience,
                reminders=step.reminders,
                note=step.note,
                changed=True,
            )
        )
    for row in rows.values():
        if row.removed or not row.added:
            continue
        out.append(
            Deadline(
                key=row.step_id,
                title=row.title or "",
                start=row.start_date,
                end=row.end_date,
                audience="all",
                reminders=cset.reminders,
                added=True,
            )
        )
    return ordered(out)


def find(deadlines: Sequence[Deadline], key: str) -> Deadline:
    for deadline in deadlines:
        if deadline.key == key:
            return deadline
    raise UnknownDeadline()


def check_title(text: str) -> str:
    title = " ".join(text.split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise BadTitle()
    return title


def _audit(
    session: AsyncSession,
    row: UnitDeadline,
    action: str,
    before: dict[str, Any] | None,
    actor: int | None,
    now: datetime,
) -> None:
    session.add(
        DeadlineAudit(
            unit_id=row.unit_id,
            set_id=row.set_id,
            step_id=row.step_id,
            action=action,
            before=before,
            after=_snapshot(row),
            actor=actor,
            created_at=now,
        )
    )


def new_step_id() -> str:
    """A fresh id for a deadline the unit adds."""
    return f"u{secrets.token_hex(4)}"


async def add_deadline(
    session: AsyncSession,
    *,
    unit_id: int,
    cset: CriteriaSet,
    title: str,
    start: date | None,
    end: date,
    actor: int | None,
    now: datetime,
    step_id: str | None = None,
) -> Deadline:
    """Add a unit deadline (reminders as the set's default, audience everyone).

    ``step_id`` (from :func:`new_step_id`, kept by the editor from its start) makes adding
    safe to repeat: when the unit already has that step, it is returned as it is."""
    if step_id is not None and step_id in await _rows(session, unit_id, cset.id):
        return find(await unit_calendar(session, unit_id, cset), step_id)
    row = UnitDeadline(
        unit_id=unit_id,
        set_id=cset.id,
        step_id=step_id or new_step_id(),
        title=check_title(title),
        start_date=start,
        end_date=end,
        added=True,
        removed=False,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    _audit(session, row, "add", None, actor, now)
    return find(await unit_calendar(session, unit_id, cset), row.step_id)


async def change_dates(
    session: AsyncSession,
    *,
    unit_id: int,
    cset: CriteriaSet,
    key: str,
    start: date | None,
    end: date,
    actor: int | None,
    now: datetime,
) -> Deadline:
    """Move a deadline (a set's step or the unit's own); a one-day answer keeps the start
    unless it would come after the new end."""
    current = find(await unit_calendar(session, unit_id, cset), key)
    if start is None and current.start is not None and current.start <= end:
        start = current.start
    rows = await _rows(session, unit_id, cset.id)
    row = rows.get(key)
    before = _snapshot(row) if row is not None else {
        "title": None,
        "start": current.start.isoformat() if current.start else None,
        "end": current.end.isoformat(),
        "removed": False,
    }
    if row is None:
        row = UnitDeadline(
            unit_id=unit_id,
            set_id=cset.id,
            step_id=key,
            title=None,
            added=False,
            removed=False,
            created_by=actor,
            created_at=now,
        )
        session.add(row)
    row.start_date = start
    row.end_date = end
    row.updated_at = now
    await session.flush()
    _audit(session, row, "date", before, actor, now)
    return find(await unit_calendar(session, unit_id, cset), key)


async def remove_deadline(
    session: AsyncSession,
    *,
    unit_id: int,
    cset: CriteriaSet,
    key: str,
    actor: int | None,
    now: datetime,
) -> Deadline:
    """Remove a deadline the unit added (the row stays, marked removed, for the audit)."""
    current = find(await unit_calendar(session, unit_id, cset), key)
    if not current.added:
        raise StepNotRemovable()
    row = (await _rows(session, unit_id, cset.id))[key]
    before = _snapshot(row)
    row.removed = True
    row.updated_at = now
    await session.flush()
    _audit(session, row, "remove", before, actor, now)
    return current
