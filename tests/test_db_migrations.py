"""Migrations: an empty database upgrades to head, repeatably, and matches the models."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import alembic_config, current_revision, head_revision, upgrade
from bot.db.models import Base, Unit

TABLES = {"unit", "person", "invite", "fsm_record", "alembic_version"}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_table_names)
    finally:
        await engine.dispose()


async def test_upgrade_empty_database_creates_tables(db_url: str) -> None:
    assert await _tables(db_url) == set()
    assert await current_revision(db_url) is None

    await upgrade(db_url)

    assert TABLES <= await _tables(db_url)
    assert head_revision() is not None
    assert await current_revision(db_url) == head_revision()


async def test_upgrade_is_idempotent_and_keeps_data(db_url: str) -> None:
    await upgrade(db_url)
    engine = create_engine(db_url)
    try:
        async with create_session_factory(engine).begin() as session:
            session.add(Unit(code="huyen-an-phu", name="Huyện An Phú", kind="huyen"))
        await upgrade(db_url)
        async with create_session_factory(engine)() as session:
            codes = (await session.execute(select(Unit.code))).scalars().all()
    finally:
        await engine.dispose()
    assert codes == ["huyen-an-phu"]
    assert await current_revision(db_url) == head_revision()


def _diff(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


async def test_downgrade_to_base_removes_tables(db_url: str) -> None:
    await upgrade(db_url)
    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "base")
    assert await _tables(db_url) == {"alembic_version"}
    assert await current_revision(db_url) is None


async def test_sqlite_file_is_in_wal_mode_with_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)  # also creates the missing directories
    assert path.exists()

    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    finally:
        await engine.dispose()


async def test_database_url_under_test_is_wal_when_sqlite(db_url: str) -> None:
    if make_url(db_url).get_backend_name() != "sqlite":
        pytest.skip("WAL is a SQLite property")
    await upgrade(db_url)
    database = make_url(db_url).database
    assert database is not None
    with sqlite3.connect(database) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_0009_marks_old_wordless_questions_as_noise(db_url: str) -> None:
    await upgrade(db_url, "0008")
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            for n, words in enumerate(["👍", "12345", "\u200b", "tc 3.4.1", "Hỏi gì đó?"]):
                await connection.execute(
                    text(
                        "INSERT INTO question_log (telegram_id, text, decision, for_province, "
                        "created_at, updated_at) VALUES (:t, :x, 'none', false, :d, :d)"
                    ),
                    # A datetime, not a string: asyncpg binds timestamptz from datetimes only.
                    {"t": n, "x": words, "d": datetime(2026, 12, 1, tzinfo=UTC)},
                )
        await upgrade(db_url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT text, handled FROM question_log ORDER BY telegram_id")
            )
            assert [tuple(r) for r in rows] == [
                ("👍", "noise"),
                ("12345", "noise"),
                ("\u200b", "noise"),
                ("tc 3.4.1", None),
                ("Hỏi gì đó?", None),
            ]
    finally:
        await engine.dispose()
