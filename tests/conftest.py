"""Shared fixtures.

Database: SQLite file in tmp_path by default. With DATABASE_URL set (PostgreSQL), each test
gets a brand-new database created next to the given one and dropped afterwards, so that
engineers running the suite at the same time against one server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.fakeapi import FakeBotAPI
from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from knowledge.ask import build_default_index
from knowledge.search import SearchIndex
from tests.e2e import BotProcess


async def _drop_all_tables(url: str) -> None:
    """Drop every table, alembic_version included, whatever created it."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            await connection.run_sync(metadata.drop_all)
    finally:
        await engine.dispose()


async def _postgres_database(url: str) -> AsyncIterator[str]:
    base = make_url(url)
    name = f"{base.database or 'test'}_{uuid.uuid4().hex[:12]}"
    admin = _create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(autouse=True)
def _no_flood_control(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests drive conversations far faster than any person: flood control is off unless a
    test turns it on (tests/test_guards.py); bot processes inherit the environment."""
    monkeypatch.setenv("FLOOD_MAX_UPDATES", "0")


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    """URL of an empty database (no tables, no alembic_version)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    if make_url(url).get_backend_name() == "postgresql":
        async for fresh in _postgres_database(url):
            yield fresh
        return
    await _drop_all_tables(url)
    yield url
    await _drop_all_tables(url)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to head."""
    await upgrade(db_url)
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API server the end-to-end bot process talks to."""
    server = FakeBotAPI(bot_username="TroLyCCHCBot")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot_process(
    api: FakeBotAPI, db_url: str, engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    """The real bot process (not started yet) on a migrated database; killed afterwards."""
    process = BotProcess(api=api, db_url=db_url, data_dir=tmp_path)
    yield process
    process.kill()


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    """The shipped search index (the default set's criteria and entries)."""
    return build_default_index()


@pytest.fixture(scope="module")
def current_set() -> CriteriaSet:
    """The criteria set in use (DEFAULT_SET, else the shipped default)."""
    return require_catalogue().current


def write_next_year_set(directory: Path, source: str = "xa-2025", new: str = "xa-2026") -> Path:
    """``directory`` with the shipped sets plus ``new``: a copy of ``source`` for the next
    year (what a province does at the rollover when the set does not change)."""
    from criteria.loader import DEFAULT_SETS_DIR, set_files

    directory.mkdir(parents=True, exist_ok=True)
    for path in set_files(DEFAULT_SETS_DIR):
        (directory / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    text = (DEFAULT_SETS_DIR / f"{source}.yaml").read_text(encoding="utf-8")
    old_year, new_year = source.rsplit("-", 1)[1], new.rsplit("-", 1)[1]
    text = text.replace(f"id: {source}\n", f"id: {new}\n", 1)
    text = text.replace(f"\nyear: {old_year}\n", f"\nyear: {new_year}\n", 1)
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    text = text.replace(title, title.replace(old_year, new_year), 1)
    (directory / f"{new}.yaml").write_text(text, encoding="utf-8")
    return directory
