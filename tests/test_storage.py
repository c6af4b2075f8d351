"""FSM storage: round trip, survival across a new engine, and across a killed process."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import FsmRecord
from bot.storage import (
    DatabaseStorage,
    create_storage,
    set_step,
    storage_key,
    update_scope,
)

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")


class Scoring(StatesGroup):
    waiting_ratio_numbers = State()


def _key(user_id: int | None = None, **fields: object) -> StorageKey:
    user = user_id if user_id is not None else random.randint(10**9, 10**10)
    return StorageKey(bot_id=42, chat_id=user, user_id=user, **fields)  # type: ignore[arg-type]


async def _round_trip(storage: BaseStorage, key: StorageKey) -> None:
    assert await storage.get_state(key) is None
    assert await storage.get_data(key) == {}

    await storage.set_state(key, Scoring.waiting_ratio_numbers)
    assert await storage.get_state(key) == "Scoring:waiting_ratio_numbers"
    await storage.set_state(key, "Ask:waiting_question")
    assert await storage.get_state(key) == "Ask:waiting_question"

    data = {"criterion": "3.4.1", "answers": {"3.4.1": [12, 15]}, "ghi_chú": "Không phát sinh"}
    await storage.set_data(key, data)
    assert await storage.get_data(key) == data
    merged = await storage.update_data(key, {"index": 3})
    assert merged == {**data, "index": 3}
    assert await storage.get_data(key) == merged
    assert await storage.get_value(key, "index") == 3
    assert await storage.get_value(key, "missing", "x") == "x"
    # Setting the state leaves the data alone, and the other way round.
    assert await storage.get_state(key) == "Ask:waiting_question"

    with pytest.raises(DataNotDictLikeError):
        await storage.set_data(key, [("a", 1)])  # type: ignore[arg-type]

    await storage.set_state(key, None)
    assert await storage.get_state(key) is None
    assert await storage.get_data(key) == merged
    await storage.set_data(key, {})
    assert await storage.get_data(key) == {}


# --- database --------------------------------------------------------------------------------


async def test_database_round_trip(session_factory: async_sessionmaker[AsyncSession]) -> None:
    storage = DatabaseStorage(session_factory)
    await _round_trip(storage, _key())
    # Nothing left once both state and data are cleared.
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 0


async def test_database_write_in_an_update_is_one_statement(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    storage = DatabaseStorage(session_factory)
    key = _key()
    statements: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        async with session_factory() as session, update_scope(session):
            assert await storage.get_state(key) is None
            assert statements == ["SELECT"]  # state and data, read once for the update
            await storage.set_state(key, Scoring.waiting_ratio_numbers)
            await storage.update_data(key, {"criterion": "3.4.1"})
            assert await storage.get_state(key) == "Scoring:waiting_ratio_numbers"
            assert await storage.get_data(key) == {"criterion": "3.4.1"}
            assert statements == ["SELECT", "INSERT", "INSERT"]  # an upsert each, no DELETE
            # Inside the handler's transaction the write is the handler's: it rolls back too.
            with pytest.raises(RuntimeError):
                async with session.begin():
                    await storage.set_state(key, "Ask:waiting_question")
                    raise RuntimeError
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)
    again = DatabaseStorage(session_factory)
    assert await again.get_state(key) == "Scoring:waiting_ratio_numbers"
    assert await again.get_data(key) == {"criterion": "3.4.1"}
    # A step and its data together (the scoring journey's moves): one statement.
    statements.clear()
    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        async with session_factory() as session, update_scope(session):
            context = FSMContext(storage, key)
            await set_step(context, "Ask:waiting_question", {"criterion": "2.1", "part": 1})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)
    assert statements == ["SELECT", "INSERT"]
    assert await again.get_state(key) == "Ask:waiting_question"
    assert await again.get_data(key) == {"criterion": "2.1", "part": 1}
    async with session_factory() as session, update_scope(session):
        await storage.set_state(key, None)
        await storage.set_data(key, {})  # the record is empty: deleted, in one statement
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 0


async def test_database_keys_are_distinct(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(session_factory)
    keys = [
        _key(7),
        _key(7, thread_id=5),
        _key(7, destiny="scene"),
        _key(7, business_connection_id="bc1"),
        StorageKey(bot_id=43, chat_id=7, user_id=7),
        StorageKey(bot_id=42, chat_id=-100, user_id=7),
    ]
    assert len({storage_key(k) for k in keys}) == len(keys)
    for index, key in enumerate(keys):
        await storage.set_state(key, f"S:{index}")
        await storage.set_data(key, {"i": index})
    for index, key in enumerate(keys):
        assert await storage.get_state(key) == f"S:{index}"
        assert await storage.get_data(key) == {"i": index}


async def test_database_state_survives_new_engine(db_url: str) -> None:
    await upgrade(db_url)
    key = _key()
    first = create_engine(db_url)
    storage = create_storage(None, create_session_factory(first))
    assert isinstance(storage, DatabaseStorage)
    await storage.set_state(key, Scoring.waiting_ratio_numbers)
    await storage.update_data(key, {"criterion": "2.1"})
    await storage.close()
    await first.dispose()

    second = create_engine(db_url)
    try:
        again = DatabaseStorage(create_session_factory(second))
        assert await again.get_state(key) == "Scoring:waiting_ratio_numbers"
        assert await again.get_data(key) == {"criterion": "2.1"}
    finally:
        await second.dispose()


# --- a real restart: the writing process is killed -----------------------------------------

WRITER = """
import asyncio, sys
from aiogram.fsm.storage.base import StorageKey
from bot.db.engine import create_engine, create_session_factory
from bot.storage import create_storage

async def main() -> None:
    db_url, redis_url, user = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
    engine = create_engine(db_url)
    storage = create_storage(redis_url, create_session_factory(engine))
    key = StorageKey(bot_id=42, chat_id=user, user_id=user)
    await storage.set_state(key, "Scoring:waiting_ratio_numbers")
    await storage.update_data(key, {"criterion": "3.4.1", "numbers": [12, 15]})
    print("ready", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def _write_then_kill(db_url: str, redis_url: str | None, user: int) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER,
        db_url,
        redis_url or "",
        str(user),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=180)
        assert line == b"ready\n"
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL


async def test_database_state_survives_killed_process(db_url: str) -> None:
    await upgrade(db_url)
    user = random.randint(10**9, 10**10)
    await _write_then_kill(db_url, None, user)

    engine = create_engine(db_url)
    try:
        storage = create_storage(None, create_session_factory(engine))
        key = StorageKey(bot_id=42, chat_id=user, user_id=user)
        assert await storage.get_state(key) == "Scoring:waiting_ratio_numbers"
        assert await storage.get_data(key) == {"criterion": "3.4.1", "numbers": [12, 15]}
    finally:
        await engine.dispose()


# --- Redis -----------------------------------------------------------------------------------


@pytest.fixture
async def redis_keys() -> AsyncIterator[list[StorageKey]]:
    """Keys a test uses; only their records are deleted afterwards."""
    assert REDIS_URL
    used: list[StorageKey] = []
    yield used
    storage = create_storage(REDIS_URL, async_sessionmaker())
    assert isinstance(storage, RedisStorage)
    try:
        names = [storage.key_builder.build(k, part) for k in used for part in ("state", "data")]
        if names:
            await storage.redis.delete(*names)
    finally:
        await storage.close()


@needs_redis
async def test_redis_round_trip(redis_keys: list[StorageKey]) -> None:
    storage = create_storage(REDIS_URL, async_sessionmaker())
    assert isinstance(storage, RedisStorage)
    key = _key()
    redis_keys.append(key)
    try:
        await _round_trip(storage, key)
        scene_key = _key(key.user_id, destiny="scene")
        redis_keys.append(scene_key)
        await storage.set_state(scene_key, "Scene:x")
        assert await storage.get_state(scene_key) == "Scene:x"
        assert await storage.get_state(key) is None
    finally:
        await storage.close()


@needs_redis
async def test_redis_state_survives_new_storage(redis_keys: list[StorageKey]) -> None:
    key = _key()
    redis_keys.append(key)
    first = create_storage(REDIS_URL, async_sessionmaker())
    await first.set_state(key, Scoring.waiting_ratio_numbers)
    await first.update_data(key, {"criterion": "2.1"})
    await first.close()

    second = create_storage(REDIS_URL, async_sessionmaker())
    try:
        assert await second.get_state(key) == "Scoring:waiting_ratio_numbers"
        assert await second.get_data(key) == {"criterion": "2.1"}
    finally:
        await second.close()


@needs_redis
async def test_redis_state_survives_killed_process(
    db_url: str, redis_keys: list[StorageKey]
) -> None:
    user = random.randint(10**9, 10**10)
    key = StorageKey(bot_id=42, chat_id=user, user_id=user)
    redis_keys.append(key)
    await _write_then_kill(db_url, REDIS_URL, user)

    storage = create_storage(REDIS_URL, async_sessionmaker())
    try:
        assert await storage.get_state(key) == "Scoring:waiting_ratio_numbers"
        assert await storage.get_data(key) == {"criterion": "3.4.1", "numbers": [12, 15]}
    finally:
        await storage.close()


@needs_redis
async def test_redis_step_is_one_transaction(redis_keys: list[StorageKey]) -> None:
    """set_step writes a step's state and data in one MULTI/EXEC (also through the wrapper
    that survives an outage): a process killed in between cannot split them."""
    from aiogram.fsm.context import FSMContext

    from bot.resilience import ResilientStorage
    from bot.storage import set_step

    storage = ResilientStorage(create_storage(REDIS_URL, async_sessionmaker()))
    key = _key()
    redis_keys.append(key)
    redis = storage.redis
    executed: list[int] = []
    real = type(redis.pipeline())

    class Counting(real):  # type: ignore[misc, valid-type]
        async def execute(self, *args: Any, **kwargs: Any) -> Any:
            executed.append(len(self.command_stack))
            return await super().execute(*args, **kwargs)

    original = redis.pipeline
    redis.pipeline = lambda transaction=True, shard_hint=None: Counting(  # type: ignore[method-assign]
        redis.connection_pool, redis.response_callbacks, transaction, shard_hint
    )
    try:
        context = FSMContext(storage=storage, key=key)
        await set_step(context, Scoring.waiting_ratio_numbers, {"criterion": "2.1"})
        assert executed == [2] and redis.pipeline is not original
        assert await storage.get_state(key) == "Scoring:waiting_ratio_numbers"
        assert await storage.get_data(key) == {"criterion": "2.1"}
        await set_step(context, None, {})
        assert executed == [2, 2]
        assert await storage.get_state(key) is None and await storage.get_data(key) == {}
    finally:
        redis.pipeline = original  # type: ignore[method-assign]
        await storage.close()


@needs_redis
async def test_redis_step_is_written_after_its_transaction_commits(
    session_factory: async_sessionmaker[AsyncSession], redis_keys: list[StorageKey]
) -> None:
    """Inside step_transaction the Redis storage (through the wrapper) holds its writes: the
    step reads them back, Redis gets them only once the database commit succeeded (in one
    MULTI with state and data), a failed step leaves Redis as it was, and a write that
    changes nothing is not sent."""
    from bot.resilience import ResilientStorage
    from bot.storage import step_transaction

    storage = ResilientStorage(create_storage(REDIS_URL, async_sessionmaker()))
    inner: Any = storage.inner
    key = _key()
    redis_keys.append(key)
    context = FSMContext(storage=storage, key=key)
    await set_step(context, "Scoring:waiting_confirmation", {"code": "2.1", "pending": "y"})
    writes: list[str] = []
    for name in ("set_state", "set_data", "set_state_and_data"):
        original = getattr(inner, name)

        async def counted(*args: Any, _name: str = name, _original: Any = original) -> None:
            writes.append(_name)
            await _original(*args)

        setattr(inner, name, counted)
    try:
        async with session_factory() as session:
            with pytest.raises(RuntimeError):
                async with step_transaction(session):
                    await set_step(context, Scoring.waiting_ratio_numbers, {"code": "2.2"})
                    assert await context.get_state() == "Scoring:waiting_ratio_numbers"
                    raise RuntimeError("the commit failed")
            assert await inner.get_state(key) == "Scoring:waiting_confirmation"
            assert await inner.get_data(key) == {"code": "2.1", "pending": "y"}
            assert writes == []

            async with step_transaction(session):
                await set_step(context, Scoring.waiting_ratio_numbers, {"code": "2.2"})
                await context.update_data(part=1)
                assert await context.get_data() == {"code": "2.2", "part": 1}
                assert await inner.get_data(key) == {"code": "2.1", "pending": "y"}
            assert writes == ["set_state_and_data"]
            assert await inner.get_state(key) == "Scoring:waiting_ratio_numbers"
            assert await inner.get_data(key) == {"code": "2.2", "part": 1}

            async with step_transaction(session):
                await context.update_data(part=1)  # no change: nothing to write
            assert writes == ["set_state_and_data"]
            async with step_transaction(session):
                await context.clear()
            assert writes == ["set_state_and_data", "set_state_and_data"]
            assert await inner.get_state(key) is None and await inner.get_data(key) == {}
    finally:
        await storage.close()
