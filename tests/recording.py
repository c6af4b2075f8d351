"""A recording bot session and a harness that feeds updates through the real Dispatcher.

Every request the handlers make is recorded (method object and the chat it targets) and a
plausible result is returned, so handler tests assert exactly what the user would see.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.app import create_dispatcher
from bot.clock import Clock
from bot.data import BotData
from bot.db import direct
from bot.resilience import ResilientStorage
from bot.settings import Settings
from bot.storage import DatabaseStorage, create_storage
from knowledge.search import SearchIndex

BOT_USER = User(id=42, is_bot=True, first_name="Trợ lý CCHC", username="TroLyCCHCBot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        return None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        self.requests.append(method)
        returning = method.__returning__
        if returning is User:
            return cast(TelegramType, BOT_USER)
        if returning is bool:
            return cast(TelegramType, True)
        chat_id = getattr(method, "chat_id", None)
        if chat_id is not None or "Message" in str(returning):
            text = getattr(method, "text", None) or getattr(method, "caption", None)
            message = Message(
                message_id=getattr(method, "message_id", None) or next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(chat_id or 0), type="private"),
                from_user=BOT_USER,
                text=text,
            )
            return cast(TelegramType, message)
        return cast(TelegramType, True)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""


@dataclass
class Sent:
    method: str
    text: str
    markup: InlineKeyboardMarkup | None
    show_alert: bool = False

    @property
    def buttons(self) -> list[tuple[str, str]]:
        if self.markup is None:
            return []
        return [
            (b.text, b.callback_data or b.url or "")
            for row in self.markup.inline_keyboard
            for b in row
        ]

    def button(self, prefix: str) -> str:
        """The callback data of the first button whose text starts with ``prefix``."""
        for text, data in self.buttons:
            if text.startswith(prefix):
                return data
        raise AssertionError(f"no button {prefix!r} in {self.buttons}")


@dataclass
class Harness:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def user(self, user_id: int, first_name: str = "Lan") -> User:
        return User(id=user_id, is_bot=False, first_name=first_name, language_code="vi")

    async def send(self, user: User, text: str, *, chat: Chat | None = None) -> list[Sent]:
        """``user`` writes ``text`` in their private chat with the bot (or in ``chat``)."""
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=chat or Chat(id=user.id, type="private"),
            from_user=user,
            text=text,
            entities=entities,
        )
        return await self._feed(Update(update_id=next(self._update_ids), message=message))

    async def press(
        self, user: User, data: str, message_id: int = 1, *, chat: Chat | None = None
    ) -> list[Sent]:
        """``user`` presses a button on the bot's message in their private chat (or ``chat``)."""
        message = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=chat or Chat(id=user.id, type="private"),
            from_user=BOT_USER,
            text="…",
        )
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=user,
            chat_instance="ci",
            message=message,
            data=data,
        )
        return await self._feed(Update(update_id=next(self._update_ids), callback_query=query))

    async def _feed(self, update: Update) -> list[Sent]:
        start = len(self.session.requests)
        await self.dp.feed_update(self.bot, update)
        out = []
        for method in self.session.requests[start:]:
            name = method.__api_method__
            markup = getattr(method, "reply_markup", None)
            text = getattr(method, "text", None) or getattr(method, "caption", None) or ""
            out.append(
                Sent(
                    method=name,
                    text=str(text),
                    markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                    show_alert=bool(getattr(method, "show_alert", False)),
                )
            )
        return out


def build_harness(
    settings: Settings,
    data: BotData,
    index: SearchIndex,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock | None = None,
    *,
    storage: BaseStorage | None = None,
    dedup_updates: bool = False,
    first_update_id: int = 1,
) -> Harness:
    """The real dispatcher (database FSM storage unless given) and a bot on a fresh
    recording session."""
    session = RecordingSession()
    bot = Bot(
        token="123456:TEST-TOKEN",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    dp = create_dispatcher(
        settings=settings,
        data=data,
        index=index,
        session_factory=session_factory,
        storage=storage or DatabaseStorage(session_factory),
        clock=clock,
        dedup_updates=dedup_updates,
    )
    return Harness(
        dp=dp, bot=bot, session=session, _update_ids=itertools.count(first_update_id)
    )


REDIS_URL = os.environ.get("REDIS_URL")


@asynccontextmanager
async def redis_storage(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[ResilientStorage]:
    """The conversation storage of ``cchc-bot run`` with REDIS_URL (Redis behind the wrapper
    that survives an outage, here without a cooldown: tests fail Redis on purpose), under a
    key prefix of its own whose keys are deleted afterwards. Skips the test without REDIS_URL."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    prefix = f"cchc-test-{uuid.uuid4().hex[:12]}"
    inner: Any = create_storage(REDIS_URL, session_factory)
    inner.key_builder = DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)
    storage = ResilientStorage(inner, cooldown=0.0)
    try:
        yield storage
    finally:
        keys = [key async for key in inner.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await inner.redis.delete(*keys)
        await storage.close()


@asynccontextmanager
async def harness_on(
    kind: str,
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Harness]:
    """The bot with its conversation state in the database (``kind`` "database") or in Redis
    ("redis": skipped without REDIS_URL)."""
    data, index = shipped
    async with AsyncExitStack() as stack:
        storage = None
        if kind == "redis":
            storage = await stack.enter_async_context(redis_storage(session_factory))
        yield build_harness(settings, data, index, session_factory, storage=storage)


@contextmanager
def failing_commit_after(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str
) -> Iterator[None]:
    """The first database commit after each call of ``owner.name`` fails, as a connection lost
    at the commit would (the transaction is rolled back): a commit of the session, or of the
    statements run on the SQLite driver (bot/db/direct.py)."""
    original: Callable[..., Any] = getattr(owner, name)
    armed: list[bool] = []
    commit = direct.commit

    async def direct_commit(session: AsyncSession) -> None:
        if armed:
            armed.clear()
            await direct.rollback(session)
            raise ConnectionError("the database went away at the commit")
        await commit(session)

    async def called(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        armed.append(True)
        return result

    def before_commit(session: Session) -> None:
        if armed:
            armed.clear()
            raise ConnectionError("the database went away at the commit")

    monkeypatch.setattr(owner, name, called)
    monkeypatch.setattr(direct, "commit", direct_commit)
    event.listen(Session, "before_commit", before_commit)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", before_commit)
        monkeypatch.setattr(owner, name, original)
        monkeypatch.setattr(direct, "commit", commit)


def failing_clear(monkeypatch: pytest.MonkeyPatch, storage: ResilientStorage) -> None:
    """The next end of a conversation (its state set to none) fails in Redis, as Redis lost at
    that moment (or the process killed) would leave it: the state and data stay."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    inner: Any = storage.inner
    original = inner.set_state
    failing = [True]

    async def set_state(key: Any, state: Any = None) -> None:
        if failing and state is None:
            failing.clear()
            raise RedisConnectionError("Redis went away")
        await original(key, state)

    monkeypatch.setattr(inner, "set_state", set_state)
    together = inner.set_state_and_data

    async def set_state_and_data(key: Any, state: Any, data: Any) -> None:
        if failing and state is None:
            failing.clear()
            raise RedisConnectionError("Redis went away")
        await together(key, state, data)

    monkeypatch.setattr(inner, "set_state_and_data", set_state_and_data)


def failing_redis_write(monkeypatch: pytest.MonkeyPatch, storage: ResilientStorage) -> None:
    """The next write of a conversation's state or data fails in Redis, as Redis lost at that
    moment (or the process killed) would leave it: what Redis held stays."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    inner: Any = storage.inner
    failing = [True]
    for name in ("set_state", "set_data", "set_state_and_data"):
        original = getattr(inner, name)

        def failing_once(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if failing:
                failing.clear()
                raise RedisConnectionError("Redis went away")
            return _original(*args, **kwargs)

        monkeypatch.setattr(inner, name, failing_once)
