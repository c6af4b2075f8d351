"""Tickets to the provincial departments: creation, routing, relay, history, reminders.

The caller owns the transaction; nothing here commits or talks to Telegram. Access checks
live here too (callback data is user-controlled): a contact acts only on tickets of their
own department, an officer only on their own, their unit's or the ones they follow.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person, Ticket, TicketEvent, TicketFollower
from bot.errors import CchcError, NotAllowed, NotFound
from bot.services.people import Role
from bot.workhours import PERIODS, WEEKDAYS, Periods, working_hours_between
from knowledge.text import analyze

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
SIMILAR_MIN = 82.0  # rapidfuzz token_sort_ratio over content words
SIMILAR_SCAN = 500  # most recent tickets compared, at most
MAX_TEXT = 3000


class TicketNotFound(NotFound):
    user_message = "Không tìm thấy phiếu hỏi này."


class TicketForbidden(NotAllowed):
    user_message = "Bạn không có quyền xem hoặc xử lý phiếu hỏi này."


class TicketWrongState(CchcError):
    user_message = "Phiếu hỏi không còn ở trạng thái cho phép thao tác này."


@dataclass(frozen=True)
class Viewer:
    """Who is acting: their Telegram id, role, unit and (for contacts) department."""

    telegram_id: int
    role: Role
    unit_id: int | None = None
    department: str | None = None

    @classmethod
    def of(cls, telegram_id: int, role: Role, person: Person | None) -> Viewer:
        return cls(
            telegram_id=telegram_id,
            role=role,
            unit_id=person.unit_id if person is not None else None,
            department=person.department if person is not None else None,
        )


def _content(text: str) -> str:
    return " ".join(analyze(text).content)


async def _event(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    *,
    actor_id: int | None,
    now: datetime,
    text: str | None = None,
    department: str | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind=kind,
            actor_id=actor_id,
            department=department or ticket.department,
            text=text,
            created_at=now,
        )
    )


async def create(
    session: AsyncSession,
    *,
    question: str,
    set_id: str,
    criterion_code: str | None,
    unit_id: int | None,
    asker_id: int,
    department: str,
    now: datetime,
    attachment_id: str | None = None,
    attachment_kind: str | None = None,
    question_log_id: int | None = None,
    draft_key: str | None = None,
) -> Ticket:
    """A new open ticket routed to ``department``, with its "created" event; the question is
    about ``set_id`` (the asker's set: ``criterion_code`` is one of its codes). ``draft_key``
    is unique: see :func:`sent_from`."""
    question = question.strip()[:MAX_TEXT]
    if not question:
        raise CchcError("Câu hỏi trống.")
    ticket = Ticket(
        question=question,
        set_id=set_id,
        criterion_code=criterion_code,
        unit_id=unit_id,
        asker_id=asker_id,
        department=department,
        status=OPEN,
        awaiting_info=False,
        attachment_id=attachment_id,
        attachment_kind=attachment_kind,
        question_log_id=question_log_id,
        draft_key=draft_key,
        reminder_level=0,
        route_count=1,
        due_from=now,
        created_at=now,
    )
    session.add(ticket)
    await session.flush()
    await _event(session, ticket, "created", actor_id=asker_id, now=now, text=question)
    await session.flush()
    return ticket


def new_draft_key() -> str:
    """The key a draft carries from its start to the ticket it becomes."""
    return secrets.token_hex(8)


async def sent_from(session: AsyncSession, draft_key: str | None) -> Ticket | None:
    """The ticket already made from the draft of ``draft_key`` (its end was lost), if any."""
    if not draft_key:
        return None
    found = await session.execute(select(Ticket).where(Ticket.draft_key == draft_key))
    return found.scalar_one_or_none()


async def find_similar(
    session: AsyncSession,
    question: str,
    *,
    exclude_asker: int | None = None,
    set_id: str | None = None,
) -> Ticket | None:
    """The closest open or answered ticket to ``question``, if close enough.

    Answered tickets win over open ones at the same score: their answer helps at once.
    """
    wanted = _content(question)
    if not wanted:
        return None
    query = (
        select(Ticket)
        .where(or_(Ticket.status == OPEN, Ticket.answer.is_not(None)))
        .order_by(Ticket.id.desc())
        .limit(SIMILAR_SCAN)
    )
    if exclude_asker is not None:
        query = query.where(Ticket.asker_id != exclude_asker)
    if set_id is not None:  # the same words on another level's set are another question
        query = query.where(Ticket.set_id == set_id)
    best: tuple[float, int, Ticket] | None = None
    for ticket in (await session.execute(query)).scalars():
        score = fuzz.token_sort_ratio(wanted, _content(ticket.question))
        if score < SIMILAR_MIN:
            continue
        key = (score, 1 if ticket.answer else 0)
        if best is None or key > (best[0], best[1]):
            best = (score, key[1], ticket)
    return best[2] if best else None


async def get(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound()
    return ticket


async def is_follower(session: AsyncSession, ticket_id: int, telegram_id: int) -> bool:
    found = await session.execute(
        select(TicketFollower.id).where(
            TicketFollower.ticket_id == ticket_id, TicketFollower.telegram_id == telegram_id
        )
    )
    return found.first() is not None


async def for_contact(session: AsyncSession, ticket_id: int, viewer: Viewer) -> Ticket:
    """The ticket if ``viewer`` answers for its department (admins answer for all)."""
    ticket = await get(session, ticket_id)
    if viewer.role is Role.ADMIN:
        return ticket
    if viewer.role is not Role.CONTACT or viewer.department != ticket.department:
        raise TicketForbidden()
    return ticket


async def for_officer(session: AsyncSession, ticket_id: int, viewer: Viewer) -> Ticket:
    """The ticket if ``viewer`` asked it, is of its unit, follows it, or is an admin."""
    ticket = await get(session, ticket_id)
    if viewer.role is Role.ADMIN or ticket.asker_id == viewer.telegram_id:
        return ticket
    if viewer.unit_id is not None and ticket.unit_id == viewer.unit_id:
        return ticket
    if await is_follower(session, ticket_id, viewer.telegram_id):
        return ticket
    raise TicketForbidden()


async def follow(
    session: AsyncSession, ticket: Ticket, *, telegram_id: int, unit_id: int | None, now: datetime
) -> bool:
    """Follow ``ticket`` (its answer will be relayed too); False if already following."""
    if ticket.asker_id == telegram_id or await is_follower(session, ticket.id, telegram_id):
        return False
    session.add(
        TicketFollower(
            ticket_id=ticket.id, telegram_id=telegram_id, unit_id=unit_id, created_at=now
        )
    )
    await _event(session, ticket, "followed", actor_id=telegram_id, now=now)
    await session.flush()
    return True


async def followers(session: AsyncSession, ticket_id: int) -> list[int]:
    found = await session.execute(
        select(TicketFollower.telegram_id)
        .where(TicketFollower.ticket_id == ticket_id)
        .order_by(TicketFollower.id)
    )
    return list(found.scalars())


async def audience(session: AsyncSession, ticket: Ticket) -> list[int]:
    """Who hears about the ticket's answer: the asker, then its followers."""
    out = [ticket.asker_id]
    for telegram_id in await followers(session, ticket.id):
        if telegram_id not in out:
            out.append(telegram_id)
    return out


async def admins(session: AsyncSession, admin_ids: Collection[int]) -> list[int]:
    found = await session.execute(
        select(Person.telegram_id).where(Person.role == Role.ADMIN.value, Person.active.is_(True))
    )
    out = list(admin_ids)
    for telegram_id in found.scalars():
        if telegram_id not in out:
            out.append(telegram_id)
    return out


async def contacts(session: AsyncSession, department: str) -> list[int]:
    found = await session.execute(
        select(Person.telegram_id)
        .where(
            Person.role == Role.CONTACT.value,
            Person.department == department,
            Person.active.is_(True),
        )
        .order_by(Person.telegram_id)
    )
    return list(found.scalars())


async def recipients(
    session: AsyncSession, department: str, admin_ids: Collection[int]
) -> tuple[list[int], bool]:
    """The department's active contacts, or the admins when it has none (second value True)."""
    found = await contacts(session, department)
    if found:
        return found, False
    return await admins(session, admin_ids), True


class Delivery(StrEnum):
    """Who a department's tickets reach."""

    CONTACTS = "contacts"  # its active contacts
    ADMINS = "admins"  # it has none: the admins, to forward them
    NOBODY = "nobody"  # no contact and no admin: they wait for a contact to register


def delivery_of(chats: Sequence[int], fallback: bool) -> Delivery:
    """Who a ticket reaches, from what :func:`recipients` returned."""
    if not fallback:
        return Delivery.CONTACTS
    return Delivery.ADMINS if chats else Delivery.NOBODY


async def delivery(session: AsyncSession, department: str, admin_ids: Collection[int]) -> Delivery:
    """Who a ticket of ``department`` reaches now (see :func:`recipients`)."""
    return delivery_of(*await recipients(session, department, admin_ids))


def _require_open(ticket: Ticket) -> None:
    if ticket.status != OPEN:
        raise TicketWrongState()


async def answer(
    session: AsyncSession,
    ticket: Ticket,
    *,
    text: str,
    actor_id: int,
    actor_name: str,
    now: datetime,
) -> Ticket:
    """Record the department's answer; the ticket becomes ``answered``."""
    _require_open(ticket)
    text = text.strip()[:MAX_TEXT]
    if not text:
        raise CchcError("Câu trả lời trống.")
    ticket.status = ANSWERED
    ticket.answer = text
    ticket.answered_by = actor_name[:255]
    ticket.answered_at = now
    ticket.awaiting_info = False
    await _event(session, ticket, "answer", actor_id=actor_id, now=now, text=text)
    await session.flush()
    return ticket


async def reassign(
    session: AsyncSession,
    ticket: Ticket,
    *,
    department: str,
    known: Collection[str],
    reason: str,
    actor_id: int,
    now: datetime,
) -> Ticket:
    """Route the ticket to another department; its response clock starts again."""
    _require_open(ticket)
    if department not in known or department == ticket.department:
        raise CchcError("Không thể chuyển phiếu sang Sở này.")
    old = ticket.department
    ticket.department = department
    ticket.route_count += 1
    ticket.reminder_level = 0
    ticket.due_from = now
    ticket.awaiting_info = False
    await _event(
        session,
        ticket,
        "reassigned",
        actor_id=actor_id,
        now=now,
        text=f"{old} → {department}: {reason.strip()[:MAX_TEXT]}",
        department=old,
    )
    await session.flush()
    return ticket


async def request_info(
    session: AsyncSession, ticket: Ticket, *, text: str, actor_id: int, now: datetime
) -> bool:
    """The department asks the officer for more information; reminders pause meanwhile.

    False when this very request is the one still waiting for the officer's reply (the
    contact sent it again: a retry after a failure, a second press): nothing is recorded."""
    _require_open(ticket)
    text = text.strip()
    if ticket.awaiting_info:
        pending = await last_event(session, ticket.id, "more_info")
        if pending is not None and pending.text == text:
            return False
    ticket.awaiting_info = True
    await _event(session, ticket, "more_info", actor_id=actor_id, now=now, text=text)
    await session.flush()
    return True


def request_key(ticket: Ticket, text: str) -> str:
    """The outbox key of an information request's notices (per chat: ``{key}:{chat}``): one
    per routing round and request text, so a request sent again is not delivered again
    while a different one is."""
    digest = hashlib.sha256(text.strip().encode()).hexdigest()[:16]
    return f"tk{ticket.id}:inf{ticket.route_count}:{digest}"


async def add_info(
    session: AsyncSession, ticket: Ticket, *, text: str, actor_id: int, now: datetime
) -> Ticket:
    """The officer's reply to a request for information; the response clock restarts."""
    if ticket.status != OPEN or not ticket.awaiting_info:
        raise TicketWrongState()
    ticket.awaiting_info = False
    ticket.due_from = now
    ticket.reminder_level = 0
    ticket.route_count += 1
    await _event(session, ticket, "officer_reply", actor_id=actor_id, now=now, text=text.strip())
    await session.flush()
    return ticket


async def resolve(
    session: AsyncSession, ticket: Ticket, *, actor_id: int, now: datetime
) -> Ticket:
    if ticket.status == CLOSED:
        raise TicketWrongState()
    ticket.status = CLOSED
    ticket.closed_at = now
    await _event(session, ticket, "resolved", actor_id=actor_id, now=now)
    await session.flush()
    return ticket


async def reopen(
    session: AsyncSession, ticket: Ticket, *, text: str, actor_id: int, now: datetime
) -> Ticket:
    """A follow-up question on an answered or closed ticket: open again, same department."""
    if ticket.status == OPEN:
        raise TicketWrongState()
    ticket.status = OPEN
    ticket.closed_at = None
    ticket.awaiting_info = False
    ticket.due_from = now
    ticket.reminder_level = 0
    ticket.route_count += 1
    await _event(session, ticket, "reopened", actor_id=actor_id, now=now, text=text.strip())
    await session.flush()
    return ticket


async def history(session: AsyncSession, ticket_id: int) -> Sequence[TicketEvent]:
    found = await session.execute(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    return found.scalars().all()


async def last_event(session: AsyncSession, ticket_id: int, kind: str) -> TicketEvent | None:
    found = await session.execute(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()


async def open_for_department(
    session: AsyncSession, department: str | None, *, limit: int = 30
) -> Sequence[Ticket]:
    """Open tickets of ``department`` (all departments for None), oldest first."""
    query = select(Ticket).where(Ticket.status == OPEN)
    if department is not None:
        query = query.where(Ticket.department == department)
    query = query.order_by(Ticket.created_at, Ticket.id).limit(limit)
    return (await session.execute(query)).scalars().all()


async def for_viewer(
    session: AsyncSession, viewer: Viewer, *, limit: int = 30
) -> Sequence[Ticket]:
    """The officer's own and their unit's tickets, and the ones they follow, newest first."""
    followed = select(TicketFollower.ticket_id).where(
        TicketFollower.telegram_id == viewer.telegram_id
    )
    conditions = [Ticket.asker_id == viewer.telegram_id, Ticket.id.in_(followed)]
    if viewer.unit_id is not None:
        conditions.append(Ticket.unit_id == viewer.unit_id)
    query = select(Ticket).where(or_(*conditions)).order_by(Ticket.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True)
class Due:
    """A reminder claimed for ``ticket``: level 1 reminds its contacts, level 2 escalates."""

    ticket: Ticket
    level: int


async def claim_reminders(
    session: AsyncSession,
    *,
    now: datetime,
    hours: float,
    tz: ZoneInfo,
    holidays: Collection[date] = (),
    periods: Periods = PERIODS,
    days: Collection[int] = WEEKDAYS,
) -> list[Due]:
    """Claim the reminders now due. Each level of each routing is claimed once, by one
    process: a conditional UPDATE on (reminder_level, route_count) decides the winner."""
    found = await session.execute(
        select(Ticket)
        .where(Ticket.status == OPEN, Ticket.awaiting_info.is_(False), Ticket.reminder_level < 2)
        .order_by(Ticket.id)
    )
    out: list[Due] = []
    for ticket in found.scalars().all():
        elapsed = working_hours_between(ticket.due_from, now, tz, holidays, periods, days)
        level = 2 if elapsed >= 2 * hours else 1 if elapsed >= hours else 0
        if level <= ticket.reminder_level:
            continue
        claimed = await session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.reminder_level == ticket.reminder_level,
                Ticket.route_count == ticket.route_count,
            )
            .values(reminder_level=level)
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue
        ticket.reminder_level = level
        kind = "escalated" if level == 2 else "reminded"
        await _event(session, ticket, kind, actor_id=None, now=now)
        out.append(Due(ticket, level))
    await session.flush()
    return out
