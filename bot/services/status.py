"""The operator's view of a running bot process (``/trangthai``): figures, no personal data."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage, ReminderSent, Ticket
from bot.services.outbox import FAILED, PENDING, SENDING
from bot.services.tickets import OPEN

log = logging.getLogger(__name__)

PROCESS_STARTED = time.monotonic()
"""When this process imported the module (the bot imports it at start)."""
PROBE_TIMEOUT = 3.0

_reminder_run: datetime | None = None
"""When this process's deadline reminder job last looked for due reminders (successfully)."""


def record_reminder_run(when: datetime) -> None:
    """Called by the reminder job after each run, whether or not anything was due."""
    global _reminder_run
    _reminder_run = when


def last_reminder_run() -> datetime | None:
    return _reminder_run


def version() -> str:
    try:
        return metadata.version("tro-ly-cchc")
    except metadata.PackageNotFoundError:
        return "?"


@dataclass(frozen=True)
class Status:
    version: str
    uptime: timedelta
    database_ok: bool
    redis_ok: bool | None
    """None: Redis is not used (conversation state lives in the database)."""
    outbox_pending: int | None
    outbox_failed: int | None
    tickets_open: int | None
    last_reminder_at: datetime | None
    reminders_last_day: int | None
    reminder_run_at: datetime | None = None
    """This process's reminder job's last run (None: not yet in this process)."""


async def _probe_database(factory: async_sessionmaker[AsyncSession]) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT), factory() as session:
            await session.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any failure means "not reachable" to the operator
        log.warning("Status: database unreachable (%s)", type(exc).__name__)
        return False


async def _probe_redis(storage: Any) -> bool | None:
    redis = getattr(storage, "redis", None)
    if redis is None:
        return None
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await redis.ping()
        return True
    except Exception as exc:
        log.warning("Status: Redis unreachable (%s)", type(exc).__name__)
        return False


async def collect(
    factory: async_sessionmaker[AsyncSession], storage: Any, *, now: datetime
) -> Status:
    """Probe the database and Redis and count the backlog; never raises for an outage."""
    database_ok, redis_ok = await asyncio.gather(_probe_database(factory), _probe_redis(storage))
    pending = failed = tickets = reminders = None
    last_reminder = None
    if database_ok:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT), factory() as session:
                by_status = dict(
                    (
                        await session.execute(
                            select(OutboxMessage.status, func.count()).group_by(
                                OutboxMessage.status
                            )
                        )
                    ).all()
                )
                pending = by_status.get(PENDING, 0) + by_status.get(SENDING, 0)
                failed = by_status.get(FAILED, 0)
                tickets = await session.scalar(
                    select(func.count()).select_from(Ticket).where(Ticket.status == OPEN)
                )
                last_reminder = await session.scalar(select(func.max(ReminderSent.created_at)))
                reminders = await session.scalar(
                    select(func.count())
                    .select_from(ReminderSent)
                    .where(ReminderSent.created_at >= now - timedelta(days=1))
                )
        except Exception as exc:
            log.warning("Status: counting failed (%s)", type(exc).__name__)
            database_ok = False
    return Status(
        version=version(),
        uptime=timedelta(seconds=int(time.monotonic() - PROCESS_STARTED)),
        database_ok=database_ok,
        redis_ok=redis_ok,
        outbox_pending=pending,
        outbox_failed=failed,
        tickets_open=tickets,
        last_reminder_at=last_reminder,
        reminders_last_day=reminders,
        reminder_run_at=last_reminder_run(),
    )
