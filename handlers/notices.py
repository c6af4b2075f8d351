"""What people receive outside a reply, through the outbox: ticket cards for the Sở contacts,
reminders and their button, the "blocked the bot" notice.

No router here: the handlers and the background jobs (jobs/) share these renderers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person, Ticket
from bot.services import outbox, reminders, tickets
from bot.services.deadlines import Work
from bot.services.invites import department_name
from bot.settings import Settings
from criteria.calendar import Deadline
from criteria.loader import Catalogue
from handlers.callbacks import MenuCb, TicketCb
from handlers.cards import criterion_card
from handlers.keyboards import InlineKeyboardBuilder
from handlers.texts import deadlines as dt
from handlers.texts import tickets as tt


def dept_name(catalogue: Catalogue, code: str) -> str:
    found = catalogue.routing.department(code)
    return found.name if found is not None else code


def card(catalogue: Catalogue, code: str | None, set_id: str | None = None) -> str | None:
    """The criterion card of ``code`` in set ``set_id`` (a ticket's set; else the default)."""
    if not code:
        return None
    cset = catalogue.sets.get(set_id or "") or catalogue.current
    node = cset.by_code().get(code)
    return criterion_card(cset, node, source=False) if node is not None else None


def markup_of(kb: InlineKeyboardBuilder) -> dict[str, Any]:
    return kb.as_markup().model_dump(exclude_none=True)


def contact_keyboard(ticket: Ticket) -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    kb.button(text=tt.BTN_ANSWER, callback_data=TicketCb(action="ans", id=ticket.id))
    kb.button(text=tt.BTN_MORE_INFO, callback_data=TicketCb(action="inf", id=ticket.id))
    kb.button(text=tt.BTN_MOVE, callback_data=TicketCb(action="mv", id=ticket.id))
    if ticket.attachment_id:
        kb.button(text=tt.BTN_FILE, callback_data=TicketCb(action="f", id=ticket.id))
    kb.adjust(1)
    return kb


def contact_text(
    ticket: Ticket,
    catalogue: Catalogue,
    header: str,
    extra: list[tuple[str, str]] | None = None,
    tz: ZoneInfo | None = None,
) -> str:
    return tt.ticket_card(
        ticket.id,
        ticket.unit.name if ticket.unit is not None else None,
        ticket.question,
        card(catalogue, ticket.criterion_code, ticket.set_id),
        dept_name(catalogue, ticket.department),
        ticket.created_at.astimezone(tz) if tz else ticket.created_at,
        header=header,
        extra=extra,
    )


async def to_contacts(
    session: AsyncSession,
    ticket: Ticket,
    *,
    catalogue: Catalogue,
    settings: Settings,
    header: str,
    key: str | None,
    now: Any,
    extra: list[tuple[str, str]] | None = None,
) -> tickets.Delivery:
    """Deliver the ticket to its department's contacts (the admins when it has none); returns
    who it reached (nobody: no contact and no admin)."""
    chats, fallback = await tickets.recipients(session, ticket.department, settings.admin_ids)
    text = contact_text(ticket, catalogue, header, extra, settings.tz)
    markup = markup_of(contact_keyboard(ticket))
    for chat in chats:
        await outbox.enqueue(
            session,
            chat_id=chat,
            text=text,
            reply_markup=markup,
            dedup_key=f"{key}:{chat}" if key else None,
            now=now,
        )
    return tickets.delivery_of(chats, fallback)


# --- deadlines: reminders -------------------------------------------------------------------


def score_markup() -> InlineKeyboardMarkup:
    """The scoring journey's entry button (its menu button): one tap into /chamdiem."""
    button = InlineKeyboardButton(text=dt.BTN_SCORE, callback_data=MenuCb(action="score").pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


class ReminderTexts:
    """The reminders' texts and buttons (see :class:`bot.services.reminders.Renderer`)."""

    def __init__(self) -> None:
        # The same button on every officer's reminder.
        self._score = score_markup().model_dump(mode="json", exclude_none=True)

    def officer(
        self, deadline: Deadline, today: date, department: str, work: Work
    ) -> reminders.Message:
        return dt.officer_reminder(deadline, today, department, work), self._score

    def coordinator(
        self, deadline: Deadline, today: date, names: Mapping[str, str], work: Mapping[str, Work]
    ) -> reminders.Message:
        return dt.coordinator_reminder(deadline, today, names, work), None

    def digest(
        self, deadline: Deadline, today: date, names: Mapping[str, str], work: Mapping[str, Work]
    ) -> reminders.Message:
        return dt.digest(deadline, today, names, work), None


def blocked_text(person: Person, catalogue: Catalogue | None = None) -> str:
    """The "blocked the bot" notice for the person's coordinators, naming the department
    (never its code) when the catalogue is given."""
    department = person.department
    if catalogue is not None:
        department = department_name(catalogue, person.role, department)
    return dt.blocked_notice(person.display_name, person.telegram_id, department)
