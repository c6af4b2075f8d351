"""/cauhoi you act on: each question opens with answer from the knowledge base, send to the
province for the asker, or dismiss; the asker gets the answer (with 👍/👎) or the ticket."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage, Person, QuestionLog, Ticket
from handlers.callbacks import QuestionCb, TicketCb
from tests.handlers.conftest import ADMIN_ID
from tests.handlers.test_questions_admin import COORDINATOR, _ask, _people
from tests.recording import Harness, Sent


def _messages(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.method == "sendMessage"]


async def _row(factory: async_sessionmaker[AsyncSession], qid: int) -> QuestionLog:
    async with factory() as session:
        row = await session.get(QuestionLog, qid)
        assert row is not None
        return row


async def _outbox(factory: async_sessionmaker[AsyncSession], chat: int) -> list[OutboxMessage]:
    async with factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat)
        return list((await session.execute(query.order_by(OutboxMessage.id))).scalars())


async def test_answer_from_the_knowledge_base_reaches_the_asker(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    a, _ = await _people(session_factory)
    qid = await _ask(
        session_factory, a, "Tỷ lệ hồ sơ giải quyết đúng hạn tính thế nào?", "none", 0
    )
    coordinator = harness.user(COORDINATOR)
    (listing,) = await harness.send(coordinator, "/cauhoi")
    (view,) = _messages(await harness.press(coordinator, listing.button("1. ")))
    assert "Câu hỏi của cán bộ UBND huyện A" in view.text
    assert [t for t, _ in view.buttons] == [
        "📖 Trả lời từ hỏi đáp",
        "📨 Gửi lên Sở thay người hỏi",
        "🗑 Bỏ qua",
    ]
    (choices,) = _messages(await harness.press(coordinator, view.button("📖")))
    assert "Chọn mục hỏi đáp" in choices.text and len(choices.buttons) >= 2
    (done,) = _messages(await harness.press(coordinator, choices.buttons[0][1]))
    assert "Đã gửi câu trả lời cho cán bộ UBND huyện A" in done.text
    (sent,) = await _outbox(session_factory, 700)
    assert "Trả lời câu hỏi của bạn" in sent.text and "Tỷ lệ hồ sơ" in sent.text
    assert "👍" in str(sent.reply_markup) and f"a:up:{qid}" in str(sent.reply_markup)
    assert (await _row(session_factory, qid)).handled == "answered"
    (after,) = await harness.send(coordinator, "/cauhoi")
    assert "Không có câu hỏi nào đang chờ" in after.text
    # The same button again: already dealt with, nothing sent twice.
    again = await harness.press(coordinator, choices.buttons[0][1])
    assert again[-1].show_alert and len(await _outbox(session_factory, 700)) == 1


async def test_send_a_guests_question_to_the_province(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _people(session_factory)
    qid = await _ask(session_factory, None, "Khách hỏi giờ làm việc bộ phận một cửa", "none", 5)
    admin = harness.user(ADMIN_ID)
    (done,) = _messages(await harness.press(admin, QuestionCb(action="hs", id=qid).pack()))
    assert "Đã gửi câu hỏi lên <b>Sở Nội vụ</b>" in done.text
    async with session_factory() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert (ticket.asker_id, ticket.department, ticket.unit_id) == (705, "SNV", None)
    told = await _outbox(session_factory, 705)
    assert len(told) == 1 and f"phiếu #{ticket.id}" in told[0].text
    assert (await _row(session_factory, qid)).handled == "ticket"


async def test_dismiss_and_forged_buttons(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await _people(session_factory)
    mine = await _ask(session_factory, a, "Câu hỏi linh tinh không cần trả lời", "none", 1)
    other = await _ask(session_factory, b, "Huyện B hỏi về dịch vụ công", "none", 2)
    coordinator = harness.user(COORDINATOR)
    # Another unit's question: refused, nothing changes.
    for action in ("v", "x", "hs", "kb"):
        forged = await harness.press(coordinator, QuestionCb(action=action, id=other).pack())
        assert forged[-1].show_alert and not _messages(forged)
    assert (await _row(session_factory, other)).handled is None
    (done,) = _messages(await harness.press(coordinator, QuestionCb(action="x", id=mine).pack()))
    assert "Đã bỏ qua" in done.text
    row = await _row(session_factory, mine)
    assert (row.handled, row.handled_by) == ("dismissed", COORDINATOR)
    assert await _outbox(session_factory, 701) == []


async def test_the_province_answer_reaches_the_guest_without_officer_buttons(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _people(session_factory)
    async with session_factory() as session, session.begin():
        session.add(Person(telegram_id=401, role="contact", department="SNV", active=True))
    qid = await _ask(session_factory, None, "Khách hỏi giờ làm việc bộ phận một cửa", "none", 6)
    await harness.press(harness.user(ADMIN_ID), QuestionCb(action="hs", id=qid).pack())
    async with session_factory() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    contact = harness.user(401)
    await harness.press(contact, TicketCb(action="ans", id=ticket.id).pack())
    preview = await harness.send(contact, "Từ 7 giờ 30 đến 17 giờ các ngày làm việc.")
    await harness.press(contact, preview[-1].button("✅"))
    relay = (await _outbox(session_factory, 706))[-1]
    assert "Từ 7 giờ 30" in relay.text and relay.reply_markup is None
