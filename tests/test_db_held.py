"""Connections held between updates on the SQLite driver (bot/db/held.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import create_engine
from bot.db.held import HeldConnections


async def test_a_clean_connection_is_reused_and_given_back_at_dispose(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'held.db'}")
    held = HeldConnections(engine, keep=1)
    first = await held.take()
    await first.execute(text("CREATE TABLE t (x INTEGER)"))
    await first.commit()
    await held.give_back(first)
    assert await held.take() is first  # the next update runs on it, no pool checkout
    # A write on the driver nobody committed is rolled back before the connection is kept.
    raw = first.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    raw._conn.execute("INSERT INTO t VALUES (1)")
    assert raw.in_transaction
    await held.give_back(first)
    assert not raw.in_transaction
    second = await held.take()
    assert second is first
    assert (await second.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    await second.rollback()
    # Beyond ``keep``, or in a transaction of SQLAlchemy's: back to the pool.
    other = await held.take()
    await held.give_back(second)
    await held.give_back(other)
    assert other.closed
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "non-checked-in connection" from the collector
        await engine.dispose()
    assert second.closed or second.sync_connection is None or second.sync_connection.closed
    assert held._idle == []
    # After a dispose a connection of the old pool is not kept.
    third = await held.take()
    await held.give_back(third)
    assert held._idle == [third]
    await engine.dispose()


async def test_other_databases_use_the_pool_as_before(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL (DATABASE_URL)")
    engine = create_engine(db_url)
    held = HeldConnections(engine)
    connection = await held.take()
    await held.give_back(connection)
    assert connection.closed and held._idle == []
    await engine.dispose()
