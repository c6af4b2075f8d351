"""The reminder scheduler with a controllable clock: who gets what, once; the working hour;
catch-up after downtime; two schedulers on one database; stopping when work is done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import OutboxMessage, Person, ReminderSent
from bot.fakeapi import FakeBotAPI
from bot.services import reminders
from bot.services.outbox import OutboxSender
from bot.services.people import add_unit
from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from handlers.notices import ReminderTexts, blocked_text
from tests.deadline_fixtures import (
    COORDINATOR,
    OFFICER_NV,
    OFFICER_TP,
    fake_api,
    finish_department,
    make_bot,
    seed_unit,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture(scope="module")
def cset() -> CriteriaSet:
    return require_catalogue().current


async def tick(
    factory: async_sessionmaker[AsyncSession], cset: CriteriaSet, now: datetime, hour: int = 8
) -> reminders.TickResult:
    async with factory() as session, session.begin():
        return await reminders.tick(
            session, cset=cset, now=now, tz=VN, hour=hour, render=ReminderTexts()
        )


async def queued(factory: async_sessionmaker[AsyncSession]) -> list[tuple[int, str, str]]:
    """(chat, kind, text) of every outbox message, in order."""
    async with factory() as session:
        rows = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.chat_id, m.kind, m.text) for m in rows.scalars()]


async def test_due_reminders_go_to_people_with_unfinished_work(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    result = await tick(session_factory, cset, vn(2021, 11, 12, 8, 30))
    messages = await queued(session_factory)
    chats = {(chat, kind) for chat, kind, _ in messages}
    # The scoring window (departments) is 3 days from its end: each officer gets the 3-day
    # reminder; the coordinator gets the daily digest of the window and the 7-day reminder of
    # the consolidation step (coordinators), since the departments are not done.
    assert chats == {
        (OFFICER_TP, "reminder"),
        (OFFICER_NV, "reminder"),
        (COORDINATOR, "digest"),
        (COORDINATOR, "reminder"),
    }
    assert result.queued == 4
    consolidation = next(t for c, k, t in messages if c == COORDINATOR and k == "reminder")
    assert "Phòng Nội vụ tổng hợp" in consolidation and "còn 7 ngày" in consolidation
    tp = next(text for chat, _, text in messages if chat == OFFICER_TP)
    assert "còn 3 ngày" in tp and "Phòng Tư pháp" in tp and "tiêu chí chưa chấm" in tp
    digest = next(text for chat, _, text in messages if chat == COORDINATOR)
    assert "Các phòng chưa xong" in digest and "Phòng Tư pháp" in digest
    async with session_factory() as session:
        steps = (await session.execute(select(ReminderSent.step))).scalars().all()
    assert sorted(steps) == ["3", "3", "7", "digest-20211112"]


async def test_once_per_person_and_step(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    await tick(session_factory, cset, vn(2021, 11, 12, 8, 30))
    again = await tick(session_factory, cset, vn(2021, 11, 12, 15))
    assert again.queued == 0 and again.already_claimed == 4
    assert len(await queued(session_factory)) == 4


async def test_nothing_before_the_working_hour_or_at_night(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    assert (await tick(session_factory, cset, vn(2021, 11, 12, 7, 59))).queued == 0
    assert (await tick(session_factory, cset, vn(2021, 11, 12, 21, 30))).queued == 0
    assert (await tick(session_factory, cset, vn(2021, 11, 12, 9), hour=10)).queued == 0
    assert (await tick(session_factory, cset, vn(2021, 11, 12, 10), hour=10)).queued == 4


async def test_catch_up_after_downtime_sends_one_late_reminder(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    # Down from before the 7-day reminder (08/11) until 13/11 09:00: one reminder, the 3-day.
    await tick(session_factory, cset, vn(2021, 11, 13, 9))
    officer = [t for c, k, t in await queued(session_factory) if c == OFFICER_TP]
    assert len(officer) == 1 and "còn 2 ngày" in officer[0]
    async with session_factory() as session:
        steps = await session.execute(
            select(ReminderSent.step).where(ReminderSent.step.not_like("digest%"))
        )
        assert sorted(steps.scalars().all()) == ["3", "3", "7"]
    # The next step comes on its own day; the deadline's day gets the last one.
    await tick(session_factory, cset, vn(2021, 11, 14, 8))
    await tick(session_factory, cset, vn(2021, 11, 15, 8))
    officer = [t for c, k, t in await queued(session_factory) if c == OFFICER_TP]
    assert len(officer) == 3 and "hôm nay" in officer[-1]
    # After the deadline: no more reminders for officers (the coordinator's digest goes on).
    after = await tick(session_factory, cset, vn(2021, 11, 16, 9))
    assert {c for c, _, _ in (await queued(session_factory))[-after.queued :]} <= {COORDINATOR}


async def test_reminders_stop_when_the_work_is_done(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    unit_id = await seed_unit(session_factory)
    await tick(session_factory, cset, vn(2021, 11, 12, 9))
    await finish_department(session_factory, unit_id, cset, "TP")
    await tick(session_factory, cset, vn(2021, 11, 14, 9))
    to_tp = [t for c, _, t in await queued(session_factory) if c == OFFICER_TP]
    to_nv = [t for c, _, t in await queued(session_factory) if c == OFFICER_NV]
    assert len(to_tp) == 1 and len(to_nv) == 2
    digest = [t for c, k, t in await queued(session_factory) if k == "digest"][-1]
    assert "Phòng Tư pháp" not in digest and "Văn phòng" in digest
    for department in {d.code for d in cset.departments} - {"TP"}:
        await finish_department(session_factory, unit_id, cset, department)
    assert (await tick(session_factory, cset, vn(2021, 11, 15, 9))).queued == 0


async def test_two_schedulers_on_one_database_claim_each_reminder_once(
    db_url: str, session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    other_engine = create_engine(db_url)
    try:
        other = create_session_factory(other_engine)
        now = vn(2021, 11, 12, 8, 30)
        results = await asyncio.gather(
            *(tick(f, cset, now) for f in (session_factory, other, session_factory, other))
        )
    finally:
        await other_engine.dispose()
    assert sum(r.queued for r in results) == 4
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 4
        assert await session.scalar(select(func.count()).select_from(ReminderSent)) == 4


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async for server in fake_api(global_limit_per_sec=30, per_chat_limit_per_sec=1):
        yield server


async def test_reminder_delivered_with_scoring_button(
    api: FakeBotAPI, session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    clock = FakeClock(vn(2021, 11, 14, 8, 0))
    await tick(session_factory, cset, clock.now())
    sender = OutboxSender(
        make_bot(api.base_url), session_factory, clock, rate=28, blocked_text=blocked_text
    )
    while await sender.run_once():
        pass
    message = api.user(OFFICER_TP).last
    assert message is not None
    assert "Nhắc thời hạn" in message.text and "còn 1 ngày" in message.text
    assert message.buttons == [[("📝 Chấm điểm ngay", "m:score")]]
    assert api.rejected_429 == 0
    await sender.bot.session.close()


async def test_each_unit_is_reminded_on_its_own_set(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """District and commune units in one database: each officer is reminded of their own
    set's calendar and unscored criteria; the claim names the set."""
    catalogue = require_catalogue()
    async with session_factory() as session, session.begin():
        district = await add_unit(session, "huyen-a", "UBND huyện A", "huyen")
        commune = await add_unit(session, "xa-b", "UBND xã B", "xa")
        session.add_all(
            [
                Person(telegram_id=OFFICER_TP, display_name="Bình", role="officer",
                       unit_id=district.id, department="TP"),
                Person(telegram_id=OFFICER_NV, display_name="Xuân", role="officer",
                       unit_id=commune.id, department="KT"),
            ]
        )

    async def tick_all(now: datetime) -> None:
        async with session_factory() as session, session.begin():
            await reminders.tick(
                session, catalogue=catalogue, now=now, tz=VN, hour=8, render=ReminderTexts()
            )

    await tick_all(vn(2025, 12, 9, 8, 30))  # the commune scoring window ends on 12/12/2025
    messages = await queued(session_factory)
    assert [(chat, kind) for chat, kind, _ in messages] == [(OFFICER_NV, "reminder")]
    assert "Phòng Kinh tế" in messages[0][2] and "còn 3 ngày" in messages[0][2]
    await tick_all(vn(2021, 11, 12, 8, 30))  # the district window ends on 15/11/2021
    messages = await queued(session_factory)
    assert [(chat, kind) for chat, kind, _ in messages[1:]] == [(OFFICER_TP, "reminder")]
    assert "Phòng Tư pháp" in messages[1][2]
    async with session_factory() as session:
        keys = (await session.execute(select(ReminderSent.deadline_key))).scalars().all()
    assert [k.split(":")[0] for k in keys] == ["xa-2025", "huyen-2021"]
