"""Settings: defaults, parsing, one clear line and exit code 2 on a bad value, no token leak."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.logs import RedactSecrets
from bot.settings import SettingsError, load_settings

TOKEN = "123456789:AAF-secret_token-value"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name in {"BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "ADMIN_IDS", "TIMEZONE"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults(tmp_path: Path) -> None:
    s = load_settings()
    assert s.bot_token is None
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert s.db_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'cchc.db'}"
    assert s.is_embedded_db


def test_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 2;3\n", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    s = load_settings()
    assert s.bot_token is not None and s.bot_token.get_secret_value() == TOKEN
    assert s.admin_ids == (1, 2, 3)
    assert s.db_url == "postgresql+asyncpg://u@h/db"
    assert TOKEN not in repr(s)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("BOT_TOKEN", "not-a-token", "BOT_TOKEN"),
        ("ADMIN_IDS", "1,abc", "ADMIN_IDS"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("INVITE_TTL_HOURS", "-5", "INVITE_TTL_HOURS"),
        ("WORKING_HOURS", "13:00-17:00,07:30-11:30", "WORKING_HOURS"),
        ("WORKING_DAYS", "thu hai-thu sau", "WORKING_DAYS"),
        ("TICKET_REMINDER_INTERVAL_SECONDS", "0", "TICKET_REMINDER_INTERVAL_SECONDS"),
    ],
)
def test_bad_values(monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert fragment in message and "\n" not in message
    assert value not in message or name != "BOT_TOKEN"


def test_cli_bad_setting_exits_2_without_leaking(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["BOT_TOKEN"] = TOKEN + " !"  # invalid: contains a space and "!"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi cấu hình: BOT_TOKEN")
    assert "AAF-secret" not in done.stderr + done.stdout


def test_run_without_token_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert "thiếu BOT_TOKEN" in done.stderr


def test_log_filter_redacts_token_in_message_args_and_traceback() -> None:
    args = (f"/bot{TOKEN}/x",)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", args, None)
    try:
        raise RuntimeError(f"failed https://api/bot{TOKEN}/getMe")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    RedactSecrets([TOKEN]).filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted
    assert "/bot***/x" in formatted and "bot***/getMe" in formatted


def test_secrets_cover_token_half_webhook_secret_and_url_passwords() -> None:
    s = load_settings(
        bot_token=TOKEN,
        webhook_secret="hook-secret_1",
        database_url="postgresql://cchc:db%2Fpass-word@db.internal/cchc",
        redis_url="redis://:redis-pass-9@cache:6379/0",
    )
    secrets = s.secrets()
    for value in (
        TOKEN,
        "AAF-secret_token-value",
        "hook-secret_1",
        "db/pass-word",
        "db%2Fpass-word",
        "redis-pass-9",
        "123456789%3AAAF-secret_token-value",
    ):
        assert value in secrets, value
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "connect %s failed", ("postgresql://u:short@h/db",), None
    )
    RedactSecrets(secrets).filter(record)
    assert record.getMessage() == "connect postgresql://u:***@h/db failed"


@pytest.mark.parametrize("value", ["has space", "a" * 257, "ký-tự"])
def test_webhook_secret_must_be_what_telegram_accepts(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(webhook_secret=value)
    assert "WEBHOOK_SECRET" in str(caught.value) and value not in str(caught.value)
