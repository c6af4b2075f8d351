"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from bot.db import sqlite

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        if not isinstance(dbapi_connection.driver_connection, sqlite.Connection):
            # aiosqlite (memory databases): SQLite waits in its worker thread. The loop's own
            # connections wait in asyncio instead (bot/db/sqlite.py).
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(
    url: str,
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    pool_timeout: float | None = None,
) -> AsyncEngine:
    """Build the async engine; for a SQLite file also create its directory and set WAL mode.

    The pool sizes apply to PostgreSQL (SQLAlchemy's defaults when None; see Settings).
    A SQLite file is opened by bot/db/sqlite.py (statements run on the loop's thread, not
    through aiosqlite's worker thread); a memory database or a URL with options keeps
    aiosqlite.

    A statement's parameters never appear in its errors (``hide_parameters``): they hold
    what people wrote, and an error's text reaches the logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        options: dict[str, Any] = {}
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            if not parsed.query:
                options["async_creator"] = sqlite.connector(str(path))
        engine = _create_async_engine(parsed, hide_parameters=True, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
    }
    options = {name: value for name, value in pool.items() if value is not None}
    return _create_async_engine(parsed, pool_pre_ping=True, hide_parameters=True, **options)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
