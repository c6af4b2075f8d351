"""Questions worth a human: messages without words get a hint and are never logged; a
guest's "send to the province" reaches the admins and says so."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import BotData
from bot.db.models import OutboxMessage, QuestionLog
from bot.settings import Settings
from handlers.callbacks import AskCb, BrowseAskCb
from knowledge.search import SearchIndex
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness, Sent, build_harness

ENTRY_711 = "tc-7-1-1-ke-hoach-cntt"  # "Tiêu chí 7.1.1 kế hoạch ứng dụng CNTT…" in the YAML
WORDLESS = ["👍", "🙏🙏", "?", "!!!", "12345", "\u200b", "\u200b\u2060 ", "…", "-_-", "10/10"]


async def _logged(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(QuestionLog)) or 0)


@pytest.mark.parametrize("text", WORDLESS)
async def test_message_without_words_gets_a_hint_and_is_not_logged(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession], text: str
) -> None:
    sent = await harness.send(harness.user(301), text)
    assert [s.method for s in sent] == ["sendMessage"]
    assert "Tôi chưa thấy câu hỏi nào" in sent[0].text and "\n" not in sent[0].text
    assert sent[0].buttons == []  # nothing to send to the province
    assert await _logged(session_factory) == 0


@pytest.mark.parametrize("text", ["3.4.1", "tc 6.5", "e", "Tỷ lệ hồ sơ đúng hạn?"])
async def test_codes_and_words_are_still_questions(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession], text: str
) -> None:
    sent = await harness.send(harness.user(302), text)
    assert "Tôi chưa thấy câu hỏi nào" not in sent[0].text
    assert await _logged(session_factory) == 1


async def test_guest_send_to_province_reaches_the_admins(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    guest = harness.user(303)
    question = "Thời tiết ở Huế cuối tuần này có mưa không?"
    (reply,) = await harness.send(guest, question)
    told = await harness.press(guest, reply.button("📨"))
    text = next(s for s in told if s.method == "sendMessage").text
    assert "quản trị viên" in text and "Phòng Nội vụ" not in text
    async with session_factory() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    assert [r.chat_id for r in rows] == [ADMIN_ID]
    assert question in rows[0].text and "/cauhoi" in rows[0].text
    # Pressing again sends nothing twice.
    await harness.press(guest, reply.button("📨"))
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


async def test_guest_without_any_admin_is_told_the_truth(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    data, index = shipped
    nobody = build_harness(
        settings.model_copy(update={"admin_ids": ()}), data, index, session_factory
    )
    guest = nobody.user(304)
    (reply,) = await nobody.send(guest, "Thời tiết ở Huế cuối tuần này có mưa không?")
    told = await nobody.press(guest, reply.button("📨"))
    text = next(s for s in told if s.method == "sendMessage").text
    assert "chưa có ai nhận" in text and "đường dẫn mời" in text
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_draft_to_the_province_needs_words(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    admin = harness.user(ADMIN_ID)
    await harness.send(admin, "/hoiso")
    sent = await harness.send(admin, "???")
    assert "Tôi chưa thấy câu hỏi nào" in sent[0].text


async def test_no_doubled_labels_and_areas_are_areas(harness: Harness) -> None:
    (reply,) = await harness.send(harness.user(305), "kế hoạch năm nay")
    labels = [t for t, _ in reply.buttons]
    assert any(t.startswith("Tiêu chí ") for t in labels), labels
    assert not any(re.search(r"Tiêu chí [\d.]+: Tiêu chí", t) for t in labels), labels
    assert not any(re.search(r"Tiêu chí \d+\.\d+\.\d+", t) for t in labels), labels
    # Curated entries say "tiêu chí 7.1.1": shown by the level's name, on buttons and answers.
    listed = await harness.press(harness.user(305), BrowseAskCb(code="7.1.1").pack())
    entries = [t for s in listed for t, d in s.buttons if "7.1.1" in t and d.startswith("a:e:")]
    assert entries and all(t.startswith("Tiêu chí thành phần 7.1.1 ") for t in entries), entries
    opened = await harness.press(harness.user(305), AskCb(action="e", ref=ENTRY_711).pack())
    (answer,) = [s for s in opened if s.method == "sendMessage"]
    assert answer.text.startswith("❓ <b>Tiêu chí thành phần 7.1.1 ")
    (area,) = await harness.send(harness.user(305), "lĩnh vực 4")
    assert "<b>Lĩnh vực 4</b>" in area.text and "Tiêu chí 4<" not in area.text


def test_curated_text_names_sub_criteria_by_their_level() -> None:
    from handlers.texts import level_words

    assert level_words("Tiêu chí 7.1.1 kế hoạch (tiêu chí 4.2.2)") == (
        "Tiêu chí thành phần 7.1.1 kế hoạch (tiêu chí thành phần 4.2.2)"
    )
    for kept in ("tiêu chí 3.4 gồm", "tiêu chí thành phần 3.4.1", "5 tiêu chí 2 điểm"):
        assert level_words(kept) == kept


def test_sources_are_named_by_their_document() -> None:
    from handlers.texts import source_line

    assert "thông lệ" not in source_line("thông lệ")
    assert "chưa có văn bản nêu riêng" in source_line("thông lệ")
    mixed = source_line("NĐ 60/2021/NĐ-CP; thông lệ")
    assert mixed == ("<i>Nguồn: Nghị định số 60/2021/NĐ-CP; và cách làm phổ biến ở các đơn vị</i>")
    decision = "Quyết định số 2400/QĐ-UBND ngày 24/9/2021 của UBND tỉnh"
    assert source_line(decision) == f"<i>Nguồn: {decision}</i>"


def test_blocked_notice_names_the_department(shipped: tuple[BotData, SearchIndex]) -> None:
    from bot.db.models import Person
    from handlers.notices import blocked_text

    person = Person(telegram_id=7, display_name="Bình", department="TP", role="officer")
    text = blocked_text(person, shipped[0].catalogue)
    assert "<b>Bình</b> (Phòng Tư pháp)" in text and "(TP)" not in text


async def test_commands_work_at_every_scoring_step_and_the_step_stays(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    from bot.db.models import Person
    from bot.services.people import add_unit
    from handlers.texts import scoring as t

    async with session_factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        session.add(Person(telegram_id=306, display_name="Bình", role="officer",
                           unit_id=unit.id, department="TP", active=True))  # fmt: skip
    me = harness.user(306)

    def last(sent: list[Sent]) -> Sent:
        return [s for s in sent if s.method == "sendMessage"][-1]

    step = last(await harness.press(me, (await harness.send(me, "/chamdiem"))[0].button("▶️")))
    (listing,) = await harness.send(me, "/phieu")
    assert "chưa có phiếu hỏi Sở nào" in listing.text  # at the yes/no step
    confirm = last(await harness.press(me, step.button(t.BTN_YES)))
    evidence = last(await harness.press(me, confirm.button(t.BTN_SAVE)))
    assert "Tài liệu kiểm chứng — tiêu chí 2.1" in evidence.text
    (listing,) = await harness.send(me, "/phieu")
    assert "chưa có phiếu hỏi Sở nào" in listing.text  # at the evidence step too
    (calendar,) = await harness.send(me, "/hanchot")
    assert "Thời hạn" in calendar.text and "tin nhắn dạng chữ" not in calendar.text
    preview = last(await harness.send(me, "Kế hoạch 45/KH-UBND ngày 12/3/2021"))
    assert "Xem lại trước khi lưu" in preview.text  # still the evidence step


def test_overdue_hours_are_written_the_vietnamese_way() -> None:
    from handlers.texts import tickets as tt

    assert tt.overdue(4.5) == "chưa có trả lời sau 4,5 giờ làm việc"
    assert tt.overdue(16) == "chưa có trả lời sau 16 giờ làm việc"


def test_a_ticket_just_sent_is_not_zero_minutes_old() -> None:
    from datetime import timedelta

    from handlers.texts import tickets as tt

    assert tt.ago(timedelta(seconds=20)) == "vừa gửi"
    assert tt.ago(timedelta(minutes=15)) == "15 phút trước"
    assert tt.ago(timedelta(days=2, hours=1)) == "2 ngày trước"
