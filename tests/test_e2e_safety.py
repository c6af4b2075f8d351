"""The real `cchc-bot run` process, tried as an attacker and an operator would: webhook
without a secret, forged webhook posts, a Bot API answering an error page that echoes the
token, an unreachable Redis at start, and Telegram's per-chat limit on direct replies."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Invite, Person
from bot.fakeapi import FakeBotAPI
from bot.services.people import Role
from bot.settings import load_settings
from bot.webhook import run_webhook
from tests.e2e import REPO, TOKEN, BotProcess, invite_code, user_ids

pytestmark = pytest.mark.e2e

SECRET_HALF = TOKEN.split(":")[1]
WEBHOOK_SECRET = "s3cret-Webhook_value-0123456789"
ADMIN = 777000111
STEPS = 600  # of 0.1 s: how long a bot process may take to reach the expected point


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
    env.update(
        BOT_TOKEN=TOKEN,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        DATA_DIR=str(tmp_path),
        LOG_LEVEL="DEBUG",
        STARTUP_RETRY_MAX_SECONDS="0.5",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def _no_secret(output: str, *secrets: str) -> None:
    for secret in (TOKEN, SECRET_HALF, *secrets):
        assert secret not in output, f"{secret!r} leaked:\n{output}"


def test_webhook_refuses_to_start_without_secret(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=_env(
            tmp_path,
            WEBHOOK_URL="https://bot.example.org",
            TELEGRAM_API_URL="http://127.0.0.1:9",
        ),
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0], done.stderr
    _no_secret(done.stdout + done.stderr)


async def test_webhook_refuses_forged_updates_and_reports_health(
    api: FakeBotAPI,
    db_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _free_port()
    settings = load_settings(
        bot_token=TOKEN,
        telegram_api_url=api.base_url,
        database_url=db_url,
        data_dir=tmp_path,
        admin_ids=(ADMIN,),
        webhook_url="https://bot.example.org",
        webhook_secret=WEBHOOK_SECRET,
        webhook_port=port,
    )
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(settings, stop_event=stop))
    base = f"http://127.0.0.1:{port}"
    admin = api.user(ADMIN, first_name="Quản trị")
    forged = {
        # Unique per run: with REDIS_URL, update ids handled by earlier runs stay claimed.
        "update_id": random.randint(10**6, 10**9),
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": admin.chat_dict(),
            "from": admin.as_dict(),
            "text": "/moi",
            "entities": [{"type": "bot_command", "offset": 0, "length": 4}],
        },
    }
    try:
        registered = await api.wait_for_call("setWebhook", timeout=60)
        assert registered["secret_token"] == WEBHOOK_SECRET
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{base}/healthz") as health:
                        assert health.status == 200
                        assert (await health.json())["ok"] is True
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(f"{base}/telegram", json=forged, headers=headers) as resp:
                    assert resp.status == 401
            good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            # With the secret, a body that is not an update: 400, one line, nothing handled.
            deep = b"[" * 100_000 + b"]" * 100_000
            malformed: list[tuple[bytes, str]] = [
                (b"{not json", "application/json"),
                (b"update_id=1", "text/plain"),
                (deep, "application/json"),
                (b"[1, 2]", "application/json"),
                (b'{"message": {}}', "application/json"),
                (b'{"update_id": 7, "message": {"chat": 1}}', "application/json"),
                (b"\xff\xfe\x00", "application/json"),
            ]
            caplog.clear()
            for body, kind in malformed:
                headers = {**good, "Content-Type": kind}
                async with http.post(f"{base}/telegram", data=body, headers=headers) as resp:
                    assert resp.status == 400, body[:40]
            refused = [r for r in caplog.records if "refused (400)" in r.getMessage()]
            assert len(refused) == len(malformed)
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
            await api.wait_idle()
            assert api.sent_log == []
            async with session_factory() as session:
                for model in (Person, Invite):
                    assert await session.scalar(select(func.count()).select_from(model)) == 0

            async with http.post(f"{base}/telegram", json=forged, headers=good) as resp:
                assert resp.status == 200
            (menu,) = await admin.wait_messages(1, timeout=15)
            assert "Tạo đường dẫn mời" in menu.text
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


@pytest.fixture
async def error_page() -> AsyncIterator[tuple[str, list[str]]]:
    """A "Bot API" behind a broken proxy: every request gets an HTML 502 page that echoes
    the requested URL, the token included."""
    seen: list[str] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request.path)
        body = f"<html><body><h1>502 Bad Gateway</h1><p>{request.url}</p></body></html>"
        return web.Response(status=502, text=body, content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def _run_until(
    env: dict[str, str], cwd: Path, ready: Callable[[str], bool]
) -> tuple[int, str]:
    """Start `python -m bot run`, wait until ``ready(output so far)``, SIGTERM it and wait for
    its exit; returns the exit code and everything it wrote on stdout and stderr."""
    log = cwd / "bot-output.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=cwd, env=env, stdout=out, stderr=out
        )
    try:
        for _ in range(STEPS):
            if ready(log.read_text(errors="replace")) or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert ready(log.read_text(errors="replace")), log.read_text(errors="replace")
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return code, log.read_text(errors="replace")


async def test_error_page_echoing_the_token_is_retried_and_never_printed(
    error_page: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, seen = error_page
    code, output = await _run_until(
        _env(tmp_path, TELEGRAM_API_URL=url), tmp_path, lambda _: len(seen) >= 3
    )
    assert any(TOKEN in path for path in seen)  # the page did echo the token
    _no_secret(output)
    assert code == 0
    assert "Traceback" not in output
    retries = [line for line in output.splitlines() if "Bot API unreachable" in line]
    assert len(retries) >= 3, output
    assert "Stopped before start: Bot API still unreachable" in output


async def test_unreachable_redis_at_start_is_retried_without_leaking_its_password(
    tmp_path: Path,
) -> None:
    password = "hunter2-redis-pass"
    env = _env(
        tmp_path,
        TELEGRAM_API_URL="http://127.0.0.1:9",
        REDIS_URL=f"redis://:{password}@127.0.0.1:{_free_port()}/0",
    )
    code, output = await _run_until(
        env, tmp_path, lambda output: output.count("Redis unreachable") >= 2
    )
    assert code == 0
    _no_secret(output, password)
    assert "Traceback" not in output
    assert "Stopped before start: Redis still unreachable" in output


async def test_direct_replies_wait_out_telegram_429(
    bot_process: BotProcess, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    bot_process.api.per_chat_limit_per_sec = 2
    await bot_process.start()
    (user_id,) = user_ids(1)
    user = bot_process.api.user(user_id, first_name="Lan")
    for _ in range(8):
        await user.send("tiêu chí 3.4.1")
    answers = await user.wait_messages(8, timeout=60)
    assert all("Tiêu chí thành phần 3.4.1" in a.text for a in answers)
    assert bot_process.api.rejected_429 > 0
    assert await bot_process.stop() == 0
    output = bot_process.output()
    assert "Traceback" not in output and "level=ERROR" not in output, output
    assert "429" in output


def test_crash_traceback_is_redacted(tmp_path: Path) -> None:
    code = (
        "from bot.logs import setup_logging\n"
        f"setup_logging('INFO', ['{TOKEN}', '{SECRET_HALF}'])\n"
        f"raise RuntimeError('GET https://api.telegram.org/bot{TOKEN}/getMe failed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 1
    assert "RuntimeError: GET https://api.telegram.org/bot***/getMe failed" in done.stderr
    _no_secret(done.stdout + done.stderr)


async def test_group_chats_get_one_line_and_nothing_else(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    code = await invite_code(session_factory, Role.COORDINATOR, "NV")
    await bot_process.start()
    (coordinator_id,) = user_ids(1)
    coordinator = api.user(coordinator_id, first_name="Hà")
    await coordinator.send(f"/start {code}")
    await coordinator.wait_messages(2, timeout=15)
    async with session_factory() as session:
        invites = await session.scalar(select(func.count()).select_from(Invite))

    group = api.group(-1001234567890, "Tổ CCHC huyện A")
    for text in ("/moi", "/tiendo", "/chamdiem", "tiêu chí 3.4.1"):
        await group.send_as(coordinator, text)
        (reply,) = await group.wait_messages(1, timeout=15)
        assert "trò chuyện riêng" in reply.text and "\n" not in reply.text
    await api.wait_idle()
    assert group.drain() == []  # one line each, nothing more
    assert coordinator.drain() == []  # and nothing in private either
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == invites

    # In private the same command works as before.
    await coordinator.send("/moi")
    (menu,) = await coordinator.wait_messages(1, timeout=15)
    assert "Tạo đường dẫn mời" in menu.text
