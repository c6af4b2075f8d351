"""Apply Alembic migrations programmatically, without an ini file.

Alembic (with mako and pygments) is imported only when a migration runs: the bot process
migrates at start through :func:`upgrade_in_subprocess`, so that what alembic loads (~12 MB,
kept for the process's whole life) never enters it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import Connection

from bot.db.engine import create_engine
from bot.errors import CchcError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class MigrationFailed(CchcError):
    user_message = (
        "Lỗi cơ sở dữ liệu: không cập nhật được lên phiên bản mới nhất (chi tiết ở dòng trên)."
    )


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the package's migrations; the URL goes to env.py as is."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # Passed through attributes rather than set_main_option: the ini parser would treat
        # any "%" in a password as interpolation.
        config.attributes["url"] = url
    return config


def _upgrade_sync(url: str, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (head by default).

    Alembic's env.py drives its own event loop (asyncio.run), so the command runs in a worker
    thread; this makes it safe to await from inside a running loop.
    """
    await asyncio.to_thread(_upgrade_sync, url, revision)


async def upgrade_in_subprocess(url: str, log_level: str) -> None:
    """:func:`upgrade` to head, run by a child process (``python -m bot.db.migrate``).

    The URL reaches the child on its standard input (not in its arguments); the child logs
    like the bot (``log_level``, secrets redacted) on the same standard error. Raises
    :class:`MigrationFailed` when the child fails.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, "LOG_LEVEL": log_level},
    )
    await child.communicate(url.encode())
    if child.returncode != 0:
        raise MigrationFailed()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(url: str) -> str | None:
    """The revision the database is at; None for an empty (never migrated) database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        await engine.dispose()


def _child_main() -> int:
    from bot.logs import setup_logging

    url = sys.stdin.readline().strip()
    password = urlsplit(url).password
    secrets = [password, unquote(password)] if password else []
    setup_logging(os.environ.get("LOG_LEVEL", "INFO"), secrets)
    _upgrade_sync(url, "head")  # an error ends in the redacted crash line (bot/logs.py)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main())
