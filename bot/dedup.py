"""Each update is handled once, even when Telegram delivers it again or to another process.

Several bot processes behind one webhook address share the database (and Redis when
configured); the first one to claim ``(bot id, update id)`` handles the update, the others
drop it. Telegram keeps an update at most 24 hours, so a claim is worth a day: older claims
are pruned (jobs/maintenance.py) and an old claim never blocks a new update with a reused id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import direct
from bot.db.dialects import conflict_insert
from bot.db.models import ProcessedUpdate

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(hours=24)
REDIS_PREFIX = "cchc:update"


class UpdateClaims(Protocol):
    async def claim(
        self, session: AsyncSession, bot_id: int, update_id: int, now: datetime
    ) -> bool: ...


class DatabaseClaims:
    """A row per update in ``processed_update``; the insert that wins is the claim.

    Runs in the update's own session and transaction (the session middleware's), so it costs
    one statement and no extra commit; the caller commits (:func:`bot.db.direct.commit`)."""

    async def claim(
        self, session: AsyncSession, bot_id: int, update_id: int, now: datetime
    ) -> bool:
        params = {
            "bot_id": bot_id,
            "update_id": update_id,
            "created_at": now,
            "expired": now - CLAIM_TTL,
        }
        return bool(await direct.rows(session, _CLAIM, params))


@cache
def _claim_statement(dialect: str) -> Any:
    """Built once per dialect (it runs for every update), with bound parameters."""
    insert = conflict_insert(dialect)
    table: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
    created = table.c.created_at
    stmt = insert(table).values(
        bot_id=bindparam("bot_id", type_=table.c.bot_id.type),
        update_id=bindparam("update_id", type_=table.c.update_id.type),
        created_at=bindparam("created_at", type_=created.type),
    )
    return stmt.on_conflict_do_update(
        index_elements=["bot_id", "update_id"],
        set_={"created_at": stmt.excluded.created_at},
        # A claim older than Telegram's retention is from an earlier life of the id.
        where=created < bindparam("expired", type_=created.type),
    ).returning(table.c.update_id)


_CLAIM = direct.Statement(_claim_statement)  # run on the driver where it can (bot/db/direct.py)


class RedisClaims:
    """``SET NX`` with a day's expiry: no database statement at all.

    With Redis unreachable the claim is made in the database instead, so that updates that
    need no conversation state are still handled (and still once)."""

    def __init__(self, redis: Any, fallback: UpdateClaims | None = None) -> None:
        self.redis = redis
        self.fallback = fallback or DatabaseClaims()

    async def claim(
        self, session: AsyncSession, bot_id: int, update_id: int, now: datetime
    ) -> bool:
        key = f"{REDIS_PREFIX}:{bot_id}:{update_id}"
        ttl = int(CLAIM_TTL.total_seconds())
        # Imported here: the redis package (several MB) is loaded only where Redis is used.
        from redis.exceptions import RedisError

        try:
            return bool(await self.redis.set(key, 1, nx=True, ex=ttl))
        except (OSError, RedisError) as exc:
            log.warning("Update claims: Redis unreachable (%s); claiming in the database", exc)
            return await self.fallback.claim(session, bot_id, update_id, now)


async def prune(session: AsyncSession, now: datetime) -> int:
    """Delete claims older than :data:`CLAIM_TTL`; returns how many."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.created_at < now - CLAIM_TTL)
    )
    return int(getattr(result, "rowcount", 0) or 0)
