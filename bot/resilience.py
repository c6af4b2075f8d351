"""Surviving the dependencies: start-up checks with backoff, 429 on direct replies, and
conversation state that degrades instead of failing every update when Redis is down."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNotFound, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import User
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import CchcError
from bot.storage import held_writes

log = logging.getLogger(__name__)

T = TypeVar("T")

# -- start-up -------------------------------------------------------------------------------


class StartupInterrupted(Exception):
    """The process was asked to stop while a dependency was still unreachable."""

    def __init__(self, dependency: str) -> None:
        super().__init__(dependency)
        self.dependency = dependency


class TokenRejected(CchcError):
    user_message = (
        "Lỗi cấu hình: Telegram từ chối BOT_TOKEN (token sai hoặc đã bị thu hồi); "
        "lấy lại token từ @BotFather."
    )


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: first line of the message``, short enough for one log line."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(message) > limit:
        message = message[:limit] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


async def retry_until_ready(
    name: str,
    check: Callable[[], Awaitable[T]],
    stop: asyncio.Event,
    *,
    max_delay: float,
    first_delay: float = 0.5,
    fatal: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``check`` until it succeeds, waiting 0.5 s, 1 s, 2 s … (at most ``max_delay``)
    between attempts with one log line each; :class:`StartupInterrupted` when ``stop`` is set.
    Exceptions in ``fatal`` are not retried."""
    delay = first_delay
    attempt = 1
    while True:
        if stop.is_set():
            raise StartupInterrupted(name)
        try:
            return await check()
        except fatal:
            raise
        except Exception as exc:
            wait = min(delay, max_delay)
            log.warning(
                "%s unreachable (attempt %d): %s; retrying in %.1f s",
                name,
                attempt,
                one_line(exc),
                wait,
            )
        try:
            await asyncio.wait_for(stop.wait(), wait)
        except TimeoutError:
            pass
        delay *= 2
        attempt += 1


async def _ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def wait_for_dependencies(
    *, bot: Bot, engine: AsyncEngine, storage: BaseStorage, stop: asyncio.Event, max_delay: float
) -> User:
    """Wait until the database, Redis (when used) and the Bot API answer; the bot's user."""
    await retry_until_ready("Database", lambda: _ping_database(engine), stop, max_delay=max_delay)
    redis = _redis_of(storage)
    if redis is not None:
        await retry_until_ready("Redis", redis.ping, stop, max_delay=max_delay)
    try:
        return await retry_until_ready(
            "Bot API",
            bot.get_me,
            stop,
            max_delay=max_delay,
            fatal=(TelegramUnauthorizedError, TelegramNotFound),
        )
    except (TelegramUnauthorizedError, TelegramNotFound) as exc:
        raise TokenRejected from exc


def _redis_of(storage: BaseStorage) -> Any:
    return getattr(storage, "redis", None)


# -- 429 on direct replies ---------------------------------------------------------------------

_DIRECT_REPLY: contextvars.ContextVar[bool] = contextvars.ContextVar("direct_reply", default=False)


def mark_direct_replies() -> None:
    """Called while handling an update: requests made from here on are direct replies."""
    _DIRECT_REPLY.set(True)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """A direct reply refused with 429 waits ``retry_after`` and is sent again (a few times,
    while the wait is short), with one warning line instead of an error and a traceback.

    Background senders (the outbox) handle 429 themselves and are left alone."""

    def __init__(self, *, attempts: int = 3, max_wait: float = 30.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if (
                    not _DIRECT_REPLY.get()
                    or attempt >= self.attempts
                    or exc.retry_after > self.max_wait
                ):
                    raise
                log.warning(
                    "Telegram 429 on %s: waiting %s s, then retrying (attempt %d)",
                    method.__api_method__,
                    exc.retry_after,
                    attempt + 1,
                )
                await asyncio.sleep(exc.retry_after)
                attempt += 1


# -- conversation state when Redis is down ------------------------------------------------------


class StateUnavailable(CchcError):
    user_message = (
        "⚠️ Bot tạm thời không thể tiếp tục thao tác này vì mất kết nối tới nơi lưu trạng thái "
        "hội thoại. Các câu trả lời đã lưu không bị mất. Bạn vẫn hỏi đáp, xem /tieuchi và "
        "/hanchot được; hãy thử lại sau ít phút."
    )


class ResilientStorage(BaseStorage):
    """Wraps the Redis FSM storage so that an outage fails only what needs the state.

    Reading the *state* (which aiogram does for every update) never fails: while Redis is
    unreachable the last state this process saw for the key is used, or "no state", so that
    questions, /tieuchi and /hanchot keep working. Writing state, or reading or writing
    conversation *data*, raises :class:`StateUnavailable`, which the error handler shows.
    After a failure Redis is left alone for ``cooldown`` seconds, then tried again: the bot
    recovers by itself.
    """

    def __init__(
        self,
        inner: BaseStorage,
        *,
        cooldown: float = 2.0,
        remembered: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.cooldown = cooldown
        self.clock = clock
        self._down_until = 0.0
        self._remembered = remembered
        self._states: OrderedDict[StorageKey, str | None] = OrderedDict()

    @property
    def available(self) -> bool:
        return self.clock() >= self._down_until

    def _remember(self, key: StorageKey, state: str | None) -> None:
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self._remembered:
            self._states.popitem(last=False)

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        if not self.available:
            raise StateUnavailable
        try:
            result = await operation()
        except Exception as exc:
            if not _is_outage(exc):
                raise
            self._failed(exc)
            raise StateUnavailable from exc
        if self._down_until:
            log.warning("FSM storage reachable again")
            self._down_until = 0.0
        return result

    def _failed(self, exc: BaseException) -> None:
        if self.available:
            log.warning("FSM storage unreachable: %s", one_line(exc))
        self._down_until = self.clock() + self.cooldown

    # Inside a step's database transaction writes are held, and written once it has
    # committed (bot/storage.py, step_transaction); reads see them.

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        held = held_writes()
        if held is not None:
            held.set(self, key, state=state)
            return
        await self._call(lambda: self.inner.set_state(key, state))
        self._remember(key, state if state is None or isinstance(state, str) else state.state)

    async def get_state(self, key: StorageKey) -> str | None:
        held = held_writes()
        if held is not None:
            return await held.state(self, key, lambda: self._get_state(key))
        return await self._get_state(key)

    async def _get_state(self, key: StorageKey) -> str | None:
        try:
            state = await self._call(lambda: self.inner.get_state(key))
        except StateUnavailable:
            return self._states.get(key)
        self._remember(key, state)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        held = held_writes()
        if held is not None:
            held.set(self, key, data=data)
            return
        await self._call(lambda: self.inner.set_data(key, data))

    async def set_state_and_data(
        self, key: StorageKey, state: StateType, data: Mapping[str, Any]
    ) -> None:
        """One atomic write when the wrapped storage has one (bot/storage.py, set_step)."""
        held = held_writes()
        if held is not None:
            held.set(self, key, state=state, data=data)
            return
        together = getattr(self.inner, "set_state_and_data", None)
        if together is None:
            await self._call(lambda: self.inner.set_data(key, data))
            await self._call(lambda: self.inner.set_state(key, state))
        else:
            await self._call(lambda: together(key, state, data))
        self._remember(key, state if state is None or isinstance(state, str) else state.state)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = held_writes()
        if held is not None:
            return await held.data(self, key, lambda: self._call(lambda: self.inner.get_data(key)))
        return await self._call(lambda: self.inner.get_data(key))

    async def close(self) -> None:
        await self.inner.close()

    @property
    def redis(self) -> Any:
        """The Redis client of the wrapped storage (None for another storage)."""
        return getattr(self.inner, "redis", None)


class FallbackClaims:
    """Update claims in Redis, or in the database while Redis is unreachable, so that an
    outage of Redis does not fail every update in the claim (see bot/dedup.py)."""

    def __init__(self, primary: Any, fallback: Any) -> None:
        self.primary = primary
        self.fallback = fallback

    async def claim(self, session: Any, bot_id: int, update_id: int, now: Any) -> bool:
        try:
            return bool(await self.primary.claim(session, bot_id, update_id, now))
        except Exception as exc:
            if not _is_outage(exc):
                raise
            log.warning("Update claims: Redis unreachable, using the database: %s", one_line(exc))
        return bool(await self.fallback.claim(session, bot_id, update_id, now))


def _is_outage(exc: BaseException) -> bool:
    """A network failure or any error of the Redis client."""
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return True
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is installed when Redis is used
        return False
    return isinstance(exc, RedisError)
