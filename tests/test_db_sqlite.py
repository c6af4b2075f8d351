"""The SQLite driver of bot/db/sqlite.py: statements on the loop's thread, lock waits in
asyncio (a writer waiting for another's lock lets the loop run, and the holder finishes)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.db import sqlite
from bot.db.engine import create_engine


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/driver.db"


async def test_a_file_database_runs_on_the_loop_thread(url: str) -> None:
    engine = create_engine(url)
    threads: list[int] = []
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite.Connection)
        raw.driver_connection._conn.create_function(
            "where_am_i", 0, lambda: threads.append(threading.get_ident()) or 1
        )
        await connection.execute(text("CREATE TABLE t (a INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
        rows = (await connection.execute(text("SELECT a, where_am_i() FROM t"))).all()
        journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    assert [r.a for r in rows] == [1, 2]
    assert set(threads) == {threading.get_ident()}
    assert journal == "wal"
    await engine.dispose()


async def test_a_writer_waits_for_the_lock_without_blocking_the_loop(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (a INTEGER)"))
    holder_wrote = asyncio.Event()
    ticks = 0
    waiting_ticks: list[int] = []

    async def holder() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))  # takes the write lock
            holder_wrote.set()
            for _ in range(20):  # other work of this update, on the same loop
                await asyncio.sleep(0.001)

    async def waiter() -> None:
        await holder_wrote.wait()
        before = ticks
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (2)"))  # locked: waits
        waiting_ticks.append(ticks - before)

    async def ticker() -> None:
        nonlocal ticks
        while not waiting_ticks:
            ticks += 1
            await asyncio.sleep(0)

    await asyncio.gather(holder(), waiter(), ticker())
    async with engine.connect() as connection:
        values = (await connection.execute(text("SELECT a FROM t ORDER BY a"))).scalars().all()
    assert values == [1, 2]
    assert waiting_ticks[0] > 0  # the loop ran other tasks while the writer waited
    await engine.dispose()


async def test_a_lock_held_too_long_is_an_error(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_SECONDS", 0.05)
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (a INTEGER)"))
    other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with engine.begin() as connection:  # the lock gone, writes go through
        await connection.execute(text("INSERT INTO t VALUES (1)"))
    await engine.dispose()


async def test_a_memory_database_keeps_aiosqlite() -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert not isinstance(raw.driver_connection, sqlite.Connection)
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    await engine.dispose()
