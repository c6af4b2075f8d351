"""The one per-update middleware: conversation state, a database session, the update claim
and the sender.

It does the work of aiogram's FSM middleware too (which ``bot.app.create_dispatcher`` leaves
out of the chain): the user's lock (one update at a time per user) is taken first, then the
session is opened and the FSM record read in it, so that a plain question costs one lock,
one FSM context, one session and one transaction for the reads (the claim, the person with
their unit, the FSM record) and the handler's own writes.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
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
from bot.dedup import DatabaseClaims, UpdateClaims
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


async def _give_back(
    held: HeldConnections, connection: AsyncConnection, session: AsyncSession | None
) -> None:
    """Give the update's connection back. On the loop's own SQLite driver it is kept for the
    next update or closed (bot/db/held.py): either waits for nothing and cannot be interrupted
    halfway, so it is done in place, without the task SQLAlchemy's ``async with`` runs a close
    in (to survive a cancellation; a loop iteration per update), which every other driver
    keeps."""
    if session is not None and direct.bound(session):
        await held.give_back(connection)
    else:
        await connection.__aexit__(None, None, None)


class _UpdateSession:
    """``async with``: the update's session on a connection of ``held`` (or the factory's own
    session without one). A plain context manager: it runs for every update."""

    __slots__ = ("connection", "factory", "held", "plain", "session")

    def __init__(
        self, factory: async_sessionmaker[AsyncSession], held: HeldConnections | None
    ) -> None:
        self.factory = factory
        self.held = held
        self.connection: AsyncConnection | None = None
        self.session: AsyncSession | None = None
        self.plain: AsyncSession | None = None

    async def __aenter__(self) -> AsyncSession:
        if self.held is None:
            self.plain = self.factory()
            return await self.plain.__aenter__()
        connection = self.connection = await self.held.take()
        try:
            session = self.session = self.factory(bind=connection)
            direct.bind(session, connection)  # the hot statements on the driver
        except BaseException:
            await _give_back(self.held, connection, None)
            raise
        return session

    async def __aexit__(self, *exc: Any) -> None:
        if self.plain is not None:
            await self.plain.__aexit__(*exc)
            return
        assert self.held is not None and self.connection is not None
        try:
            if self.session is not None:
                await _close(self.session)
        finally:
            await _give_back(self.held, self.connection, self.session)


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
        # aiogram's FSM middleware, whose work is done here (see :meth:`__call__`); with the
        # database storage the FSM record is read in the same statement as the sender.
        self.fsm = fsm
        self._reads_fsm = fsm is not None and isinstance(fsm.storage, DatabaseStorage)
        self._held: HeldConnections | None = None
        self._hooked: weakref.WeakSet[BaseSession] = weakref.WeakSet()
        # The claim waits for the handler's first commit only where the update has nothing
        # else to wait for: claims in the database, no Redis (a Redis call timing out must
        # not find the SQLite write lock held).
        self._defer = type(claims) is DatabaseClaims

    def _session(self) -> _UpdateSession:
        """The update's session, on one connection for the whole update: the session commits
        and begins again on it (the reads, then the handler's writes) instead of giving the
        connection back to the pool and taking one again at each commit. On the SQLite
        driver the connection is one held between updates (bot/db/held.py)."""
        engine = self.session_factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            return _UpdateSession(self.session_factory, None)
        held = self._held
        if held is None or held.engine is not engine:
            held = self._held = HeldConnections(engine)
        return _UpdateSession(self.session_factory, held)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        fsm = self.fsm
        if fsm is None:
            return await self._handle(handler, event, data, None)
        # aiogram's FSM middleware, here: one context per update, and its lock taken before
        # the state is read (an update waiting for the user's previous one then reads what
        # that one left), and before a connection is taken (a waiting update holds none).
        context = fsm.resolve_event_context(data["bot"], data)
        data["fsm_storage"] = fsm.storage
        if context is None:
            return await self._handle(handler, event, data, None)
        async with fsm.events_isolation.lock(context.key):
            return await self._handle(handler, event, data, context)

    async def _handle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
        context: FSMContext | None,
    ) -> Any:
        user: User | None = data.get("event_from_user")
        bot: Bot = data["bot"]
        catalogue = data.get("catalogue")
        async with self._session() as session, update_scope(session) as scope:
            person = None
            set_year = SetYear(catalogue.current, catalogue.current.year) if catalogue else None
            if user is not None and catalogue is not None:
                # The FSM record in the same statement: the storage then reads no more.
                fsm_key = storage_key(context.key) if context and self._reads_fsm else None
                found = await who(session, catalogue, user.id, fsm_key)
                person, set_year = found.person, found.set_year
                if fsm_key is not None and context is not None:
                    scope.remember(context.key, found.fsm)
            elif user is not None:
                person = await get_person(session, user.id)
            # The claim last, right before the commit: on SQLite the write lock it takes is
            # held for one statement, not for the reads too.
            pending: _PendingClaim | None = None
            if self.claims is not None and isinstance(event, Update):
                clock = data.get("clock")
                now = clock.now() if clock is not None else utcnow()
                if not await self.claims.claim(session, bot.id, event.update_id, now):
                    await direct.commit(session)
                    log.info("Update %s was already taken; skipped", event.update_id)
                    return None
                if self._defer:
                    pending = _PendingClaim.after_claim(session, bot.id, event.update_id, now)
            if pending is None:
                await direct.commit(session)
            else:
                self._hook(bot)
            if context is not None:
                # Read in the statement above on the database storage (no second read).
                data["state"] = context
                data["raw_state"] = await context.get_state()
            data["session"] = session
            data["person"] = person
            data["role"] = effective_role(person, user.id if user else 0, self.admin_ids)
            if set_year is not None:
                data["set_year"] = set_year
                bot_data, index = data.get("bot_data"), data.get("index")
                if bot_data is not None and index is not None:
                    data["set_index"] = bot_data.index_of(set_year.cset.id, index)
            if pending is None:
                return await handler(event, data)
            token = _pending_claim.set(pending)
            try:
                return await handler(event, data)
            finally:
                _pending_claim.reset(token)
                await self._settle(pending)

    def _hook(self, bot: Bot) -> None:
        """Commit a deferred claim before the update's first request to Telegram (once per
        bot session; a dispatcher may serve several bots)."""
        if bot.session not in self._hooked:
            self._hooked.add(bot.session)
            bot.session.middleware(CommitClaimBeforeRequests())

    async def _settle(self, pending: _PendingClaim) -> None:
        """The update is over: its claim must be committed whatever happened to it."""
        session = pending.session
        try:
            state = direct.driver_state(session)
            if state == pending.state:
                await direct.commit_driver(session)  # the claim alone: nobody wrote after it
                return
            if state is not None and state[0]:
                # Writes the handler left uncommitted: rolled back, as they would be when the
                # connection goes back; the claim is made again, alone.
                await direct.rollback(session)
            elif state is not None and state[2] == pending.state[2]:
                return  # committed with the handler's writes (or before a request)
            assert self.claims is not None
            await self.claims.claim(session, pending.bot_id, pending.update_id, pending.now)
            await direct.commit(session)
        except Exception:
            log.exception("Update %s: its claim could not be committed", pending.update_id)


@dataclass(frozen=True, slots=True)
class _PendingClaim:
    """An update's claim on the SQLite driver, left uncommitted so that the handler's first
    write transaction (a question's log) commits it too: one commit per update instead of
    two. It is committed alone before any request to Telegram while nothing else was written
    (:class:`CommitClaimBeforeRequests`: the write lock is never held across the network by
    it), and at the end of the update if still open — or made again if the update's
    transaction was rolled back (an error): an update is claimed once handled, as before."""

    session: AsyncSession
    bot_id: int
    update_id: int
    now: datetime
    state: tuple[bool, int, int]  # the driver's right after the claim

    @classmethod
    def after_claim(
        cls, session: AsyncSession, bot_id: int, update_id: int, now: datetime
    ) -> _PendingClaim | None:
        """None where the claim cannot wait (not on the driver, or not a write of its own:
        Redis claims, PostgreSQL — where a handler's ``session.begin()`` needs none open)."""
        state = direct.driver_state(session)
        if state is None or not state[0] or session.in_transaction():
            return None
        return cls(session, bot_id, update_id, now, state)


_pending_claim: ContextVar[_PendingClaim | None] = ContextVar("cchc_pending_claim", default=None)


class CommitClaimBeforeRequests(BaseRequestMiddleware):
    """Bot session middleware: the update's deferred claim (:class:`_PendingClaim`) is
    committed before a request while nothing but the claim is uncommitted."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        pending = _pending_claim.get()
        if pending is not None and direct.driver_state(pending.session) == pending.state:
            await direct.commit_driver(pending.session)
        return await make_request(bot, method)
