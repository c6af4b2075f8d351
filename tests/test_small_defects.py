"""Small defects: a bad TIMEZONE, the console's end with piped input, and a ticket nobody
can receive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.data import BotData
from bot.db.models import OutboxMessage, Person, Ticket
from bot.services import tickets as tickets_service
from bot.services.people import Role, add_unit
from bot.settings import Settings, SettingsError, load_settings
from knowledge.search import SearchIndex
from tests.handlers import conftest as handler_fixtures
from tests.recording import Harness, build_harness

REPO = Path(__file__).resolve().parent.parent
# The handler tests' shipped data and search index (session-wide), for the ticket tests.
shipped = handler_fixtures.shipped


# --- TIMEZONE ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Asia",  # a folder of the zone database
        "America",
        "x" * 300,  # longer than a file name may be
        "Asia/" + "x" * 300,
        "localtime",  # the host's zone, not a zone name
        "posixrules",
        "Factory",
        "Mars/Olympus",
        "",
        "Asia/Ho_Chi_Minh\nX",
    ],
)
def test_a_bad_timezone_is_one_line_settings_error(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(timezone=value)
    message = str(caught.value)
    assert message.startswith("Lỗi cấu hình: TIMEZONE không hợp lệ")
    assert "\n" not in message and len(message) < 200


@pytest.mark.parametrize("value", ["Asia/Ho_Chi_Minh", "UTC", "Europe/Paris", "Etc/GMT-7"])
def test_real_zone_names_are_accepted(value: str) -> None:
    assert load_settings(timezone=value).tz.key == value


@pytest.mark.parametrize("value", ["Asia", "Asia/" + "x" * 300, "localtime"])
def test_cli_reports_a_bad_timezone_like_any_bad_setting(value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
    env.update(TIMEZONE=value, DATA_DIR=str(tmp_path), PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "TIMEZONE không hợp lệ" in lines[0], lines


# --- console: SIGINT with piped input -----------------------------------------------------------


def _wait_for(path: Path, text: str, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.e2e
def test_console_with_piped_input_ends_cleanly_on_sigint(tmp_path: Path) -> None:
    """The pipe stays open (no end of input): Ctrl-C must end the session with exit 0, not
    abort at interpreter shutdown on a thread blocked reading stdin."""
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)  # the console's own database in DATA_DIR
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--fresh"],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=tmp_path,
            env=env,
        )
        try:
            assert proc.stdin is not None
            proc.stdin.write(b":ds\n")
            proc.stdin.flush()  # and left open: the console waits for more input
            assert _wait_for(out_path, "khach> :ds", 30), out_path.read_text()
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    stdout = out_path.read_text(encoding="utf-8")
    assert "Fatal Python error" not in stderr, stderr
    assert code == 0, stderr
    assert stdout.rstrip().endswith("Tạm biệt!")


# --- tickets: a department nobody can receive questions for -------------------------------------

OFFICER, ADMIN_IN_DB, CONTACT_STP = 11, 41, 21
# Routed by its criterion (7.1) to a department with no contact in these tests.
NO_CONTACT_QUESTION = "Tiêu chí 7.1 chấm thế nào khi chưa có phần mềm?"


async def _harness_with(
    tmp_path: Path,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
    people: Sequence[tuple[int, Role, str | None]],
) -> Harness:
    """The bot with no ADMIN_IDS and only ``people`` (id, role, department) registered."""
    settings: Settings = load_settings(data_dir=tmp_path, admin_ids=(), bot_token=None)
    data, index = shipped
    clock = FakeClock(datetime(2026, 11, 2, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    async with session_factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        for telegram_id, role, department in people:
            session.add(
                Person(
                    telegram_id=telegram_id,
                    display_name=f"Người {telegram_id}",
                    role=role.value,
                    unit_id=unit.id if role is Role.OFFICER else None,
                    department=department,
                    active=True,
                )
            )
    return build_harness(settings, data, index, session_factory, clock)


async def _send(h: Harness, question: str) -> str:
    await h.send(h.user(OFFICER), "/hoiso")
    draft = await h.send(h.user(OFFICER), question)
    assert "Xem lại câu hỏi" in draft[-1].text, draft
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    return sent[-1].text


async def _outbox_count(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return len((await session.execute(select(OutboxMessage))).scalars().all())


async def test_a_ticket_nobody_can_receive_is_not_said_to_be_forwarded(
    tmp_path: Path,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    h = await _harness_with(tmp_path, shipped, session_factory, [(OFFICER, Role.OFFICER, "TP")])
    text = await _send(h, NO_CONTACT_QUESTION)

    assert "quản trị viên để chuyển tiếp.</i>" not in text
    assert "Đã gửi câu hỏi" not in text
    assert "Đã lưu câu hỏi, số phiếu <b>#1</b>" in text
    assert "chưa ai nhận được" in text
    assert "Phòng Nội vụ" in text
    # Saved and waiting for the department's contact; nothing was queued for anybody.
    async with session_factory() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.status == tickets_service.OPEN
        delivery = await tickets_service.delivery(session, ticket.department, ())
        assert delivery is tickets_service.Delivery.NOBODY
        department = ticket.department
    assert department != "STP"
    assert await _outbox_count(session_factory) == 0


async def test_a_registered_admin_still_forwards_a_ticket_without_contact(
    tmp_path: Path,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    people = [(OFFICER, Role.OFFICER, "TP"), (ADMIN_IN_DB, Role.ADMIN, None)]
    h = await _harness_with(tmp_path, shipped, session_factory, people)
    text = await _send(h, NO_CONTACT_QUESTION)

    assert "Đã gửi câu hỏi, số phiếu <b>#1</b>" in text
    assert "chưa có đầu mối" in text and "chuyển cho quản trị viên" in text
    assert "chưa ai nhận được" not in text
    assert await _outbox_count(session_factory) == 1


async def test_a_department_with_a_contact_is_unchanged(
    tmp_path: Path,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    people = [(OFFICER, Role.OFFICER, "TP"), (CONTACT_STP, Role.CONTACT, "STP")]
    h = await _harness_with(tmp_path, shipped, session_factory, people)
    question = "Văn bản quy phạm pháp luật ban hành trễ hạn thì tiêu chí 2.1 bị trừ mấy điểm?"
    text = await _send(h, question)

    assert "Đã gửi câu hỏi, số phiếu <b>#1</b>" in text
    assert "quản trị viên" not in text and "chưa ai nhận được" not in text
    assert await _outbox_count(session_factory) == 1
