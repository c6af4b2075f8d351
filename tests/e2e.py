"""Running the real ``cchc-bot run`` process against the in-process fake Bot API."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.fakeapi import FakeBotAPI, SentMessage
from bot.services.people import Role, add_unit, create_invite

TOKEN = "123456:E2E-SECRET-TOKEN-abcdef"
REPO = Path(__file__).resolve().parent.parent
UNIT_NAMES = {"huyen-a": "UBND huyện A", "huyen-b": "UBND huyện B"}


@dataclass
class BotProcess:
    api: FakeBotAPI
    db_url: str
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
        env.update(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=self.api.base_url,
            DATABASE_URL=self.db_url,
            DATA_DIR=str(self.data_dir),
            LOG_LEVEL="DEBUG",
            **self.extra_env,
        )
        return env

    async def start(self) -> None:
        """Start the process and wait until it polls for updates."""
        self.log_path = self.data_dir / f"bot-{len(list(self.data_dir.glob('bot-*.log')))}.log"
        log = self.log_path.open("wb")
        self.api.calls.clear()
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - a short, non-blocking spawn
            [sys.executable, "-m", "bot", "run"],
            cwd=self.data_dir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            await self.api.wait_for_call("getUpdates", timeout=120)
        except TimeoutError:
            self.kill()
            raise AssertionError(f"bot did not start:\n{self.output()}") from None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    async def stop(self) -> int:
        """SIGTERM and wait for a graceful exit; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        for _ in range(200):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.kill()
        return self.proc.wait(5)


async def invite_code(
    factory: async_sessionmaker[AsyncSession],
    role: Role,
    dept: str,
    *,
    unit: str | None = "huyen-a",
    units: Iterable[str] = ("huyen-a",),
) -> str:
    """Add ``units`` (idempotent) and a two-hour invite to ``role`` in ``unit``; its code."""
    async with factory() as session, session.begin():
        for code in units:
            await add_unit(session, code, UNIT_NAMES[code])
        invite = await create_invite(
            session,
            role=role,
            unit_code=unit,
            department=dept,
            created_by=None,
            ttl=timedelta(hours=2),
            now=datetime.now(UTC),
        )
        return invite.code


def user_ids(count: int) -> list[int]:
    """``count`` consecutive Telegram user ids, unique per run."""
    # With REDIS_URL the conversation state outlives the test database.
    base = random.randint(10_000_000, 90_000_000)
    return [base + i for i in range(count)]


def labels(message: SentMessage) -> list[str]:
    """The texts of the message's buttons, row by row."""
    return [text for row in message.buttons for text, _ in row]
