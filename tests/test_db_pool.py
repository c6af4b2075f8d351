"""PostgreSQL connection pool of the bot process: sized by the settings (50 concurrent updates
queued for SQLAlchemy's default 5 + 10 connections until some timed out)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import assemble
from bot.settings import load_settings


async def test_bot_engine_pool_follows_the_settings(db_url: str, tmp_path: Path) -> None:
    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("the pool settings apply to PostgreSQL")
    settings = load_settings(
        data_dir=tmp_path,
        database_url=db_url,
        bot_token="123456:" + "A" * 35,
        db_pool_size=7,
        db_max_overflow=3,
        db_pool_timeout_seconds=12,
    )
    app = await assemble(settings, migrate=False)
    try:
        pool = app.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (7, 3, 12)  # type: ignore[attr-defined]
    finally:
        await app.close()
