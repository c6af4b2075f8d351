"""Persistent FSM storage: in the database by default, in Redis when REDIS_URL is set.

On SQLite the database storage writes through its own connection. Do not change FSM state or
data while the same update holds an open *write* transaction on SQLite: the storage would wait
for that transaction's lock (busy_timeout) and fail. Commit first, then set the state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, cast

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FsmRecord, utcnow

logger = logging.getLogger(__name__)

KEY_SEPARATOR = ":"


def storage_key(key: StorageKey) -> str:
    """The primary key of a StorageKey: every field, so no two keys ever share a record."""
    parts = (
        str(key.bot_id),
        str(key.chat_id),
        str(key.user_id),
        "" if key.thread_id is None else str(key.thread_id),
        key.business_connection_id or "",
        key.destiny,
    )
    return KEY_SEPARATOR.join(parts)


class DatabaseStorage(BaseStorage):
    """aiogram FSM storage in the ``fsm_record`` table; each call is its own transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        row_key = storage_key(key)
        now = utcnow()
        async with self._session_factory.begin() as session:
            dialect = session.get_bind().dialect.name
            if dialect in ("sqlite", "postgresql"):
                insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
                stmt = insert(FsmRecord).values(
                    {"key": row_key, "state": None, "data": "{}", "updated_at": now, **values}
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=[FsmRecord.key], set_={**values, "updated_at": now}
                )
                await session.execute(stmt)
            else:  # pragma: no cover - only SQLite and PostgreSQL are supported
                record = await session.get(FsmRecord, row_key)
                if record is None:
                    record = FsmRecord(key=row_key, state=None, data="{}")
                    session.add(record)
                for name, value in values.items():
                    setattr(record, name, value)
            # A record with neither state nor data is worth nothing: keep the table small.
            await session.execute(
                delete(FsmRecord).where(
                    FsmRecord.key == row_key,
                    FsmRecord.state.is_(None),
                    FsmRecord.data == "{}",
                )
            )

    async def _get(self, key: StorageKey) -> FsmRecord | None:
        async with self._session_factory() as session:
            result = await session.execute(
                select(FsmRecord).where(FsmRecord.key == storage_key(key))
            )
            return result.scalar_one_or_none()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(key)
        return None if record is None else record.state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        await self._upsert(key, {"data": json.dumps(data, ensure_ascii=False)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(key)
        if record is None:
            return {}
        return cast(dict[str, Any], json.loads(record.data))

    async def close(self) -> None:
        # The engine belongs to the application, which disposes of it.
        return None


def create_storage(
    settings_redis_url: str | None, session_factory: async_sessionmaker[AsyncSession]
) -> BaseStorage:
    """RedisStorage when a Redis URL is given, else the database storage."""
    if settings_redis_url:
        from aiogram.fsm.storage.redis import RedisStorage  # needs the optional redis package

        # bot id and destiny in the key: several bots may share a Redis, and scenes use destiny.
        builder = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        logger.info("FSM storage: Redis")
        return RedisStorage.from_url(settings_redis_url, key_builder=builder)
    logger.info("FSM storage: database")
    return DatabaseStorage(session_factory)
