"""Running the background jobs of a bot process (the jobs themselves live in ``jobs/``).

This module knows no job: the app assembly puts the list (``jobs.all_jobs()``) into the
:class:`JobContext`. Each job is an ``async def job(ctx: JobContext) -> None`` that loops
until ``ctx.stop`` is set. Jobs must be safe with several bot processes on one database:
anything that sends is claimed in the database first (unique constraints), never decided by
one process alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.data import BotData
from bot.settings import Settings
from criteria.loader import Catalogue
from knowledge.search import SearchIndex

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    bot: Bot
    settings: Settings
    catalogue: Catalogue
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    stop: asyncio.Event
    # The dispatcher's shared search index and data (the rulings refresh job swaps them).
    index: SearchIndex | None = None
    bot_data: BotData | None = None
    # What start_jobs runs (set by the app assembly).
    jobs: Sequence[Job] = field(default_factory=list)


Job = Callable[[JobContext], Awaitable[None]]


async def _guarded(job: Job, ctx: JobContext) -> None:
    name = getattr(job, "__name__", repr(job))
    while not ctx.stop.is_set():
        try:
            await job(ctx)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Background job %s failed; restarting in 5 s", name)
            try:
                await asyncio.wait_for(ctx.stop.wait(), timeout=5)
            except TimeoutError:
                pass


def start_jobs(ctx: JobContext) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(_guarded(job, ctx)) for job in ctx.jobs]
