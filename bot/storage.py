"""Persistent FSM storage: in the database by default, in Redis when REDIS_URL is set.

During an update the database storage works in the update's own session (the one the
session middleware opened, see :func:`update_scope`): the state is read once per update
(together with the data, one SELECT) and each change is one statement — an upsert of the
whole record, or a DELETE when the record becomes empty. Inside a transaction the handler
opened (``async with session.begin()``) a change joins that transaction and is committed
with it; otherwise it is committed at once. Outside an update (tools, tests) each call is its
own short transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import SessionTransactionOrigin

from bot.db import direct
from bot.db.dialects import conflict_insert
from bot.db.models import FsmRecord, utcnow

logger = logging.getLogger(__name__)

KEY_SEPARATOR = ":"
EMPTY = "{}"


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


@dataclass
class _Record:
    state: str | None
    data: str  # JSON text, as stored


@dataclass
class UpdateScope:
    """The update's session and the FSM records it has read or written (its cache)."""

    session: AsyncSession
    records: dict[str, _Record] = field(default_factory=dict)
    # Inside :func:`step_transaction`: FSM writes join the step's transaction, even one the
    # update's reads began (autobegin), and are committed with the step's writes.
    held: int = 0

    def remember(self, key: StorageKey, found: tuple[str | None, str] | None) -> None:
        """The record of ``key`` as read by the caller in this update's session (None: no
        record): the storage's first read of it is then this, not a SELECT."""
        self.records[storage_key(key)] = _Record(None, EMPTY) if found is None else _Record(*found)


_scope: ContextVar[UpdateScope | None] = ContextVar("cchc_update_scope", default=None)


class _InScope:
    """``async with update_scope(session) as scope`` (a plain context manager: it runs for
    every update, and a generator-based one cost several microseconds more)."""

    __slots__ = ("scope", "token")

    def __init__(self, session: AsyncSession) -> None:
        self.scope = UpdateScope(session)

    async def __aenter__(self) -> UpdateScope:
        self.token = _scope.set(self.scope)
        return self.scope

    async def __aexit__(self, *exc: object) -> None:
        _scope.reset(self.token)


def update_scope(session: AsyncSession) -> _InScope:
    """Make ``session`` the FSM storage's session for the code run inside (one update)."""
    return _InScope(session)


# The storage's three statements, built once (per dialect) with bound parameters: an update
# runs one or two of them, and building one cost more than running it.
_TABLE: Table = FsmRecord.__table__  # type: ignore[assignment]


@cache
def _select_statement() -> Any:
    return select(_TABLE.c.state, _TABLE.c.data).where(_TABLE.c.key == bindparam("key"))


@cache
def _delete_statement() -> Any:
    return delete(_TABLE).where(_TABLE.c.key == bindparam("key"))


@cache
def _upsert_statement(dialect: str) -> Any:
    insert = conflict_insert(dialect)
    columns = ("key", "state", "data", "updated_at")
    stmt = insert(_TABLE).values(
        {name: bindparam(name, type_=_TABLE.c[name].type) for name in columns}
    )
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={name: stmt.excluded[name] for name in columns[1:]},
    )


_SELECT = direct.Statement(lambda _dialect: _select_statement())
_DELETE = direct.Statement(lambda _dialect: _delete_statement())
_UPSERT = direct.Statement(_upsert_statement)


def _upsert_params(row_key: str, record: _Record) -> dict[str, Any]:
    return {"key": row_key, "state": record.state, "data": record.data, "updated_at": utcnow()}


_UNSET: Any = object()


@dataclass
class _Held:
    """A conversation's writes held during a step: its state and data (JSON text) as set, and
    as read from the storage (to write only what changed)."""

    state: Any = _UNSET
    data: Any = _UNSET
    read_state: Any = _UNSET
    read_data: Any = _UNSET


class HeldWrites:
    """The FSM writes of a storage that cannot join the database transaction (Redis), held
    while a step's transaction runs (:func:`step_transaction`): reads see them, and they are
    written once the transaction has committed — dropped if it fails, so that a failed commit
    leaves the conversation at the step before. The storage consults :func:`held_writes`
    (bot/resilience.py, ResilientStorage); the database storage writes in the transaction."""

    def __init__(self) -> None:
        self._held: dict[tuple[BaseStorage, StorageKey], _Held] = {}

    def _of(self, storage: BaseStorage, key: StorageKey) -> _Held:
        return self._held.setdefault((storage, key), _Held())

    def set(
        self, storage: BaseStorage, key: StorageKey, *, state: Any = _UNSET, data: Any = _UNSET
    ) -> None:
        held = self._of(storage, key)
        if state is not _UNSET:
            held.state = state.state if isinstance(state, State) else state
        if data is not _UNSET:
            if not isinstance(data, dict):
                msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
                raise DataNotDictLikeError(msg)
            held.data = json.dumps(data, ensure_ascii=False)

    async def state(
        self, storage: BaseStorage, key: StorageKey, read: Callable[[], Awaitable[str | None]]
    ) -> str | None:
        held = self._of(storage, key)
        if held.state is not _UNSET:
            return cast(str | None, held.state)
        if held.read_state is _UNSET:
            held.read_state = await read()
        return cast(str | None, held.read_state)

    async def data(
        self,
        storage: BaseStorage,
        key: StorageKey,
        read: Callable[[], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        held = self._of(storage, key)
        if held.data is _UNSET:
            if held.read_data is _UNSET:
                held.read_data = json.dumps(await read(), ensure_ascii=False)
            return cast(dict[str, Any], json.loads(held.read_data))
        return cast(dict[str, Any], json.loads(held.data))

    async def write(self) -> None:
        """Write what changed: state and data in one write when both did (as set_step)."""
        for (storage, key), held in self._held.items():
            state = held.state is not _UNSET and held.state != held.read_state
            data = held.data is not _UNSET and held.data != held.read_data
            if state and data:
                await _write_step(storage, key, held.state, json.loads(held.data))
            elif state:
                await storage.set_state(key, held.state)
            elif data:
                await storage.set_data(key, json.loads(held.data))


_held: ContextVar[HeldWrites | None] = ContextVar("cchc_held_fsm_writes", default=None)


def held_writes() -> HeldWrites | None:
    """The writes held for the step's transaction running now, if any."""
    return _held.get()


@asynccontextmanager
async def step_transaction(session: AsyncSession) -> AsyncIterator[None]:
    """One transaction for a step's writes and its FSM write, committed once at the end (or
    rolled back on an error). A transaction the update's reads began is joined rather than
    committed first: on SQLite a read takes no lock (the driver begins a transaction at the
    first write), on PostgreSQL reads and writes are simply one READ COMMITTED transaction.
    Statements run on the driver (bot/db/direct.py) are committed or rolled back with it.

    With the database storage the FSM write is a statement of the transaction: both or
    neither. Redis cannot join it, so there the FSM writes are held (:class:`HeldWrites`)
    and written only after the commit succeeded. A failure (or a process killed) between that
    commit and the write leaves the conversation at the step before: pressing again must be
    safe (an answer saved again replaces itself; a kept reference is not kept twice)."""
    scope = _scope.get()
    joined = scope is not None and scope.session is session
    if joined:
        assert scope is not None
        scope.held += 1
    writes = HeldWrites() if _held.get() is None else None  # an outer step holds them
    token = _held.set(writes) if writes is not None else None
    try:
        async with direct.transaction(session):
            yield
    finally:
        if token is not None:
            _held.reset(token)
        if joined:
            assert scope is not None
            scope.held -= 1
    if writes is not None:
        await writes.write()


@asynccontextmanager
async def ending_transaction(session: AsyncSession, context: FSMContext) -> AsyncIterator[None]:
    """A step transaction (:func:`step_transaction`) whose commit ends the conversation (its
    FSM state and data cleared): with the database storage in the same transaction, with
    Redis only after the commit succeeded (cleared first, a failed commit would lose the
    conversation). A process killed between that commit and the clear leaves the
    conversation as it was: what the transaction does must then be safe to do again (the
    ticket draft and the new deadline carry a key)."""
    async with step_transaction(session):
        yield
        await context.clear()


async def _commit_unless_owned(session: AsyncSession, began: bool) -> None:
    """Commit what we started; leave a transaction the handler opened to the handler."""
    scope = _scope.get()
    if scope is not None and scope.held and scope.session is session:
        return
    if began:
        await direct.commit(session)
        return
    transaction = session.sync_session.get_transaction()
    if transaction is not None and transaction.origin is SessionTransactionOrigin.AUTOBEGIN:
        await direct.commit(session)


class DatabaseStorage(BaseStorage):
    """aiogram FSM storage in the ``fsm_record`` table."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    # --- reading -------------------------------------------------------------------------

    @staticmethod
    async def _select(session: AsyncSession, row_key: str) -> _Record:
        found = await direct.rows(session, _SELECT, {"key": row_key})
        return _Record(None, EMPTY) if not found else _Record(found[0][0], found[0][1])

    async def _read(self, key: StorageKey) -> _Record:
        row_key = storage_key(key)
        scope = _scope.get()
        if scope is None:
            async with self._session_factory() as session:
                return await self._select(session, row_key)
        cached = scope.records.get(row_key)
        if cached is not None:
            return cached
        began = not scope.session.in_transaction()
        record = await self._select(scope.session, row_key)
        if began and scope.session.in_transaction():
            await scope.session.commit()  # a read: ends the transaction it had to begin
        scope.records[row_key] = record
        return record

    # --- writing: one statement ------------------------------------------------------------

    @staticmethod
    async def _execute(session: AsyncSession, row_key: str, record: _Record) -> None:
        if record.state is None and record.data == EMPTY:
            # A record with neither state nor data is worth nothing: keep the table small.
            await direct.execute(session, _DELETE, {"key": row_key})
            return
        await direct.execute(session, _UPSERT, _upsert_params(row_key, record))

    async def _write(self, key: StorageKey, **change: Any) -> None:
        row_key = storage_key(key)
        scope = _scope.get()
        if scope is None:
            async with self._session_factory.begin() as session:
                record = await self._select(session, row_key)
                record = _Record(**{**vars(record), **change})
                await self._execute(session, row_key, record)
            return
        before = await self._read(key)
        record = _Record(**{**vars(before), **change})
        if record == before:
            return  # e.g. clear() after the state was reset: the record is already so
        session = scope.session
        began = not session.in_transaction()
        await self._execute(session, row_key, record)
        await _commit_unless_owned(session, began)
        scope.records[row_key] = record

    # --- the aiogram interface -------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        await self._write(key, data=json.dumps(data, ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads((await self._read(key)).data))

    async def set_state_and_data(
        self, key: StorageKey, state: StateType, data: Mapping[str, Any]
    ) -> None:
        """Both in one statement: a step and its data never get apart."""
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value, data=json.dumps(dict(data), ensure_ascii=False))

    async def close(self) -> None:
        # The engine belongs to the application, which disposes of it.
        return None


async def set_step(context: FSMContext, state: StateType, data: Mapping[str, Any]) -> None:
    """Set a conversation's state and data together, in one atomic write with this project's
    storages (database: one statement; Redis: one MULTI transaction), so that a process killed
    in between cannot leave the state without its data."""
    await _write_step(context.storage, context.key, state, data)


async def _write_step(
    storage: BaseStorage, key: StorageKey, state: StateType, data: Mapping[str, Any]
) -> None:
    together = getattr(storage, "set_state_and_data", None)
    if together is not None:
        await together(key, state, data)
        return
    await storage.set_data(key, data)
    await storage.set_state(key, state)


def _redis_storage_class() -> type[BaseStorage]:
    from aiogram.fsm.storage.redis import RedisStorage  # needs the optional redis package

    class AtomicRedisStorage(RedisStorage):
        """aiogram's RedisStorage, plus the state and the data written in one transaction."""

        async def set_state_and_data(
            self, key: StorageKey, state: StateType, data: Mapping[str, Any]
        ) -> None:
            if not isinstance(data, dict):
                msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
                raise DataNotDictLikeError(msg)
            value = state.state if isinstance(state, State) else state
            state_key = self.key_builder.build(key, "state")
            data_key = self.key_builder.build(key, "data")
            async with self.redis.pipeline(transaction=True) as pipe:
                if value is None:
                    pipe.delete(state_key)
                else:
                    pipe.set(state_key, value, ex=self.state_ttl)
                if data:
                    pipe.set(data_key, self.json_dumps(data), ex=self.data_ttl)
                else:
                    pipe.delete(data_key)
                await pipe.execute()

    return AtomicRedisStorage


def create_storage(
    settings_redis_url: str | None, session_factory: async_sessionmaker[AsyncSession]
) -> BaseStorage:
    """RedisStorage when a Redis URL is given, else the database storage."""
    if settings_redis_url:
        # bot id and destiny in the key: several bots may share a Redis, and scenes use destiny.
        builder = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        logger.info("FSM storage: Redis")
        # Short timeouts: an unreachable Redis must fail fast, not hold every update.
        return _redis_storage_class().from_url(  # type: ignore[attr-defined,no-any-return]
            settings_redis_url,
            connection_kwargs={"socket_connect_timeout": 2, "socket_timeout": 2},
            key_builder=builder,
        )
    logger.info("FSM storage: database")
    return DatabaseStorage(session_factory)
