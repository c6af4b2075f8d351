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

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage, Person, ReminderSent, Unit
from bot.services.deadlines import Work, unfinished_work, unit_calendar
from bot.services.outbox import PENDING, insert_many_or_ignore
from bot.services.people import Role
from bot.services.years import level_set_year
from criteria.calendar import Deadline, digest_due, due_offset, local_today
from criteria.loader import Catalogue
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


@dataclass
class _Planned:
    person: Person
    key: str
    step: str
    message: Message
    kind: str

    @property
    def dedup_key(self) -> str:
        return f"rem:{self.person.id}:{self.key}:{self.step}"


async def _claim_and_queue(
    session: AsyncSession, planned: list[_Planned], now: datetime, result: TickResult
) -> None:
    """Queue the messages and claim (person, deadline, step) for each, both or neither.

    Bulk inserts with ON CONFLICT DO NOTHING: the outbox row's dedup key names the same
    triple, so a second scheduler's insert is a no-op and it stops there; the
    ``reminder_sent`` row is the durable record of the claim.
    """
    if not planned:
        return
    new_keys = await insert_many_or_ignore(
        session,
        OutboxMessage,
        [
            {
                "chat_id": p.person.telegram_id,
                "text": p.message[0],
                "reply_markup": p.message[1],
                "kind": p.kind,
                "dedup_key": p.dedup_key,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for p in planned
        ],
        returning="dedup_key",
    )
    fresh = [p for p in planned if p.dedup_key in new_keys]
    result.already_claimed += len(planned) - len(fresh)
    if not fresh:
        return
    rows = await session.execute(
        select(OutboxMessage.dedup_key, OutboxMessage.id).where(
            OutboxMessage.dedup_key.in_([p.dedup_key for p in fresh])
        )
    )
    ids: dict[str | None, int] = {key: row_id for key, row_id in rows}
    claimed = await insert_many_or_ignore(
        session,
        ReminderSent,
        [
            {
                "person_id": p.person.id,
                "deadline_key": p.key,
                "step": p.step,
                "outbox_id": ids[p.dedup_key],
                "created_at": now,
            }
            for p in fresh
        ],
        returning="outbox_id",
    )
    lost = [ids[p.dedup_key] for p in fresh if ids[p.dedup_key] not in claimed]
    if lost:  # claimed earlier under another outbox key: do not send twice
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(lost)))
    result.queued += len(fresh) - len(lost)
    result.already_claimed += len(lost)


async def tick(
    session: AsyncSession,
    *,
    cset: CriteriaSet | None = None,
    catalogue: Catalogue | None = None,
    now: datetime,
    tz: tzinfo,
    hour: int,
    render: Renderer,
) -> TickResult:
    """Queue every reminder due now that nobody has claimed yet; the caller commits.

    With ``catalogue`` each unit is reminded of the calendar and the unscored criteria of its
    own level's set for the year (district and commune units side by side); with ``cset``
    every unit of that set's level is (one set)."""
    if catalogue is None and cset is None:
        raise ValueError("tick needs a catalogue or a set")
    result = TickResult()
    today = local_today(now, tz)
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
    units = (await session.execute(select(Unit).where(Unit.id.in_(by_unit)))).scalars().all()
    planned: list[_Planned] = []
    level_sets: dict[str, CriteriaSet] = {}
    for unit in units:
        unit_id = unit.id
        if catalogue is not None:
            if unit.kind not in level_sets:
                found = await level_set_year(session, catalogue, unit.kind)
                level_sets[unit.kind] = found.cset
            uset = level_sets[unit.kind]
        else:
            assert cset is not None
            if unit.kind != cset.level:
                continue
            uset = cset
        names = {d.code: d.name for d in uset.departments}
        calendar = await unit_calendar(session, unit_id, uset)
        work: Mapping[str, Work] | None = None
        for deadline in calendar:
            offset = due_offset(deadline.end, deadline.reminders, now, tz, hour)
            digest = digest_due(deadline, now, tz, hour)
            if offset is None and not digest:
                continue
            if work is None:
                work = {
                    dep: w
                    for dep, w in (await unfinished_work(session, unit_id, uset)).items()
                    if w.unscored or w.missing_evidence
                }
            if not work:
                break
            key = deadline_key(uset, deadline)
            for person in by_unit[unit_id]:
                coordinator = person.role == Role.COORDINATOR.value
                if offset is not None:
                    step = str(offset)
                    if not coordinator and deadline.audience in ("departments", "all"):
                        mine = work.get(person.department or "")
                        if mine is not None:
                            name = names.get(person.department or "", person.department or "")
                            message = render.officer(deadline, today, name, mine)
                            planned.append(_Planned(person, key, step, message, "reminder"))
                    elif coordinator and deadline.audience in ("coordinators", "all"):
                        message = render.coordinator(deadline, today, names, work)
                        planned.append(_Planned(person, key, step, message, "reminder"))
                if digest and coordinator:
                    message = render.digest(deadline, today, names, work)
                    step = f"digest-{today:%Y%m%d}"
                    planned.append(_Planned(person, key, step, message, "digest"))
    await _claim_and_queue(session, planned, now, result)
    if result.queued:
        log.info(
            "Reminders: %d queued (%d already claimed)", result.queued, result.already_claimed
        )
    return result
