"""The console simulator: the real bot driven by piped input through the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.console import PERSONAS, Console, choices_for, console_settings
from bot.fakeapi import FakeBotAPI
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def _settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, admin_ids=(7,), bot_token=None)


async def test_piped_session_greets_presses_and_switches_user(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("bot.app", reason="bot/app.py (run_bot) is not there yet")
    from bot.console import run_console

    missing = tmp_path / "khong-co.pdf"
    script = "\n".join(
        ["/start", "1", ":nguoi canbo", "/start", f":tep {missing}", ":khong-co", ":thoat"]
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(script + "\n"))
    await asyncio.wait_for(run_console(_settings(db_url, tmp_path)), 90)
    out = capsys.readouterr().out

    assert "bảng điều khiển thử nghiệm" in out
    guest_part, _, officer_part = out.partition("canbo> /start")
    assert "khach> /start" in guest_part
    assert "Xin chào Khách" in guest_part and "Vai trò của bạn: Khách" in guest_part
    assert "[1] ❓ Hỏi đáp" in guest_part
    # "1" pressed the first inline button: the bot asks for the question.
    assert "khach> 1\n🤖" in guest_part and "Hãy gõ câu hỏi" in guest_part
    # The officer was registered through a real invite when the console started.
    assert "Đã đăng ký sẵn canbo, dieuphoi" in out
    assert "Xin chào Bình" in officer_part and "Vai trò của bạn: Cán bộ" in officer_part
    assert f"Không đọc được tệp {missing}" in officer_part
    assert "Lệnh không rõ: :khong-co" in officer_part
    assert out.rstrip().endswith("Tạm biệt!")


def test_console_settings_add_the_admin_persona_and_never_use_the_real_database(
    tmp_path: Path,
) -> None:
    real = Settings(
        database_url="postgresql+asyncpg://u@db/real",
        redis_url="redis://localhost:6379/0",
        data_dir=tmp_path,
        admin_ids=(7,),
        bot_token=None,
    )
    settings = console_settings(real)
    assert settings.admin_ids == (7, 1004)
    assert [p.key for p in PERSONAS] == ["khach", "canbo", "dieuphoi", "so", "quantri"]
    assert settings.db_url == f"sqlite+aiosqlite:///{(tmp_path / 'console.db').resolve()}"
    assert settings.redis_url is None
    assert console_settings(real, tmp_path / "x.db").db_url.endswith("/x.db")


async def test_numbers_press_buttons_of_the_last_message_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("bot.console._FIRST_REPLY_SECONDS", 0.2)
    api = FakeBotAPI()
    await api.start()
    try:
        out = io.StringIO()
        console = Console(api, out)
        user = console.user
        bot = f"{api.base_url}/bot1:T"
        markup = '{"inline_keyboard": [[{"text": "Có", "callback_data": "y"}]]}'
        async with aiohttp.ClientSession() as http:
            for data in (
                {
                    "chat_id": str(user.id),
                    "text": "<b>Đồng ý?</b>",
                    "parse_mode": "HTML",
                    "reply_markup": markup,
                },
                {
                    "chat_id": str(user.id),
                    "text": "Chọn",
                    "reply_markup": '{"keyboard": [[{"text": "A"}, {"text": "B"}]]}',
                },
            ):
                async with http.post(f"{bot}/sendMessage", data=data) as resp:
                    assert resp.status == 200
            console.flush()
            # The last message has no inline keyboard: only the reply keyboard is numbered.
            assert [(c.number, c.text, c.inline) for c in choices_for(user)] == [
                (1, "A", False),
                (2, "B", False),
            ]
            async with http.post(
                f"{bot}/sendMessage",
                data={"chat_id": str(user.id), "text": "Lại", "reply_markup": markup},
            ) as resp:
                assert resp.status == 200
        console.flush()
        assert [c.text for c in choices_for(user)] == ["Có", "A", "B"]
        text = out.getvalue()
        assert "Đồng ý?" in text and "<b>" not in text
        assert "⌨ [1] A  [2] B" in text
        assert "[1] Có" in text
        await console.handle("1")  # no bot is polling: the console says so and moves on
        assert api.pending_updates == 1
        assert api._updates[0]["callback_query"]["data"] == "y"
        assert "(bot chưa trả lời)" in out.getvalue()
        evidence = tmp_path / "bien-ban.pdf"
        evidence.write_bytes(b"%PDF-1.4 fake")
        await console.handle(f":tep {evidence}")
        document = api._updates[-1]["message"]["document"]
        assert document["file_name"] == "bien-ban.pdf" and document["file_size"] == 13
    finally:
        await api.stop()


@pytest.mark.e2e
def test_cli_console_exits_at_end_of_input(db_url: str, tmp_path: Path) -> None:
    pytest.importorskip("bot.cli", reason="bot/cli.py is not there yet")
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
    env.update(DATABASE_URL=db_url, DATA_DIR=str(tmp_path), PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="/start\n",  # no :thoat — end of input must end the session
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Xin chào Khách" in done.stdout
    assert done.stdout.rstrip().endswith("Tạm biệt!")
