"""Assembling the bot: the dispatcher factory (shared with the tests) and the run loop.

The one module of bot/ that imports the upper layers (handlers' routers, the jobs); the
architecture test allows it by name.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNotFound, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.types import BotCommand, BotCommandScopeDefault, User
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot.background import JobContext, start_jobs
from bot.clock import Clock, SystemClock
from bot.data import BotData, load_data
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_in_subprocess
from bot.dedup import DatabaseClaims, RedisClaims, UpdateClaims
from bot.isolation import UserEventIsolation
from bot.lazymodels import warm_up
from bot.logs import UpdateLogContext
from bot.middleware import SessionMiddleware
from bot.resilience import (
    FallbackClaims,
    ResilientStorage,
    RetryAfterMiddleware,
    StartupInterrupted,
    retry_until_ready,
    wait_for_dependencies,
)
from bot.settings import Settings
from bot.storage import create_storage
from handlers.errors import on_error
from handlers.guards import FloodControl, PrivateChatsOnly
from handlers.texts import COMMANDS
from jobs import all_jobs
from knowledge.search import SearchIndex

log = logging.getLogger(__name__)


def create_bot(settings: Settings, *, token: str | None = None, api_url: str | None = None) -> Bot:
    """A Bot with HTML parse mode, pointed at ``api_url``/``TELEGRAM_API_URL`` when set."""
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not secret:
        raise ValueError("BOT_TOKEN is required")
    base = api_url or settings.telegram_api_url
    session = AiohttpSession(api=TelegramAPIServer.from_base(base)) if base else AiohttpSession()
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=secret,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(
    *,
    settings: Settings,
    data: BotData,
    index: SearchIndex,
    session_factory: async_sessionmaker[AsyncSession],
    storage: BaseStorage,
    events_isolation: BaseEventIsolation | None = None,
    clock: Clock | None = None,
    dedup_updates: bool = False,
    **extra: Any,
) -> Dispatcher:
    """The dispatcher with every router, the session middleware and the error handler.

    Dependencies are stored in the dispatcher and injected into handlers by name. With
    ``dedup_updates`` (every real bot process) an update is handled by one process only, once.
    """
    now = clock or SystemClock()
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation or UserEventIsolation(),
        settings=settings,
        catalogue=data.catalogue,
        bot_data=data,
        entries=data.entries,
        index=index,
        session_factory=session_factory,
        clock=now,
        **extra,
    )
    dp.update.outer_middleware(UpdateLogContext())
    # Guards first: a group chat or a flood is answered before any database or state work.
    dp.update.outer_middleware(PrivateChatsOnly(settings.bot_username))
    dp.update.outer_middleware(
        FloodControl(
            settings.flood_max_updates,
            settings.flood_window_seconds,
            clock=lambda: now.now().timestamp(),
        )
    )
    claims: UpdateClaims | None = None
    if dedup_updates:
        redis = getattr(storage, "redis", None)  # RedisStorage: claims in Redis too
        claims = RedisClaims(redis) if redis is not None else DatabaseClaims()
        if redis is not None and isinstance(storage, ResilientStorage):
            claims = FallbackClaims(claims, DatabaseClaims())
    session_mw = SessionMiddleware(session_factory, settings.admin_ids, claims=claims, fsm=dp.fsm)
    # The session middleware does the FSM middleware's work (the user's lock, then the state
    # read in the update's session): aiogram's own leaves the chain.
    dp.update.outer_middleware.unregister(dp.fsm)
    dp.update.outer_middleware(session_mw)
    dp.include_routers(*handlers.routers())
    dp.errors.register(on_error)
    return dp


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command=c, description=d) for c, d in COMMANDS],
        scope=BotCommandScopeDefault(),
    )


async def prepare(settings: Settings) -> tuple[BotData, SearchIndex]:
    """Load and check the data files and build the search index (before any network)."""
    # On the loop's thread (nothing else runs yet): a worker thread would leave a malloc arena
    # of its own, a few MB of the freed temporaries of loading, for the process's life.
    data = load_data(settings)
    # The default set's index: a commune set loaded beside it does not mix its codes in.
    index = data.index()
    # Each other set's own index, for the units of its level (and guests who chose it).
    for set_id in data.catalogue.sets:
        if set_id != data.catalogue.current.id:
            data.set_index(set_id)
    return data, index


def freeze_loaded() -> None:
    """Leave what start-up built (data, search indexes, models, the dispatcher) out of the
    garbage collector's full passes: about 300,000 long-lived objects, which a full collection
    otherwise walks again every few thousand updates (0.3-0.4 s on the event loop each time).
    Called once everything the process keeps is loaded."""
    gc.collect()
    gc.freeze()


@dataclass
class Assembled:
    bot: Bot
    dp: Dispatcher
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    data: BotData

    def job_context(self, stop: asyncio.Event) -> JobContext:
        return JobContext(
            bot=self.bot,
            settings=self.dp["settings"],
            catalogue=self.data.catalogue,
            session_factory=self.session_factory,
            clock=self.clock,
            stop=stop,
            index=self.dp["index"],
            bot_data=self.data,
            jobs=all_jobs(),
        )

    async def wait_for_dependencies(self, stop: asyncio.Event) -> User:
        """The database, Redis and the Bot API, retried until they answer (see resilience)."""
        return await wait_for_dependencies(
            bot=self.bot,
            engine=self.engine,
            storage=self.dp.storage,
            stop=stop,
            max_delay=self.dp["settings"].startup_retry_max_seconds,
        )

    async def retry_bot_api(
        self, call: Callable[[], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        """A start-up call to the Bot API, retried like :meth:`wait_for_dependencies`."""
        await retry_until_ready(
            "Bot API",
            call,
            stop,
            max_delay=self.dp["settings"].startup_retry_max_seconds,
            fatal=(TelegramUnauthorizedError, TelegramNotFound),
        )

    async def close(self) -> None:
        await self.bot.session.close()
        await self.dp.storage.close()
        await self.engine.dispose()
        gc.unfreeze()  # what start-up built can be collected again (a process running on)


async def assemble(
    settings: Settings,
    *,
    api_url: str | None = None,
    token: str | None = None,
    migrate: bool | None = None,
) -> Assembled:
    """Check data, migrate the database, and build the bot and its dispatcher.

    Migrations run by default only on the embedded SQLite file; a PostgreSQL deployment runs
    ``cchc-bot db upgrade`` itself (the console, a development tool, always migrates).
    """
    data, index = await prepare(settings)
    warm_up()  # aiogram's models for updates and replies (bot/lazymodels.py)
    if settings.is_embedded_db if migrate is None else migrate:
        # In a child process: alembic never enters this one (bot/db/migrate.py).
        await upgrade_in_subprocess(settings.db_url, settings.log_level)
    engine = create_engine(
        settings.db_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    session_factory = create_session_factory(engine)
    storage = create_storage(settings.redis_url, session_factory)
    if settings.redis_url:
        storage = ResilientStorage(storage)
    bot = create_bot(settings, token=token, api_url=api_url)
    clock = SystemClock()
    dp = create_dispatcher(
        settings=settings,
        data=data,
        index=index,
        session_factory=session_factory,
        storage=storage,
        clock=clock,
        dedup_updates=True,
    )
    freeze_loaded()
    return Assembled(
        bot=bot, dp=dp, engine=engine, session_factory=session_factory, clock=clock, data=data
    )


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


async def run_bot(
    settings: Settings,
    *,
    api_url: str | None = None,
    token: str | None = None,
    stop_event: asyncio.Event | None = None,
    handle_signals: bool = False,
    migrate: bool | None = None,
) -> None:
    """Run the bot with long polling until ``stop_event`` is set (or SIGINT/SIGTERM)."""
    app = await assemble(settings, api_url=api_url, token=token, migrate=migrate)
    bot, dp = app.bot, app.dp
    stop = stop_event or asyncio.Event()
    if handle_signals:
        install_signal_handlers(stop)
    try:
        try:
            me = await app.wait_for_dependencies(stop)
        except StartupInterrupted as exc:
            log.warning("Stopped before start: %s still unreachable", exc.dependency)
            return
        log.info("Bot @%s (id %s) starting long polling", me.username, me.id)

        async def prepare_polling() -> None:
            await bot.delete_webhook(drop_pending_updates=False)
            await set_commands(bot)

        try:
            await app.retry_bot_api(prepare_polling, stop)
        except StartupInterrupted as exc:
            log.warning("Stopped before start: %s still unreachable", exc.dependency)
            return
        background = start_jobs(app.job_context(stop))
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, close_bot_session=False)
        )
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({polling, waiter}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        if polling not in done:
            with suppress(RuntimeError):
                await dp.stop_polling()
            await polling
        waiter.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if polling in done:
            polling.result()
    finally:
        log.info("Shutting down")
        await app.close()
