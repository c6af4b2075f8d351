"""/hanchot and the coordinator's calendar editor, through the real dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.data import BotData
from bot.db.models import DeadlineAudit, UnitDeadline
from bot.services import deadlines as deadlines_service
from bot.settings import Settings
from bot.storage import DatabaseStorage
from criteria.schema import CriteriaSet
from knowledge.search import SearchIndex
from tests.deadline_fixtures import (
    COORDINATOR,
    OFFICER_TP,
    finish_department,
    seed_unit,
)
from tests.recording import (
    Harness,
    build_harness,
    failing_clear,
    failing_commit_after,
    redis_storage,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2021, 11, 12, 9, 0, tzinfo=VN))


@pytest.fixture
async def dh(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> AsyncIterator[Harness]:
    data, index = shipped
    yield build_harness(settings, data, index, session_factory, clock)


@pytest.fixture
def cset(shipped: tuple[BotData, SearchIndex]) -> CriteriaSet:
    return shipped[0].catalogue.current


async def test_guest_sees_calendar_only(dh: Harness) -> None:
    sent = await dh.send(dh.user(1), "/hanchot")
    text = sent[0].text
    assert "Hôm nay: 12/11/2021" in text
    assert "Đang diễn ra" in text and "05/11/2021 – 15/11/2021" in text and "còn 3 ngày" in text
    assert "Sắp tới" in text and "bắt đầu sau 4 ngày" in text
    assert "tiêu chí chưa chấm" not in text and sent[0].buttons == []


async def test_all_past_is_said_plainly(dh: Harness, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 29, 10, 0, tzinfo=VN))
    text = (await dh.send(dh.user(1), "/hanchot"))[0].text
    assert "Hôm nay: 29/11/2026" in text
    assert "Tất cả 7 mốc của lịch này <b>đã qua</b>" in text and "31/03/2022" in text
    assert "còn 1" not in text and "quá hạn" not in text and "Đang diễn ra" not in text


async def test_officer_sees_own_department_work_and_score_button(
    dh: Harness, session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    await seed_unit(session_factory)
    sent = await dh.send(dh.user(OFFICER_TP), "/hanchot")
    text = sent[-1].text
    assert "Phần việc của phòng bạn" in text and "Phòng Tư pháp: còn" in text
    assert "Phòng Nội vụ" not in text.split("Phần việc của phòng bạn")[1]
    # The button is the scoring journey's own entry: it opens the officer's overview.
    assert sent[-1].button("📝 Chấm điểm") == "m:score"
    pressed = await dh.press(dh.user(OFFICER_TP), "m:score")
    opened = [s for s in pressed if s.method == "sendMessage"]
    assert opened and "Phòng Tư pháp" in opened[0].text


async def test_coordinator_sees_each_department(
    dh: Harness, session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    unit_id = await seed_unit(session_factory)
    await finish_department(session_factory, unit_id, cset, "TP")
    text = (await dh.send(dh.user(COORDINATOR), "/hanchot"))[-1].text
    assert "Tình hình các phòng của đơn vị" in text
    assert "Phòng Tư pháp: ✅ đã chấm xong" in text
    assert "Phòng Nội vụ: còn" in text and "tiêu chí chưa chấm" in text


async def test_coordinator_changes_a_date_with_bad_input_first(
    dh: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_unit(session_factory)
    who = dh.user(COORDINATOR)
    shown = await dh.send(who, "/hanchot")
    menu = await dh.press(who, shown[-1].button("✏️ Sửa lịch"))
    choose = next(s for s in menu if s.method == "sendMessage")
    detail = await dh.press(who, choose.button("05/11/2021 – 15/11/2021"))
    card = next(s for s in detail if s.method == "sendMessage")
    assert "Xóa" not in " ".join(t for t, _ in card.buttons)  # a set's step cannot go
    asked = await dh.press(who, card.button("📅 Đổi ngày"))
    assert "Gõ ngày mới" in next(s for s in asked if s.method == "sendMessage").text
    for bad, words in [("mai nhé", "ngày/tháng/năm"), ("31/11/2021", "không có thật")]:
        reply = await dh.send(who, bad)
        assert "Chưa đọc được ngày" in reply[0].text and words in reply[0].text
    done = await dh.send(who, "18/11/2021")
    assert "Đã đổi ngày" in done[0].text and "05/11/2021 – 18/11/2021" in done[0].text
    async with session_factory() as session:
        row = (await session.execute(select(UnitDeadline))).scalar_one()
        audit = (await session.execute(select(DeadlineAudit))).scalar_one()
    assert (row.step_id, row.end_date.isoformat(), row.added) == ("tu-cham", "2021-11-18", False)
    assert (audit.action, audit.actor) == ("date", COORDINATOR)
    assert audit.before is not None and audit.before["end"] == "2021-11-15"
    again = await dh.send(who, "/hanchot")
    assert "đơn vị đã đổi ngày" in again[0].text and "còn 6 ngày" in again[0].text


async def test_coordinator_adds_and_removes_a_deadline(
    dh: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_unit(session_factory)
    who = dh.user(COORDINATOR)
    shown = await dh.send(who, "/hanchot")
    menu = await dh.press(who, shown[-1].button("✏️ Sửa lịch"))
    choose = next(s for s in menu if s.method == "sendMessage")
    await dh.press(who, choose.button("➕ Thêm mốc"))
    assert "3 đến 200" in (await dh.send(who, "ab"))[0].text
    assert "hạn chót" in (await dh.send(who, "Nộp báo cáo cho Phòng Nội vụ"))[0].text
    assert "Chưa đọc được ngày" in (await dh.send(who, "20/11/2021 - 01/11/2021"))[0].text
    added = await dh.send(who, "17/11/2021")
    assert "Đã thêm mốc <b>Nộp báo cáo cho Phòng Nội vụ</b>, hạn 17/11/2021" in added[0].text
    listing = (await dh.send(who, "/hanchot"))[0].text
    assert "Nộp báo cáo cho Phòng Nội vụ</b> <i>(đơn vị thêm)</i>" in listing
    async with session_factory() as session:
        key = (await session.execute(select(UnitDeadline.step_id))).scalar_one()
    # An officer cannot reach the editor, even with a forged button.
    forged = await dh.press(dh.user(OFFICER_TP), f"dl:delok:{key}")
    assert all("Đã xóa" not in s.text for s in forged)
    confirm = await dh.press(who, f"dl:del:{key}")
    ask = next(s for s in confirm if s.method == "sendMessage")
    gone = await dh.press(who, ask.button("✅ Xóa"))
    assert "Đã xóa mốc" in next(s for s in gone if s.method == "sendMessage").text
    assert "Nộp báo cáo" not in (await dh.send(who, "/hanchot"))[0].text
    stale = await dh.press(who, f"dl:delok:{key}")
    assert stale[0].show_alert
    async with session_factory() as session:
        actions = (await session.execute(select(DeadlineAudit.action))).scalars().all()
    assert sorted(actions) == ["add", "remove"]


async def test_set_step_cannot_be_removed_by_forged_button(
    dh: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_unit(session_factory)
    sent = await dh.press(dh.user(COORDINATOR), "dl:delok:tu-cham")
    assert sent[0].show_alert and "không xóa được" in sent[0].text
    async with session_factory() as session:
        assert (await session.execute(select(UnitDeadline))).first() is None


async def _up_to_the_date(dh: Harness, session_factory: async_sessionmaker[AsyncSession]) -> User:
    """The coordinator has typed a new step's title; the editor waits for its date."""
    await seed_unit(session_factory)
    who = dh.user(COORDINATOR)
    shown = await dh.send(who, "/hanchot")
    menu = await dh.press(who, shown[-1].button("✏️ Sửa lịch"))
    choose = next(s for s in menu if s.method == "sendMessage")
    await dh.press(who, choose.button("➕ Thêm mốc"))
    await dh.send(who, "Nộp báo cáo cho Phòng Nội vụ")
    return who


async def _added(session_factory: async_sessionmaker[AsyncSession]) -> list[str | None]:
    async with session_factory() as session:
        return list((await session.execute(select(UnitDeadline.title))).scalars().all())


async def test_an_added_step_ends_the_editor_in_one_transaction(
    dh: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the editor cannot be ended (the process dies, the storage fails) the step is not
    added either: typing the date again adds it once, not twice (twice reminded)."""
    who = await _up_to_the_date(dh, session_factory)
    original = DatabaseStorage._execute
    failing = [True]

    async def execute(session: AsyncSession, row_key: str, record: Any) -> None:
        if failing and record.state is None:  # the editor's end
            failing.clear()
            raise ConnectionError("the storage went away")
        await original(session, row_key, record)

    monkeypatch.setattr(DatabaseStorage, "_execute", staticmethod(execute))
    assert "Xin lỗi" in (await dh.send(who, "17/11/2021"))[0].text
    assert "Đã thêm mốc" in (await dh.send(who, "17/11/2021"))[0].text
    async with session_factory() as session:
        added = (await session.execute(select(UnitDeadline.title))).scalars().all()
    assert added == ["Nộp báo cáo cho Phòng Nội vụ"]


@pytest.fixture
async def redis_dh(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> AsyncIterator[Harness]:
    """The editor with its conversation state in Redis (skipped without REDIS_URL)."""
    data, index = shipped
    async with redis_storage(session_factory) as storage:
        yield build_harness(settings, data, index, session_factory, clock, storage=storage)


async def test_with_redis_a_failed_commit_keeps_the_editor(
    redis_dh: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The editor (in Redis) ends only after the step is committed: a commit that fails leaves
    it waiting for the date, and the date typed again adds the step once."""
    who = await _up_to_the_date(redis_dh, session_factory)
    with failing_commit_after(monkeypatch, deadlines_service, "add_deadline"):
        assert "Xin lỗi" in (await redis_dh.send(who, "17/11/2021"))[0].text
    assert await _added(session_factory) == []
    assert "Đã thêm mốc" in (await redis_dh.send(who, "17/11/2021"))[0].text
    assert await _added(session_factory) == ["Nộp báo cáo cho Phòng Nội vụ"]


async def test_with_redis_an_editor_left_after_its_step_adds_nothing_again(
    redis_dh: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The step is committed, then the editor cannot be ended (the process is killed, Redis
    fails): the date typed again says the step is added, and adds no second one."""
    who = await _up_to_the_date(redis_dh, session_factory)
    storage: Any = redis_dh.dp.storage
    failing_clear(monkeypatch, storage)
    assert "tạm thời không thể" in (await redis_dh.send(who, "17/11/2021"))[0].text
    assert await _added(session_factory) == ["Nộp báo cáo cho Phòng Nội vụ"]
    again = await redis_dh.send(who, "17/11/2021")
    assert "Đã thêm mốc <b>Nộp báo cáo cho Phòng Nội vụ</b>, hạn 17/11/2021" in again[0].text
    assert await _added(session_factory) == ["Nộp báo cáo cho Phòng Nội vụ"]
    async with session_factory() as session:
        actions = (await session.execute(select(DeadlineAudit.action))).scalars().all()
    assert actions == ["add"]
