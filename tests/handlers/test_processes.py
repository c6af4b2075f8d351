"""Several bot processes on one database (and one Redis): each update is handled once, the
conversation state is shared, and old update claims are pruned."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import handlers
from bot import dedup
from bot.data import BotData
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import ProcessedUpdate, QuestionLog
from bot.settings import Settings
from bot.storage import DatabaseStorage
from handlers import texts
from knowledge.search import SearchIndex
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness, build_harness

REDIS_URL = os.environ.get("REDIS_URL")
BACKENDS = [
    "database",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
    ),
]


def _storage(backend: str, factory: async_sessionmaker[AsyncSession]) -> BaseStorage:
    if backend == "redis":
        from aiogram.fsm.storage.redis import RedisStorage

        builder = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        return RedisStorage.from_url(REDIS_URL or "", key_builder=builder)
    return DatabaseStorage(factory)


@pytest.fixture
async def processes(
    request: pytest.FixtureRequest,
    db_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Two dispatchers as two processes would have them: own engine, own storage object."""
    backend = request.param
    data, index = shipped
    other_engine = create_engine(db_url)
    other = create_session_factory(other_engine)
    # Far-apart update ids per run: Redis claims outlive a test run.
    base = random.randint(10**9, 2 * 10**9)
    pair = tuple(
        build_harness(
            settings,
            data,
            index,
            factory,
            storage=_storage(backend, factory),
            dedup_updates=True,
            first_update_id=base + offset,
        )
        for factory, offset in ((session_factory, 0), (other, 10**6))
    )
    yield pair[0], pair[1]
    for harness in pair:
        await harness.dp.storage.close()
    await other_engine.dispose()


def _question(update_id: int, user: User, text: str) -> Update:
    message = Message(
        message_id=update_id % 10**6,
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=update_id, message=message)


async def _questions_logged(factory: async_sessionmaker[AsyncSession], user_id: int) -> int:
    async with factory() as session:
        query = select(func.count()).where(QuestionLog.telegram_id == user_id)
        return int(await session.scalar(query.select_from(QuestionLog)) or 0)


def _on(harness: Harness) -> Harness:
    """This process, given back the journeys' routers (they are module-level: one process
    at a time holds them in this test)."""
    harness.dp.include_routers(*handlers.routers())
    return harness


@pytest.mark.parametrize("processes", BACKENDS, indirect=True)
async def test_redelivered_update_is_handled_once_across_processes(
    processes: tuple[Harness, Harness], session_factory: async_sessionmaker[AsyncSession]
) -> None:
    a, b = processes
    user = a.user(random.randint(10**8, 10**9))
    update = _question(next(a._update_ids), user, "thủ tục hành chính là gì")
    answer = await _on(a)._feed(update)
    assert answer and all(s.method == "sendMessage" for s in answer)
    # Telegram delivers it again, to the other process and to the first one.
    assert await _on(b)._feed(update) == []
    assert await _on(a)._feed(update) == []
    assert await _questions_logged(session_factory, user.id) == 1
    # The next update is not a redelivery: it is answered.
    assert await _on(b)._feed(_question(next(b._update_ids), user, "chỉ số cải cách hành chính"))
    assert await _questions_logged(session_factory, user.id) == 2


@pytest.mark.parametrize("processes", BACKENDS, indirect=True)
async def test_concurrent_deliveries_pass_one_process_once(
    processes: tuple[Harness, Harness],
) -> None:
    passed: list[int] = []

    async def count(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        passed.append(event.update_id)  # behind the claim: only what is to be handled
        return await handler(event, data)

    for harness in processes:
        harness.dp.update.outer_middleware(count)
    user = processes[0].user(random.randint(10**8, 10**9))
    updates = [_question(next(processes[0]._update_ids), user, f"câu {i}") for i in range(3)]
    feeds = [h.dp.feed_update(h.bot, u) for u in updates for h in processes for _ in range(3)]
    await asyncio.gather(*feeds)
    assert sorted(passed) == sorted(u.update_id for u in updates)


@pytest.mark.parametrize("processes", BACKENDS, indirect=True)
async def test_conversation_state_is_shared_between_processes(
    processes: tuple[Harness, Harness],
) -> None:
    a, b = processes
    admin = a.user(ADMIN_ID, "Quản trị")
    started = await _on(a).send(admin, "/moi")
    assert started[-1].text == texts.INVITE_CHOOSE_ROLE
    # The next message reaches the other process: it is in the same step.
    sent = await _on(b).send(admin, "cán bộ")
    assert [s.text for s in sent] == [texts.INVITE_USE_BUTTONS]
    await b.send(admin, "/huy")
    sent = await _on(a).send(admin, "cán bộ")
    assert sent and texts.INVITE_USE_BUTTONS not in [s.text for s in sent]


async def test_update_claims_expire_and_are_pruned(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    claims = dedup.DatabaseClaims()
    async with session_factory() as session, session.begin():
        assert await claims.claim(session, 42, 1, now - timedelta(hours=25))
        assert await claims.claim(session, 42, 2, now - timedelta(hours=1))
        assert not await claims.claim(session, 42, 2, now)
        assert await claims.claim(session, 43, 2, now)  # another bot, its own ids
        # Telegram reuses an id after a long pause: a claim older than a day does not block.
        assert await claims.claim(session, 42, 1, now)
        assert await claims.claim(session, 42, 3, now - timedelta(hours=30))
    async with session_factory() as session, session.begin():
        assert await dedup.prune(session, now) == 1
    async with session_factory() as session:
        rows = (await session.execute(select(ProcessedUpdate.bot_id, ProcessedUpdate.update_id)))
        assert sorted(tuple(row) for row in rows) == [(42, 1), (42, 2), (43, 2)]


async def test_redis_down_update_claims_fall_back_to_the_database(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from redis.asyncio import Redis

    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    claims = dedup.RedisClaims(unreachable)
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    try:
        async with session_factory() as session, session.begin():
            assert await claims.claim(session, 42, 7, now)
            assert not await claims.claim(session, 42, 7, now)  # still once
    finally:
        await unreachable.aclose()
