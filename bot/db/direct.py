"""The hot statements of an update, run on the SQLite driver's own connection.

Every update runs the same few small statements (who is writing, the update claim, the FSM
record, a scoring step's snapshot and writes). Through SQLAlchemy each costs ~90 µs of
Python around ~30 µs of SQLite: cache-key generation, an execution context, a result object,
two greenlet switches. Here such a statement is compiled once per dialect (the SQL text, its
parameters' order, the bind and result processors of its column types: the same conversions
SQLAlchemy applies) and, on a SQLite file opened by :mod:`bot.db.sqlite`, run directly on the
``sqlite3`` connection the update's session is bound to. Anywhere else (PostgreSQL, a memory
database, a session the session middleware did not open) it runs through SQLAlchemy as before.

Transactions: a statement run here is in the same SQLite transaction as the session's own
(the ``sqlite3`` module begins one before the first write, as it does for SQLAlchemy's). A
write run inside a transaction of the session makes the session hold this connection, so
that the session's commit or rollback ends it too. A write run outside one is committed by
:func:`commit` (or :func:`transaction`, the ``session.begin()`` of such writes) and rolled
back by :func:`rollback`; one left over is rolled back when the connection goes back to the
pool at the end of the update — never committed by someone else's later commit unseen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable

from bot.db import sqlite as driver
from bot.db.readcache import BOOKKEEPING, forget

_INFO_KEY = "cchc_sqlite_connection"
_MISSING = object()

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bound parameters, in the order of the SQL's ``?``
    defaults: tuple[Any, ...]  # per position: a literal's value (LIMIT 1), else _MISSING
    binds: tuple[Processor, ...]  # per position
    results: tuple[Processor, ...]  # per result column
    converts: bool  # any result processor at all
    writes: bool  # an INSERT, UPDATE or DELETE

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        # A value given for two parameters of one type (a row's created_at and updated_at)
        # is converted once.
        last: tuple[Any, Any, Any] = (None, None, None)
        for name, default, process in zip(self.names, self.defaults, self.binds, strict=True):
            value = params.get(name, default)
            if value is _MISSING:
                raise KeyError(f"a value is required for bind parameter {name!r}")
            if process is not None and value is not None:
                if last[0] is process and last[1] is value:
                    value = last[2]
                else:
                    converted = process(value)
                    last = (process, value, converted)
                    value = converted
            out.append(value)
        return tuple(out)

    def rows(self, found: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not self.converts:
            return found
        procs = self.results
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True))
            for row in found
        ]


class Statement:
    """A Core statement built once (``build(dialect_name)``) and compiled once per dialect."""

    def __init__(self, build: Callable[[str], Any]) -> None:
        self._build = build
        self._built: dict[str, Any] = {}
        self._compiled: dict[str, _Compiled] = {}
        # A write that may change what the session's read cache holds (bot/db/readcache.py):
        # it forgets it, as a write through the ORM does.
        self.forgets = False

    def core(self, dialect_name: str) -> Executable:
        """The statement itself, for SQLAlchemy's own execution."""
        found = self._built.get(dialect_name)
        if found is None:
            found = self._built[dialect_name] = self._build(dialect_name)
            table = getattr(found, "table", None)
            self.forgets = bool(getattr(found, "is_dml", False)) and (
                getattr(table, "name", None) not in BOOKKEEPING
            )
        return found

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.core(dialect.name), dialect)
        return found


def _compile(statement: Any, dialect: Dialect) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect)
    if dialect.paramstyle != "qmark" or compiled.positiontup is None:
        raise ValueError(f"{dialect.name}: only positional (qmark) statements run directly")
    if getattr(compiled, "_has_expanding", False) or compiled.literal_execute_params:
        raise ValueError("an IN list or a literal-execute parameter cannot be run directly")
    names = tuple(compiled.positiontup)
    defaults = []
    for name in names:
        bind = compiled.binds[name]
        if bind.callable is not None:
            raise ValueError(f"{name!r}: a callable default cannot be run directly")
        defaults.append(_MISSING if bind.required else bind.value)
    processors = compiled._bind_processors
    binds = tuple(processors.get(name) for name in names)
    results = tuple(
        column.type._cached_result_processor(dialect, None)
        for column in compiled._result_columns
    )
    return _Compiled(
        sql=compiled.string,
        names=names,
        defaults=tuple(defaults),
        binds=binds,
        results=results,
        converts=any(p is not None for p in results),
        writes=bool(compiled.isinsert or compiled.isupdate or compiled.isdelete),
    )


# --- the update's connection ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Direct:
    conn: driver.Connection
    dialect: Dialect


def bind(session: AsyncSession, connection: AsyncConnection) -> None:
    """Run this module's statements of ``session`` (bound to ``connection``, checked out for
    the update) on the ``sqlite3`` connection underneath, when it is one of
    :mod:`bot.db.sqlite`'s; else nothing changes."""
    sync = connection.sync_connection
    if sync is None:  # pragma: no cover - a started AsyncConnection always has one
        return
    found = sync.connection.driver_connection
    if isinstance(found, driver.Connection):
        session.info[_INFO_KEY] = _Direct(found, sync.dialect)


def _direct(session: AsyncSession) -> _Direct | None:
    found: _Direct | None = session.info.get(_INFO_KEY)
    return found


async def rows(
    session: AsyncSession, statement: Statement, params: Mapping[str, Any]
) -> Sequence[Any]:
    """The rows of ``statement`` (tuples here, SQLAlchemy Rows on the other path: both are
    read by position), run on the session's driver connection when it has one."""
    found = _direct(session)
    if found is None:
        connection = await session.connection()
        core = statement.core(connection.dialect.name)
        if statement.forgets:
            forget(session)
        return (await connection.execute(core, dict(params))).all()
    compiled = statement.compiled(found.dialect)
    if statement.forgets:
        forget(session)
    cursor = await _run(session, found, compiled, params)
    try:
        return compiled.rows(cursor.fetchall())
    finally:
        cursor.close()


async def execute(session: AsyncSession, statement: Statement, params: Mapping[str, Any]) -> int:
    """Run a statement that returns no rows; returns how many rows it changed."""
    found = _direct(session)
    if found is None:
        connection = await session.connection()
        core = statement.core(connection.dialect.name)
        if statement.forgets:
            forget(session)
        result = await connection.execute(core, dict(params))
        return int(getattr(result, "rowcount", 0) or 0)
    compiled = statement.compiled(found.dialect)
    if statement.forgets:
        forget(session)
    cursor = await _run(session, found, compiled, params)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


async def _run(
    session: AsyncSession, found: _Direct, compiled: _Compiled, params: Mapping[str, Any]
) -> Any:
    """Run on the driver. A write inside a transaction of the session is made part of it (the
    session is made to hold this connection, so that its commit or rollback ends the write
    too); a write outside one is ended by :func:`commit`, :func:`rollback` or
    :func:`transaction` — or rolled back when the connection goes back to the pool."""
    if compiled.writes and session.in_transaction():
        await session.connection()
    values = compiled.parameters(params)
    raw = found.conn._conn
    try:
        return raw.execute(compiled.sql, values)
    except sqlite3.OperationalError as exc:
        if not driver.is_busy(exc):
            raise
    # Another connection holds the write lock: wait for it without blocking the loop.
    return await driver._retry_busy(lambda: raw.execute(compiled.sql, values))


def driver_state(session: AsyncSession) -> tuple[bool, int, int] | None:
    """On the driver: whether a transaction of the ``sqlite3`` connection is open, the rows it
    changed since it was opened (all transactions) and the rollbacks it was asked for; else
    None. Two states equal while open: nothing was written or rolled back in between."""
    found = _direct(session)
    if found is None:
        return None
    return found.conn.in_transaction, found.conn.total_changes, found.conn.rollbacks


async def commit_driver(session: AsyncSession) -> None:
    """Commit the ``sqlite3`` connection's transaction only, whatever the session holds (on
    SQLite a transaction of the session is bookkeeping until its first write)."""
    found = _direct(session)
    if found is not None and found.conn.in_transaction:
        await found.conn.commit()


def bound(session: AsyncSession) -> bool:
    """This module's statements of ``session`` run on the driver."""
    return _direct(session) is not None


class _Transaction:
    """See :func:`transaction` (a plain context manager: a question runs one)."""

    __slots__ = ("begun", "session")

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.begun: Any = None

    async def __aenter__(self) -> None:
        session = self.session
        if not (session.in_transaction() or bound(session)):
            self.begun = session.begin()
            await self.begun.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self.begun is not None:
            await self.begun.__aexit__(exc_type, exc, traceback)
        elif exc_type is not None:
            await rollback(self.session)
        else:
            await commit(self.session)


def transaction(session: AsyncSession) -> _Transaction:
    """A write transaction, as ``async with session.begin()``, that also holds what runs here:
    committed once at the end, rolled back on an error. A transaction already begun (by the
    update's reads) is joined rather than refused."""
    return _Transaction(session)


async def commit(session: AsyncSession) -> None:
    """Commit the session's transaction (if any), then the driver's if a write made here
    opened it while the session held no transaction on this connection."""
    if session.in_transaction():
        await session.commit()
    found = _direct(session)
    if found is not None and found.conn.in_transaction:
        await found.conn.commit()


async def rollback(session: AsyncSession) -> None:
    forget(session)  # (the session forgets only when it had a transaction to roll back)
    await session.rollback()
    found = _direct(session)
    if found is not None and found.conn.in_transaction:
        await found.conn.rollback()
