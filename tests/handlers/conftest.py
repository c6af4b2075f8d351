"""Handler tests: the real dispatcher, a real database, a recording bot session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import BotData, load_data
from bot.settings import Settings, load_settings
from knowledge.ask import build_set_index
from knowledge.search import SearchIndex
from tests.recording import Harness, build_harness, harness_on

ADMIN_ID = 9001


@pytest.fixture(scope="session")
def shipped() -> tuple[BotData, SearchIndex]:
    data = load_data(load_settings())
    # The default set's index, as the bot builds it (a commune set loaded beside it is left out).
    return data, build_set_index(data.catalogue, data.entries)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, admin_ids=(ADMIN_ID,), bot_token=None)


@pytest.fixture
async def harness(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Harness]:
    data, index = shipped
    yield build_harness(settings, data, index, session_factory)


@pytest.fixture(params=["database", "redis"])
async def stored_harness(
    request: pytest.FixtureRequest,
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Harness]:
    """The bot with its conversation state in the database, or in Redis (skipped without
    REDIS_URL)."""
    async with harness_on(request.param, settings, shipped, session_factory) as h:
        yield h
