"""The per-session memo of derived reads (bot/db/readcache.py): kept across bookkeeping
writes, forgotten by any other write or a rollback."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Unit
from bot.db.readcache import read_cache
from bot.services.people import add_unit
from bot.storage import DatabaseStorage, _Record


async def test_memo_lives_until_the_session_writes(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        read_cache(session)["k"] = 1
        async with session.begin():  # an FSM write changes no derived read
            await DatabaseStorage._execute(session, "1:2:3", _Record("s", "{}"))
        assert read_cache(session) == {"k": 1}

        async with session.begin():
            await add_unit(session, "u1", "UBND thử")  # an ORM write (flushed)
        assert read_cache(session) == {}

        read_cache(session)["k"] = 2
        async with session.begin():  # a Core UPDATE through the session
            await session.execute(update(Unit).values(name="UBND khác"))
        assert read_cache(session) == {}

        read_cache(session)["k"] = 3
        await session.begin()
        await session.rollback()
        assert read_cache(session) == {}

    async with session_factory() as other:  # each session has its own memo
        assert read_cache(other) == {}
