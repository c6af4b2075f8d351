"""Housekeeping: claims of handled updates older than Telegram's retention are deleted."""

from __future__ import annotations

import asyncio
import logging

from bot import dedup
from bot.background import JobContext

log = logging.getLogger(__name__)

PRUNE_SECONDS = 3600.0


async def prune_tick(ctx: JobContext) -> int:
    async with ctx.session_factory() as session, session.begin():
        return await dedup.prune(session, ctx.clock.now())


async def prune_job(ctx: JobContext) -> None:
    """Every hour (several processes may all do it: deleting twice deletes nothing)."""
    while not ctx.stop.is_set():
        removed = await prune_tick(ctx)
        if removed:
            log.info("Pruned %d claims of handled updates", removed)
        try:
            await asyncio.wait_for(ctx.stop.wait(), timeout=PRUNE_SECONDS)
        except TimeoutError:
            pass
