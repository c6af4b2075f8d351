"""The one per-update middleware: a database session, the update claim and the sender.

It runs before aiogram's FSM middleware (see ``bot.app.create_dispatcher``), so that the FSM
storage works in the same session: for a plain question the whole update costs one session,
one transaction for the reads (the claim, the person with their unit, the FSM record) and
the handler's own writes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from bot.db import direct
from bot.db.held import HeldConnections
from bot.db.models import utcnow
from bot.dedup import UpdateClaims
from bot.services.people import effective_role, get_person
from bot.services.years import SetYear, who
from bot.storage import DatabaseStorage, storage_key, update_scope

log = logging.getLogger(__name__)


async def _close(session: AsyncSession) -> None:
    """End the update's session. With no transaction left open there is nothing to roll
    back or give back (the connection is the middleware's): forgetting its objects is all
    that closing it does, done here without the two greenlet switches of ``close()``."""
    if session.in_transaction():
        await session.close()
    else:
        session.sync_session.expunge_all()


async def _give_back(connection: AsyncConnection, session: AsyncSession | None) -> None:
    """Give the update's connection back to the pool. On the loop's own SQLite driver closing
    waits for nothing (the pool's rollback is a call in place): it cannot be interrupted
    halfway, so it is closed in place, without the task SQLAlchemy's ``async with`` runs it in
    (to survive a cancellation; a loop iteration per update), which every other driver keeps."""
    if session is not None and direct.bound(session):
        await connection.close()
    else:
        await connection.__aexit__(None, None, None)


class SessionMiddleware(BaseMiddleware):
    """Opens one session per update and resolves who is writing.

    Handlers receive ``session``, ``person`` (or None), ``role`` and ``set_year``: the criteria
    set and year the sender works on (their unit's level, else the level they chose, else the
    default set), read with the person in one statement; and ``set_index``, that set's search
    index, so that a commune officer's questions are answered from the commune set. With
    ``claims`` an update another process (or an earlier delivery) already took is dropped
    before anything else. The reads are committed at once so that handlers start their own
    ``session.begin()``.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        admin_ids: tuple[int, ...],
        *,
        claims: UpdateClaims | None = None,
        fsm: FSMContextMiddleware | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.admin_ids = admin_ids
        self.claims = claims
        # With the database storage the FSM record is read in the same transaction.
        self.fsm = fsm if fsm is not None and isinstance(fsm.storage, DatabaseStorage) else None
        self._held: HeldConnections | None = None

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """The update's session, on one connection for the whole update: the session commits
        and begins again on it (the reads, then the handler's writes) instead of giving the
        connection back to the pool and taking one again at each commit. On the SQLite
        driver the connection is one held between updates (bot/db/held.py)."""
        engine = self.session_factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            async with self.session_factory() as session:
                yield session
            return
        held = self._held
        if held is None or held.engine is not engine:
            held = self._held = HeldConnections(engine)
        connection = await held.take()
        update_session: AsyncSession | None = None
        try:
            update_session = self.session_factory(bind=connection)
            direct.bind(update_session, connection)  # the hot statements on the driver
            yield update_session
        finally:
            try:
                if update_session is not None:
                    await _close(update_session)
            finally:
                if update_session is not None and direct.bound(update_session):
                    # Kept for the next update, or closed: on the loop's own SQLite driver
                    # either waits for nothing and cannot be interrupted halfway, so the task
                    # SQLAlchemy's ``async with`` runs a close in (to survive a cancellation;
                    # a loop iteration per update) is not needed.
                    await held.give_back(connection)
                else:
                    await connection.__aexit__(None, None, None)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        bot: Bot = data["bot"]
        catalogue = data.get("catalogue")
        async with self._session() as session, update_scope(session) as scope:
            person = None
            set_year = SetYear(catalogue.current, catalogue.current.year) if catalogue else None
            context = None
            if self.fsm is not None:
                context = self.fsm.resolve_event_context(bot, data)
            if user is not None and catalogue is not None:
                # The FSM record in the same statement: the storage then reads no more.
                fsm_key = storage_key(context.key) if context is not None else None
                found = await who(session, catalogue, user.id, fsm_key)
                person, set_year = found.person, found.set_year
                if context is not None:
                    scope.remember(context.key, found.fsm)
            elif user is not None:
                person = await get_person(session, user.id)
            if context is not None:
                await context.get_state()  # cached for the FSM middleware and handlers
            # The claim last, right before the commit: on SQLite the write lock it takes is
            # held for one statement, not for the reads too.
            if self.claims is not None and isinstance(event, Update):
                clock = data.get("clock")
                now = clock.now() if clock is not None else utcnow()
                if not await self.claims.claim(session, bot.id, event.update_id, now):
                    await direct.commit(session)
                    log.info("Update %s was already taken; skipped", event.update_id)
                    return None
            await direct.commit(session)
            data["session"] = session
            data["person"] = person
            data["role"] = effective_role(person, user.id if user else 0, self.admin_ids)
            if set_year is not None:
                data["set_year"] = set_year
                bot_data, index = data.get("bot_data"), data.get("index")
                if bot_data is not None and index is not None:
                    data["set_index"] = bot_data.index_of(set_year.cset.id, index)
            return await handler(event, data)
