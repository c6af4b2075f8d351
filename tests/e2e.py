"""Running the real ``cchc-bot run`` process against the in-process fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.fakeapi import FakeBotAPI

TOKEN = "123456:E2E-SECRET-TOKEN-abcdef"
REPO = Path(__file__).resolve().parent.parent


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
