"""Deadlines: the reminder scheduler and the outbox sender of every bot process."""

from __future__ import annotations

import asyncio

from bot.background import JobContext
from bot.services import reminders, status
from bot.services.outbox import OutboxSender
from handlers.notices import ReminderTexts, blocked_text

TICK_SECONDS = 60.0


async def reminder_tick(ctx: JobContext) -> reminders.TickResult:
    now = ctx.clock.now()
    async with ctx.session_factory() as session, session.begin():
        result = await reminders.tick(
            session,
            catalogue=ctx.catalogue,
            now=now,
            tz=ctx.settings.tz,
            hour=ctx.settings.reminder_hour,
            render=ReminderTexts(),
        )
    status.record_reminder_run(now)  # after the commit: a run that failed is not one
    return result


async def reminder_job(ctx: JobContext) -> None:
    """Every minute: queue the reminders that are due (claimed once in the database)."""
    while not ctx.stop.is_set():
        await reminder_tick(ctx)
        try:
            await asyncio.wait_for(ctx.stop.wait(), timeout=TICK_SECONDS)
        except TimeoutError:
            pass


def outbox_sender(ctx: JobContext) -> OutboxSender:
    return OutboxSender(
        ctx.bot,
        ctx.session_factory,
        ctx.clock,
        rate=ctx.settings.outbox_rate,
        blocked_text=lambda person: blocked_text(person, ctx.catalogue),
    )


async def outbox_job(ctx: JobContext) -> None:
    """Deliver the outbox until the bot stops."""
    await outbox_sender(ctx).run(ctx.stop)
