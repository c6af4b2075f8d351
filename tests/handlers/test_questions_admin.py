"""/cauhoi: coordinators see their unit's unresolved questions, admins everyone's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person, QuestionLog
from bot.services import questions
from bot.services.people import add_unit
from handlers.callbacks import QuestionsCb
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness, Sent

COORDINATOR, OFFICER, LONELY = 301, 302, 303
BASE = datetime(2021, 11, 8, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội / Hồ Chí Minh


async def _people(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with factory() as session, session.begin():
        a = await add_unit(session, "huyen-a", "UBND huyện A")
        b = await add_unit(session, "huyen-b", "UBND huyện B")
        session.add_all(
            [
                Person(telegram_id=COORDINATOR, role="coordinator", unit_id=a.id),
                Person(telegram_id=OFFICER, role="officer", unit_id=a.id, department="TP"),
                Person(telegram_id=LONELY, role="coordinator", unit_id=None),
            ]
        )
        return a.id, b.id


async def _ask(
    factory: async_sessionmaker[AsyncSession],
    unit_id: int | None,
    text: str,
    decision: str,
    minutes: int,
    *,
    helpful: bool | None = None,
    province: bool = False,
    code: str | None = None,
) -> int:
    asker = 700 + minutes
    async with factory() as session, session.begin():
        qid = await questions.record(
            session,
            telegram_id=asker,
            unit_id=unit_id,
            set_id="huyen-2021",
            text=text,
            decision=decision,
            entry_id=None,
            criterion_code=code,
            now=BASE + timedelta(minutes=minutes),
        )
        if helpful is not None:
            await questions.set_feedback(session, qid, telegram_id=asker, helpful=helpful)
        if province:
            await questions.mark_for_province(session, qid, telegram_id=asker)
        return qid


async def _seed(factory: async_sessionmaker[AsyncSession]) -> None:
    a, b = await _people(factory)
    await _ask(factory, a, "Kế hoạch tuyên truyền CCHC có cần nghị quyết HĐND không?", "none", 0)
    await _ask(factory, a, "Tỷ lệ hồ sơ đúng hạn lấy số liệu quý mấy?", "answer", 10, code="3.4.1")
    await _ask(factory, a, "Hồ sơ <b>trễ</b> & xin lỗi", "answer", 20, helpful=False, code="3.4.3")
    await _ask(factory, a, "Văn bản QPPL kiểm tra theo mẫu nào?", "clarify", 30, province=True)
    await _ask(factory, a, "Câu này đã trả lời đúng rồi", "answer", 40, helpful=True)
    await _ask(factory, b, "Huyện B hỏi về dịch vụ công trực tuyến", "none", 50)
    await _ask(factory, None, "Khách hỏi về giờ làm việc bộ phận một cửa", "none", 60)


def _only(sent: list[Sent]) -> Sent:
    assert len(sent) == 1, [(s.method, s.text) for s in sent]
    return sent[0]


async def test_coordinator_sees_own_unit_newest_first(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(session_factory)
    reply = _only(await harness.send(harness.user(COORDINATOR), "/cauhoi"))
    text = reply.text
    assert "(đơn vị của bạn): 3 câu" in text
    order = [
        "Văn bản QPPL kiểm tra theo mẫu nào?",
        "Hồ sơ &lt;b&gt;trễ&lt;/b&gt; &amp; xin lỗi",
        "Kế hoạch tuyên truyền CCHC có cần nghị quyết HĐND không?",
    ]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)
    # Dates in Asia/Ho_Chi_Minh (UTC+7), with the decision and the flags.
    assert "🕑 <b>08/11 09:00</b> · đã gợi ý câu gần đúng, 📨 cần hỏi Sở" in text
    assert (
        "🕑 <b>08/11 08:50</b> · đã trả lời, 👎 người hỏi thấy chưa đúng · "
        "tiêu chí thành phần 3.4.3" in text
    )
    assert "🕑 <b>08/11 08:30</b> · chưa có câu trả lời" in text
    for absent in ("đúng hạn lấy số liệu", "đã trả lời đúng", "Huyện B", "Khách hỏi"):
        assert absent not in text
    # Each question a button (one page: no ◀ ▶).
    assert [t for t, _ in reply.buttons] == [
        "1. 08/11 09:00 · Văn bản QPPL kiểm tra theo mẫu nào?",
        "2. 08/11 08:50 · Hồ sơ <b>trễ</b> & xin lỗi",
        "3. 08/11 08:30 · Kế hoạch tuyên truyền CCHC có cần nghị…",
    ]


async def test_admin_sees_every_unit(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(session_factory)
    reply = _only(await harness.send(harness.user(ADMIN_ID), "/cauhoi"))
    assert "(tất cả đơn vị): 5 câu" in reply.text
    assert reply.text.index("Khách hỏi") < reply.text.index("Huyện B hỏi")
    assert "Kế hoạch tuyên truyền" in reply.text


async def test_pages_and_forged_pages(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    a, _ = await _people(session_factory)
    for i in range(11):
        await _ask(session_factory, a, f"Câu hỏi chưa có lời đáp số {i}", "none", i)
    user = harness.user(COORDINATOR)
    first = _only(await harness.send(user, "/cauhoi"))
    assert "11 câu" in first.text and "Trang 1/2" in first.text
    assert "số 10" in first.text and "số 3" in first.text and "số 2\n" not in first.text
    labels = [t for t, _ in first.buttons]
    assert labels[-1] == "▶" and len(labels) == 9 and labels[0].startswith("1. ")
    pressed = await harness.press(user, first.button("▶"))
    (second,) = [s for s in pressed if s.method == "editMessageText"]
    assert "Trang 2/2" in second.text
    assert all(f"số {i}" in second.text for i in (0, 1, 2))
    assert "số 3" not in second.text
    labels = [t for t, _ in second.buttons]
    assert labels[-1] == "◀" and len(labels) == 4 and labels[0].startswith("9. ")
    for page in (2, -1):
        forged = _only(await harness.press(user, QuestionsCb(page=page).pack()))
        assert forged.method == "answerCallbackQuery" and forged.show_alert
        assert "không tồn tại" in forged.text


async def test_empty_list_and_coordinator_without_unit(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _people(session_factory)
    empty = _only(await harness.send(harness.user(COORDINATOR), "/cauhoi"))
    assert "Không có câu hỏi nào đang chờ" in empty.text
    lonely = _only(await harness.send(harness.user(LONELY), "/cauhoi"))
    assert "chưa gắn với đơn vị" in lonely.text


async def test_officers_and_guests_cannot_reach_it(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(session_factory)
    for user_id in (OFFICER, 999):
        user = harness.user(user_id)
        reply = _only(await harness.send(user, "/cauhoi"))
        assert "Lệnh không rõ hoặc bạn chưa có quyền" in reply.text
        assert "Kế hoạch tuyên truyền" not in reply.text
        pressed = _only(await harness.press(user, QuestionsCb(page=0).pack()))
        assert pressed.method == "answerCallbackQuery" and "hết hiệu lực" in pressed.text
    # Nothing was logged as a question either.
    async with session_factory() as session:
        texts = (await session.execute(select(QuestionLog.text))).scalars().all()
        assert "/cauhoi" not in texts
