"""SQLite on the event loop's own thread: the driver behind ``sqlite+aiosqlite`` file URLs.

aiosqlite runs every call in a worker thread: a statement costs four round trips through a
queue and the loop's self-pipe (cursor, execute, fetch, close), and a commit one more; for
the small indexed statements of an update that is most of the update's time (see the
README, "Throughput per update"). Here the same aiosqlite-shaped objects call the ``sqlite3``
module directly: a statement is a few microseconds of C, with no thread hop.

What a thread bought, and how it is kept:

- *Waiting for a lock.* SQLite's busy timeout would sleep inside the call and block the whole
  loop — including the update that holds the lock, a deadlock until the timeout. Connections
  here have a busy timeout of 0, and a statement that finds the database locked (SQLITE_BUSY)
  is retried after an ``asyncio.sleep``: other updates run meanwhile, the holder commits, the
  retry succeeds. The wait is bounded like the old timeout (:data:`BUSY_TIMEOUT_SECONDS`).
  A statement refused with SQLITE_BUSY changed nothing, so running it again is safe.
- *Checkpoints.* Every ~1,000 written pages the committing connection copies the WAL back
  into the database file (SQLite's automatic checkpoint, with the one fsync of
  ``synchronous=NORMAL``): a pause of milliseconds, now and then, on the loop.
- *Long statements.* None of ours are long: updates read and write a handful of indexed rows
  (a reminder run or an export a few thousand). A deployment that outgrows this is the one
  DESIGN.md sends to PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

BUSY_TIMEOUT_SECONDS = 5.0
# SQLITE_BUSY and SQLITE_BUSY_RECOVERY: another connection holds the lock, waiting helps.
# (SQLITE_BUSY_SNAPSHOT cannot be waited out: the read snapshot is stale; it is raised.)
RETRYABLE = frozenset({5, 261})
_FIRST_PAUSE = 0.0005
_MAX_PAUSE = 0.02

T = TypeVar("T")


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds the lock (waiting helps)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # pragma: no cover - Python < 3.11
        return "locked" in str(exc) or "busy" in str(exc)
    return code in RETRYABLE


async def _retry_busy(call: Callable[[], T]) -> T:
    """``call()``; while SQLite answers SQLITE_BUSY, wait without blocking the loop."""
    try:
        return call()
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = _FIRST_PAUSE
    while True:
        await asyncio.sleep(pause)
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        pause = min(pause * 2, _MAX_PAUSE)


class Cursor:
    """aiosqlite's Cursor interface over a ``sqlite3.Cursor``, run in place."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        await _retry_busy(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        rows = list(parameters)  # a generator could not be replayed after SQLITE_BUSY
        await _retry_busy(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _ImmediateQueue:
    """SQLAlchemy's aiosqlite adapter sets the isolation level by putting a call on the
    connection thread's queue; without a thread the call runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(exc)


class Connection:
    """aiosqlite's Connection interface over a ``sqlite3.Connection``, run in place."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # read by SQLAlchemy
        self._tx = _ImmediateQueue()
        # Rollbacks asked for so far: tells a transaction that was rolled back from one that
        # was committed, once neither is open (bot/middleware.py's deferred update claim).
        self.rollbacks = 0

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        try:
            self._conn.commit()
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        await _retry_busy(self._conn.commit)

    async def rollback(self) -> None:
        self.rollbacks += 1
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(
        self, name: str, num_params: int, func: Callable[..., Any], deterministic: bool = False
    ) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def connector(database: str, *, uri: bool = False) -> Callable[[], Any]:
    """The ``async_creator`` of an engine: a coroutine function opening one connection."""

    async def connect() -> Connection:
        # timeout=0: no sleeping inside SQLite (see the module docstring); check_same_thread
        # off because the pool may close a connection from the garbage collector.
        raw = sqlite3.connect(database, timeout=0, uri=uri, check_same_thread=False)
        return Connection(raw)

    return connect


__all__: Sequence[str] = ("BUSY_TIMEOUT_SECONDS", "Connection", "Cursor", "connector")
