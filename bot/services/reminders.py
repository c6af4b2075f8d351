"""The reminder scheduler: who is reminded of what, claimed once in the database.

Each tick looks at every unit's calendar (see :mod:`criteria.calendar` for the schedule and
the working-hour rule). For a reminder that is due it claims a ``reminder_sent`` row per
person (unique on person, deadline and step, inserted with ON CONFLICT DO NOTHING) and, in the
same transaction, puts the message in the outbox; a second scheduler on the same database
finds the row taken and sends nothing. Work is re-read on every tick, so reminders stop as
soon as a department has nothing left.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person, ReminderSent, Unit
from bot.services.deadlines import Work, unfinished_work, unit_calendar
from bot.services.outbox import enqueue, insert_or_ignore
from bot.services.people import Role
from criteria.calendar import Deadline, digest_due, due_offset, local_today
from criteria.schema import CriteriaSet

log = logging.getLogger(__name__)

Message = tuple[str, dict[str, Any] | None]


class Renderer(Protocol):
    """The texts and buttons of reminders (they live with the handlers' texts)."""

    def officer(self, deadline: Deadline, today: date, department: str, work: Work) -> Message:
        ...

    def coordinator(
        self, deadline: Deadline, today: date, names: Mapping[str, str], work: Mapping[str, Work]
    ) -> Message: ...

    def digest(
        self, deadline: Deadline, today: date, names: Mapping[str, str], work: Mapping[str, Work]
    ) -> Message: ...


@dataclass
class TickResult:
    queued: int = 0
    already_claimed: int = 0


def deadline_key(cset: CriteriaSet, deadline: Deadline) -> str:
    """A moved date is a new deadline with its own schedule, hence the end date in the key."""
    return f"{cset.id}:{deadline.key}:{deadline.end:%Y%m%d}"


async def _claim_and_queue(
    session: AsyncSession,
    person: Person,
    key: str,
    step: str,
    message: Message,
    kind: str,
    now: datetime,
    result: TickResult,
) -> None:
    claim_id = await insert_or_ignore(
        session,
        ReminderSent,
        {"person_id": person.id, "deadline_key": key, "step": step, "created_at": now},
    )
    if claim_id is None:
        result.already_claimed += 1
        return
    text, markup = message
    queued = await enqueue(
        session,
        chat_id=person.telegram_id,
        text=text,
        reply_markup=markup,
        kind=kind,
        dedup_key=f"rem:{person.id}:{key}:{step}",
        now=now,
    )
    if queued is not None:
        await session.execute(
            update(ReminderSent).where(ReminderSent.id == claim_id).values(outbox_id=queued.id)
        )
        result.queued += 1


async def tick(
    session: AsyncSession,
    *,
    cset: CriteriaSet,
    now: datetime,
    tz: tzinfo,
    hour: int,
    render: Renderer,
) -> TickResult:
    """Queue every reminder due now that nobody has claimed yet; the caller commits."""
    result = TickResult()
    today = local_today(now, tz)
    names = {d.code: d.name for d in cset.departments}
    people = (
        await session.execute(
            select(Person)
            .where(
                Person.active.is_(True),
                Person.unit_id.is_not(None),
                Person.role.in_([Role.OFFICER.value, Role.COORDINATOR.value]),
            )
            .order_by(Person.unit_id, Person.id)
        )
    ).scalars().all()
    by_unit: dict[int, list[Person]] = {}
    for person in people:
        assert person.unit_id is not None
        by_unit.setdefault(person.unit_id, []).append(person)
    units = (await session.execute(select(Unit.id).where(Unit.id.in_(by_unit)))).scalars().all()
    for unit_id in units:
        calendar = await unit_calendar(session, unit_id, cset)
        work: Mapping[str, Work] | None = None
        for deadline in calendar:
            offset = due_offset(deadline.end, deadline.reminders, now, tz, hour)
            digest = digest_due(deadline, now, tz, hour)
            if offset is None and not digest:
                continue
            if work is None:
                work = {
                    dep: w
                    for dep, w in (await unfinished_work(session, unit_id, cset)).items()
                    if w.unscored or w.missing_evidence
                }
            if not work:
                break
            key = deadline_key(cset, deadline)
            for person in by_unit[unit_id]:
                coordinator = person.role == Role.COORDINATOR.value
                if offset is not None:
                    step = str(offset)
                    if not coordinator and deadline.audience in ("departments", "all"):
                        mine = work.get(person.department or "")
                        if mine is not None:
                            name = names.get(person.department or "", person.department or "")
                            message = render.officer(deadline, today, name, mine)
                            await _claim_and_queue(
                                session, person, key, step, message, "reminder", now, result
                            )
                    elif coordinator and deadline.audience in ("coordinators", "all"):
                        message = render.coordinator(deadline, today, names, work)
                        await _claim_and_queue(
                            session, person, key, step, message, "reminder", now, result
                        )
                if digest and coordinator:
                    message = render.digest(deadline, today, names, work)
                    await _claim_and_queue(
                        session, person, key, f"digest-{today:%Y%m%d}", message, "digest", now,
                        result,
                    )
    if result.queued:
        log.info(
            "Reminders: %d queued (%d already claimed)", result.queued, result.already_claimed
        )
    return result
