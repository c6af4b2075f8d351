"""The connections updates run on, a few of them held between updates on the SQLite driver.

Taking a connection from SQLAlchemy's pool and giving it back costs more than a plain
question's three statements together (~0.3 M instructions of ~4 M per question outside the
search: two greenlets, the pool's record, fairy and finalizer, the reset's rollback). On the
loop's own SQLite driver (bot/db/sqlite.py) nothing about a connection needs that between two
updates: the session middleware keeps up to :data:`KEEP` of them checked out and hands them to
the next updates as they were, clean — no transaction of SQLAlchemy's, none of the driver's
(a write left uncommitted is rolled back here, as the pool's reset would have). Anything else
(PostgreSQL, a memory database, a connection in doubt) goes back to the pool as before.

The held connections are given back when the engine is disposed (the bot's shutdown, each
test's teardown): SQLAlchemy complains about a checked-out connection left to the garbage
collector, and rightly.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db import sqlite as driver

log = logging.getLogger(__name__)

# Idle connections kept: enough for the updates of a usual moment; at a burst the others come
# from the pool and go back to it (the pool's size is what bounds the connections in use).
KEEP = 2


class HeldConnections:
    """Connections of ``engine`` for updates: :meth:`take` one, :meth:`give_back` it."""

    def __init__(self, engine: AsyncEngine, keep: int = KEEP) -> None:
        self.engine = engine
        self.keep = keep
        self._idle: list[AsyncConnection] = []
        self._epoch = 0  # a dispose starts a new one: connections of an old pool are not kept
        self._epochs: dict[int, int] = {}
        event.listen(engine.sync_engine, "engine_disposed", self._disposed)

    async def take(self) -> AsyncConnection:
        if self._idle:
            return self._idle.pop()
        connection = await self.engine.connect().start()
        self._epochs[id(connection)] = self._epoch
        return connection

    async def give_back(self, connection: AsyncConnection) -> None:
        """Keep ``connection`` for the next update if it is clean and on the SQLite driver;
        else close it (back to the pool)."""
        raw = _driver_of(connection)
        if (
            raw is None
            or len(self._idle) >= self.keep
            or self._epochs.get(id(connection)) != self._epoch
            or connection.closed
            or connection.invalidated
            or connection.in_transaction()
        ):
            self._epochs.pop(id(connection), None)
            await connection.close()
            return
        if raw.in_transaction:
            raw._conn.rollback()  # a write nobody committed: the pool's reset would end it too
        self._idle.append(connection)

    def _disposed(self, _engine: Any) -> None:
        """The engine's pool was disposed (run inside ``AsyncEngine.dispose``'s greenlet): the
        held connections go back to the old pool and their SQLite connections are closed."""
        self._epoch += 1
        idle, self._idle = self._idle, []
        for connection in idle:
            self._epochs.pop(id(connection), None)
            raw = _driver_of(connection)
            try:
                if connection.sync_connection is not None:
                    connection.sync_connection.close()
            except Exception:  # pragma: no cover - a dispose outside a greenlet
                log.warning("Could not give back a held connection", exc_info=True)
            if raw is not None:
                raw.stop()


def _driver_of(connection: AsyncConnection) -> driver.Connection | None:
    sync = connection.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    found = sync.connection.driver_connection
    return found if isinstance(found, driver.Connection) else None
