"""Escalate: reminders about tickets unanswered past the response time."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import JobContext
from bot.clock import Clock
from bot.services import outbox, tickets
from bot.settings import Settings
from criteria.loader import Catalogue
from handlers.notices import contact_text, to_contacts
from handlers.texts import tickets as tt

log = logging.getLogger(__name__)

async def send_reminders(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    catalogue: Catalogue,
    clock: Clock,
) -> int:
    """Claim the reminders now due and enqueue them; returns how many tickets were due.

    Level 1 reminds the department's contacts; level 2 escalates to the default department's
    (Sở Nội vụ's) contacts and the admins. Claims and dedup keys make it safe to run in
    several processes at once."""
    hours = settings.ticket_response_hours
    now = clock.now()
    async with session_factory() as session, session.begin():
        due = await tickets.claim_reminders(
            session,
            now=now,
            hours=hours,
            tz=settings.tz,
            periods=settings.working_periods,
            days=settings.working_weekdays,
        )
        for item in due:
            ticket = item.ticket
            key = f"tk{ticket.id}:r{ticket.route_count}:l{item.level}"
            extra = [(tt.LABEL_OVERDUE, tt.overdue(hours * item.level))]
            if item.level == 1:
                await to_contacts(
                    session,
                    ticket,
                    catalogue=catalogue,
                    settings=settings,
                    header=tt.REMIND_HEADER,
                    key=key,
                    now=now,
                    extra=extra,
                )
                continue
            chats = await tickets.contacts(session, catalogue.routing.default.code)
            for admin in await tickets.admins(session, settings.admin_ids):
                if admin not in chats:
                    chats.append(admin)
            text = contact_text(ticket, catalogue, tt.ESCALATE_HEADER, extra, settings.tz)
            for chat in chats:
                await outbox.enqueue(
                    session, chat_id=chat, text=text, dedup_key=f"{key}:{chat}", now=now
                )
    return len(due)


async def reminder_job(ctx: JobContext) -> None:
    """Every minute (``TICKET_REMINDER_INTERVAL_SECONDS``), remind about tickets unanswered
    past the response time."""
    while not ctx.stop.is_set():
        count = await send_reminders(ctx.session_factory, ctx.settings, ctx.catalogue, ctx.clock)
        if count:
            log.info("Ticket reminders: %s tickets due", count)
        try:
            await asyncio.wait_for(
                ctx.stop.wait(), timeout=ctx.settings.ticket_reminder_interval_seconds
            )
        except TimeoutError:
            pass
