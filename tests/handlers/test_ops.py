"""/trangthai: the admins' status report, through the real dispatcher."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, create_session_factory
from bot.db.models import OutboxMessage, Person, ReminderSent, Ticket
from bot.services import outbox, status
from handlers import texts
from handlers.texts import ops as ops_texts
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness


async def _backlog(factory: async_sessionmaker[AsyncSession]) -> None:
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        for n in range(3):
            await outbox.enqueue(session, chat_id=500 + n, text=f"tin {n}", now=now)
        session.add(
            OutboxMessage(chat_id=600, text="hỏng", status=outbox.FAILED, next_attempt_at=now)
        )
        session.add(
            OutboxMessage(
                chat_id=601, text="đã gửi", status=outbox.SENT, next_attempt_at=now, sent_at=now
            )
        )
        for state in ("open", "open", "closed"):
            session.add(
                Ticket(
                    question="Hỏi?",
                    set_id="huyen-2021",
                    asker_id=7,
                    department="SNV",
                    status=state,
                    due_from=now,
                )
            )
        person = Person(telegram_id=77, display_name="Bình", role="officer", active=True)
        session.add(person)
        await session.flush()
        session.add(
            ReminderSent(
                person_id=person.id,
                deadline_key="k",
                step="3",
                created_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
            )
        )


async def test_admin_sees_version_uptime_services_and_backlog(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _backlog(session_factory)
    (sent,) = await harness.send(harness.user(ADMIN_ID, "An"), "/trangthai")
    assert "Trạng thái hệ thống" in sent.text
    assert f"Phiên bản: <b>{status.version()}</b>" in sent.text and status.version() != "?"
    assert "Thời gian chạy: " in sent.text and "phút" in sent.text
    assert "Cơ sở dữ liệu: ✅ kết nối được" in sent.text
    # The handler harness keeps conversation state in the database.
    assert "Redis: không dùng" in sent.text
    assert "Tin chờ gửi: 3 (và 1 tin gửi không được)" in sent.text
    assert "Phiếu hỏi Sở đang mở: 2" in sent.text
    # 01:30 UTC is 08:30 in Asia/Ho_Chi_Minh; it was more than a day ago.
    assert "Lần nhắc hạn gần nhất: 08:30 02/03/2026 (0 lượt nhắc trong 24 giờ qua)" in sent.text


async def test_admin_on_an_empty_database(harness: Harness) -> None:
    (sent,) = await harness.send(harness.user(ADMIN_ID, "An"), "/trangthai")
    assert "Tin chờ gửi: 0\n" in sent.text
    assert "Phiếu hỏi Sở đang mở: 0" in sent.text
    assert "Lần nhắc hạn gần nhất: chưa có lần nào" in sent.text


async def test_not_an_admin_gets_the_unknown_command_reply(harness: Harness) -> None:
    (unknown,) = await harness.send(harness.user(5, "Lan"), "/khongcolenhnay")
    (sent,) = await harness.send(harness.user(5, "Lan"), "/trangthai")
    assert sent.text == unknown.text == texts.UNKNOWN_COMMAND
    assert "Phiên bản" not in sent.text


class _Redis:
    def __init__(self, up: bool) -> None:
        self.up = up

    async def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("Connection refused")
        return True


class _Storage:
    def __init__(self, up: bool) -> None:
        self.redis = _Redis(up)


async def test_unreachable_database_and_redis_are_reported(tmp_path: Path) -> None:
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db")
    try:
        report = await status.collect(
            create_session_factory(broken), _Storage(up=False), now=datetime.now(UTC)
        )
    finally:
        await broken.dispose()
    assert (report.database_ok, report.redis_ok) == (False, False)
    assert report.outbox_pending is None and report.tickets_open is None
    text = ops_texts.status(report, ZoneInfo("Asia/Ho_Chi_Minh"), datetime.now(UTC))
    assert "Cơ sở dữ liệu: ❌ KHÔNG kết nối được" in text
    assert "Redis: ❌ KHÔNG kết nối được" in text
    assert "Tin chờ gửi: không rõ" in text and "Lần nhắc hạn gần nhất: không rõ" in text


async def test_reachable_redis_is_reported(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    report = await status.collect(session_factory, _Storage(up=True), now=datetime.now(UTC))
    assert (report.database_ok, report.redis_ok) == (True, True)
    assert report.uptime >= timedelta(0)


async def test_last_run_of_the_reminder_job_is_shown(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only the last reminder queued (none may be due for weeks): when this process's
    reminder job last looked, so that a stuck job shows."""
    monkeypatch.setattr(status, "_reminder_run", None)
    (sent,) = await harness.send(harness.user(ADMIN_ID, "An"), "/trangthai")
    assert "Lần kiểm tra nhắc hạn gần nhất: chưa chạy trong tiến trình này" in sent.text
    status.record_reminder_run(datetime(2026, 3, 2, 1, 31, tzinfo=UTC))
    (sent,) = await harness.send(harness.user(ADMIN_ID, "An"), "/trangthai")
    assert "Lần kiểm tra nhắc hạn gần nhất: 08:31 02/03/2026" in sent.text


async def test_reminder_job_records_its_run(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.background import JobContext
    from bot.clock import FakeClock
    from bot.settings import load_settings
    from criteria.loader import require_catalogue
    from jobs.deadlines import reminder_tick

    monkeypatch.setattr(status, "_reminder_run", None)
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    ctx = JobContext(
        bot=None,  # type: ignore[arg-type]  # a tick sends nothing itself
        settings=load_settings(bot_token=None),
        catalogue=require_catalogue(),
        session_factory=session_factory,
        clock=clock,
        stop=asyncio.Event(),
    )
    await reminder_tick(ctx)
    assert status.last_reminder_run() == clock.now()
