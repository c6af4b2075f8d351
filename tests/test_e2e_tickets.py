"""End to end: questions to the provincial departments (Hỏi Sở) with the real bot process.

Officers and Sở contacts are separate private chats on the fake Bot API; everything one of
them must receive because of the other goes through the outbox, so the tests wait for it
with ``wait_messages``. Timeouts are generous: the suite runs on a loaded two-core machine.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import QuestionLog, RulingSuggestion, Ticket, TicketEvent, TicketFollower
from bot.fakeapi import FakeBotAPI, FakeUser, SentMessage
from bot.services.people import Role
from tests.e2e import BotProcess, invite_code, labels, user_ids

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REPLY = 60.0  # a direct reply to an update
DELIVERY = 90.0  # an outbox delivery to another chat (polled, paced per chat)

# Not in the curated knowledge base: the Ask journey has no answer for it until a ruling.
# A question the knowledge base does not answer (search says "none"), then a near duplicate.
QUESTION = "Quy định về phí chợ của huyện có cần đăng công báo tỉnh không?"
SIMILAR = "Quy định về phí chợ của huyện có phải đăng công báo tỉnh không ạ?"
ANSWER = "Có. Quy định về phí chợ của huyện phải được đăng công báo tỉnh trước khi có hiệu lực."


async def _register(
    api: FakeBotAPI,
    factory: async_sessionmaker[AsyncSession],
    user_id: int,
    name: str,
    username: str,
    role: Role,
    unit: str | None,
    dept: str,
) -> FakeUser:
    code = await invite_code(factory, role, dept, unit=unit, units=("huyen-a", "huyen-b"))
    user = api.user(user_id, first_name=name, username=username)
    await user.send(f"/start {code}")
    registered, _menu = await user.wait_messages(2, timeout=REPLY)
    assert "Đăng ký thành công" in registered.text, registered.text
    return user


async def _alert(api: FakeBotAPI, user: FakeUser, before: int) -> str:
    """The text of the next callback answer (an alert) the user gets."""
    await api.wait_until(lambda: len(user.callback_answers) > before, timeout=REPLY)
    answer = user.callback_answers[before]
    assert answer.show_alert, answer
    return answer.text or ""


async def _answer(contact: FakeUser, card: SentMessage, text: str) -> SentMessage:
    """The contact answers from the ticket card: prompt, preview, confirm."""
    await contact.press("✍️ Trả lời", message=card)
    (prompt,) = await contact.wait_messages(1, timeout=REPLY)
    assert "Hãy gõ câu trả lời" in prompt.text
    await contact.send(text)
    (preview,) = await contact.wait_messages(1, timeout=REPLY)
    assert "Xem lại câu trả lời" in preview.text and text in preview.text
    await contact.press("✅ Gửi trả lời", message=preview)
    (done,) = await contact.wait_messages(1, timeout=REPLY)
    return done


async def _ticket(factory: async_sessionmaker[AsyncSession], ticket_id: int = 1) -> Ticket:
    async with factory() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def _events(
    factory: async_sessionmaker[AsyncSession], ticket_id: int = 1
) -> list[tuple[str, str | None]]:
    async with factory() as session:
        query = (
            select(TicketEvent.kind, TicketEvent.text)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
        return [(kind, text) for kind, text in (await session.execute(query)).all()]


def _seen(user: FakeUser) -> str:
    """Everything the bot ever showed this user: texts, markup and buttons."""
    parts = []
    for message in user.messages:  # nothing in this journey is edited or deleted
        parts += [message.text, message.html or "", repr(message.reply_markup)]
    parts += [a.text or "" for a in user.callback_answers]
    return "\n".join(parts)


def _assert_private(viewers: list[FakeUser], others: list[FakeUser]) -> None:
    """None of ``viewers`` was shown the username, id or a user link of any of ``others``."""
    for viewer in viewers:
        seen = _seen(viewer)
        assert "tg://user" not in seen
        for other in others:
            assert other.username and other.username not in seen, (viewer, other)
            assert str(other.id) not in seen, (viewer, other)


async def test_ask_answer_relay_resolve_duplicate_and_ruling(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = session_factory
    officer_id, officer_b_id, contact_id, coordinator_id = user_ids(4)
    await bot_process.start()
    officer = await _register(
        api, factory, officer_id, "Bình Nguyễn", "binh_tp_huyen_a", Role.OFFICER, "huyen-a", "TP"
    )
    officer_b = await _register(
        api, factory, officer_b_id, "Lan Trần", "lan_tp_huyen_b", Role.OFFICER, "huyen-b", "TP"
    )
    contact = await _register(
        api, factory, contact_id, "Chị Hạnh", "hanh_rieng_tu", Role.CONTACT, None, "STP"
    )
    coordinator = await _register(
        api, factory, coordinator_id, "Anh Hà", "ha_noi_vu", Role.COORDINATOR, "huyen-a", "NV"
    )

    # Ask: no answer yet → "send to the Sở" → a draft pre-filled with the question.
    await officer.send(QUESTION)
    (none,) = await officer.wait_messages(1, timeout=REPLY)
    assert "chưa có câu trả lời" in none.text
    await officer.press("📨 Gửi câu hỏi lên Sở", message=none)
    (draft,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Xem lại câu hỏi" in draft.text and QUESTION in draft.text
    assert "Sở trả lời: Sở Nội vụ" in draft.text  # no criterion: the default department
    await officer.press("🔖 Đổi tiêu chí", message=draft)
    (prompt,) = await officer.wait_messages(1, timeout=REPLY)
    assert "mã tiêu chí" in prompt.text
    await officer.send("2.1")
    (draft,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Tiêu chí 2.1" in draft.text and "Sở trả lời: Sở Tư pháp" in draft.text
    await officer.press("📨 Gửi lên Sở", message=draft)
    (sent,) = await officer.wait_messages(1, timeout=REPLY)
    assert "số phiếu #1" in sent.text and "đầu mối của Sở Tư pháp" in sent.text
    ticket = await _ticket(factory)
    assert (ticket.status, ticket.department, ticket.criterion_code) == ("open", "STP", "2.1")
    assert (ticket.asker_id, ticket.question) == (officer_id, QUESTION)
    assert ticket.question_log_id is not None

    # The contact gets the ticket through the outbox: unit, question, criterion card, buttons.
    (card,) = await contact.wait_messages(1, timeout=DELIVERY)
    assert "Câu hỏi mới gửi Sở Tư pháp — phiếu #1" in card.text
    assert "Đơn vị hỏi: UBND huyện A" in card.text and QUESTION in card.text
    assert "Tiêu chí 2.1" in card.text
    assert labels(card) == ["✍️ Trả lời", "❓ Cần thêm thông tin", "↪️ Chuyển Sở khác"]

    # Answer with a preview; a rewritten draft never leaves the contact's chat.
    await contact.press("✍️ Trả lời", message=card)
    await contact.wait_messages(1, timeout=REPLY)
    await contact.send("Bản nháp chưa đúng")
    (preview,) = await contact.wait_messages(1, timeout=REPLY)
    assert "Bản nháp chưa đúng" in preview.text
    await contact.press("✏️ Viết lại", message=preview)
    (again,) = await contact.wait_messages(1, timeout=REPLY)
    assert "Hãy gõ câu trả lời cho phiếu #1" in again.text
    await contact.send(ANSWER)
    (preview,) = await contact.wait_messages(1, timeout=REPLY)
    assert ANSWER in preview.text
    await contact.press("✅ Gửi trả lời", message=preview)
    (done,) = await contact.wait_messages(1, timeout=REPLY)
    assert "Đã gửi câu trả lời phiếu #1 đến 1 người nhận" in done.text

    # Relayed to the officer: the department and the contact's display name, nothing more.
    (relay,) = await officer.wait_messages(1, timeout=DELIVERY)
    assert "Sở Tư pháp đã trả lời phiếu #1" in relay.text
    assert ANSWER in relay.text and "Bản nháp" not in relay.text
    assert "Người trả lời: Chị Hạnh (Sở Tư pháp)" in relay.text
    assert labels(relay) == ["✅ Đã giải quyết", "↩️ Hỏi tiếp"]
    ticket = await _ticket(factory)
    assert (ticket.status, ticket.answer) == ("answered", ANSWER)
    assert ticket.answered_at is not None
    answered_on = ticket.answered_at.astimezone(TZ).strftime("%d/%m/%Y")

    await officer.press("✅ Đã giải quyết", message=relay)
    (resolved,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Đã đánh dấu phiếu #1 là đã giải quyết" in resolved.text
    assert (await _ticket(factory)).status == "closed"

    # Another unit asks nearly the same: shown the answered ticket, follows it instead.
    await officer_b.send("/hoiso")
    await officer_b.wait_messages(1, timeout=REPLY)
    await officer_b.send(SIMILAR)
    (draft_b,) = await officer_b.wait_messages(1, timeout=REPLY)
    await officer_b.press("📨 Gửi lên Sở", message=draft_b)
    (similar,) = await officer_b.wait_messages(1, timeout=REPLY)
    assert f"phiếu #1) đã được Sở Tư pháp trả lời ngày {answered_on}" in similar.text
    assert ANSWER in similar.text
    await officer_b.press("🔔 Theo dõi phiếu #1", message=similar)
    (following,) = await officer_b.wait_messages(1, timeout=REPLY)
    assert "Bạn đang theo dõi phiếu #1" in following.text
    async with factory() as session:
        follower = (await session.execute(select(TicketFollower))).scalar_one()
        count = len((await session.execute(select(Ticket))).scalars().all())
    assert (follower.ticket_id, follower.telegram_id, count) == (1, officer_b_id, 1)

    # A follow-up reopens the ticket; its answer reaches the asker and the follower.
    followup = "Còn nghị quyết cá biệt về phí chợ thì có tính không?"
    followup_answer = "Nghị quyết cá biệt không phải văn bản QPPL, không tính."
    await officer.press("↩️ Hỏi tiếp", message=relay)
    (ask_more,) = await officer.wait_messages(1, timeout=REPLY)
    assert "câu hỏi tiếp theo cho phiếu #1" in ask_more.text
    await officer.send(followup)
    (reopened,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Đã mở lại phiếu #1" in reopened.text
    (card2,) = await contact.wait_messages(1, timeout=DELIVERY)
    assert "Cán bộ hỏi tiếp" in card2.text and followup in card2.text and ANSWER in card2.text
    done = await _answer(contact, card2, followup_answer)
    assert "đến 2 người nhận" in done.text
    (relay2,) = await officer.wait_messages(1, timeout=DELIVERY)
    (relay_b,) = await officer_b.wait_messages(1, timeout=DELIVERY)
    assert "Sở Tư pháp đã trả lời phiếu #1" in relay2.text
    assert "Phiếu #1 bạn theo dõi đã được Sở Tư pháp trả lời" in relay_b.text
    for message in (relay2, relay_b):
        assert followup_answer in message.text and followup in message.text
    assert [kind for kind, _ in await _events(factory)] == [
        "created",
        "answer",
        "resolved",
        "followed",
        "reopened",
        "answer",
    ]

    # Each answer is suggested with the question it answers; the coordinator approves the
    # first and rejects the follow-up.
    await coordinator.send("/duyet")
    first, second = await coordinator.wait_messages(2, timeout=REPLY)
    assert "Đề xuất bổ sung hỏi đáp số 1" in first.text
    assert QUESTION in first.text and ANSWER in first.text
    assert f"Nguồn: Trả lời của Sở Tư pháp ngày {answered_on}" in first.text
    assert followup in second.text and followup_answer in second.text
    await coordinator.press("✅ Duyệt", message=first)
    (approved,) = await coordinator.wait_messages(1, timeout=REPLY)
    assert "Đã duyệt đề xuất số 1" in approved.text
    await coordinator.press("🗑 Từ chối", message=second)
    (rejected,) = await coordinator.wait_messages(1, timeout=REPLY)
    assert "Đã từ chối đề xuất số 2" in rejected.text
    async with factory() as session:
        rows = await session.execute(select(RulingSuggestion).order_by(RulingSuggestion.id))
        assert [(r.status, r.reviewed_by) for r in rows.scalars()] == [
            ("approved", coordinator_id),
            ("rejected", coordinator_id),
        ]

    # The approved ruling now answers the same question at once in the Ask journey.
    await officer_b.send(QUESTION)
    (direct,) = await officer_b.wait_messages(1, timeout=REPLY)
    assert ANSWER in direct.text
    assert f"Nguồn: Trả lời của Sở Tư pháp ngày {answered_on}" in direct.text
    assert "Tiêu chí 2.1" in direct.text
    async with factory() as session:
        query = (
            select(QuestionLog)
            .where(QuestionLog.telegram_id == officer_b_id)
            .order_by(QuestionLog.id.desc())
        )
        logged = (await session.execute(query)).scalars().first()
    assert logged is not None and (logged.decision, logged.entry_id) == ("answer", "hs-1")

    _assert_private([contact], [officer, officer_b])
    _assert_private([officer, officer_b], [contact])
    assert await bot_process.stop() == 0


async def test_reassign_and_more_info_round(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    factory = session_factory
    officer_id, stp_id, stc_id = user_ids(3)
    await bot_process.start()
    officer = await _register(
        api, factory, officer_id, "Bình Nguyễn", "binh_tp_huyen_a", Role.OFFICER, "huyen-a", "TP"
    )
    stp = await _register(api, factory, stp_id, "Chị Hạnh", "hanh_stp", Role.CONTACT, None, "STP")
    stc = await _register(api, factory, stc_id, "Anh Tài", "tai_stc", Role.CONTACT, None, "STC")

    question = "Kinh phí rà soát văn bản QPPL theo tiêu chí 2.1 được bố trí từ nguồn nào?"
    await officer.send("/hoiso")
    (ask,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Gửi câu hỏi lên Sở" in ask.text
    await officer.send(question)
    (draft,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Tiêu chí 2.1" in draft.text and "Sở trả lời: Sở Tư pháp" in draft.text
    await officer.press("📨 Gửi lên Sở", message=draft)
    (sent,) = await officer.wait_messages(1, timeout=REPLY)
    assert "số phiếu #1" in sent.text
    (card,) = await stp.wait_messages(1, timeout=DELIVERY)
    assert "phiếu #1" in card.text and question in card.text

    # Sở Tư pháp reassigns it to Sở Tài chính with a reason.
    reason = "Nội dung về kinh phí thuộc Sở Tài chính"
    await stp.press("↪️ Chuyển Sở khác", message=card)
    (choose,) = await stp.wait_messages(1, timeout=REPLY)
    assert "Chuyển phiếu #1 cho Sở nào?" in choose.text
    assert "Sở Tài chính" in labels(choose) and "Sở Tư pháp" not in labels(choose)
    await stp.press("Sở Tài chính", message=choose)
    (ask_reason,) = await stp.wait_messages(1, timeout=REPLY)
    assert "lý do chuyển phiếu #1 sang Sở Tài chính" in ask_reason.text
    await stp.send(reason)
    (moved,) = await stp.wait_messages(1, timeout=REPLY)
    assert "Đã chuyển phiếu #1 sang Sở Tài chính" in moved.text

    (card_stc,) = await stc.wait_messages(1, timeout=DELIVERY)
    assert "Câu hỏi được chuyển đến Sở Tài chính — phiếu #1" in card_stc.text
    assert f"Lý do chuyển: Sở Tư pháp: {reason}" in card_stc.text and question in card_stc.text
    (notice,) = await officer.wait_messages(1, timeout=DELIVERY)
    assert "Phiếu #1 đã được chuyển sang Sở Tài chính" in notice.text
    ticket = await _ticket(factory)
    assert (ticket.department, ticket.status, ticket.route_count) == ("STC", "open", 2)

    # The old card is dead for Sở Tư pháp: the ticket is no longer theirs.
    before = len(stp.callback_answers)
    await stp.press("✍️ Trả lời", message=card)
    assert "không thuộc Sở của bạn" in await _alert(api, stp, before)

    # Sở Tài chính asks for more information; the officer's reply is appended and sent back.
    request = "Đơn vị đã rà soát bao nhiêu văn bản trong năm?"
    await stc.press("❓ Cần thêm thông tin", message=card_stc)
    (ask_info,) = await stc.wait_messages(1, timeout=REPLY)
    assert "cần cán bộ bổ sung cho phiếu #1" in ask_info.text
    await stc.send(request)
    (requested,) = await stc.wait_messages(1, timeout=REPLY)
    assert "Đã gửi yêu cầu bổ sung thông tin phiếu #1" in requested.text
    (info,) = await officer.wait_messages(1, timeout=DELIVERY)
    assert "Sở Tài chính cần thêm thông tin cho phiếu #1" in info.text
    assert f"Sở đề nghị: {request}" in info.text
    assert (await _ticket(factory)).awaiting_info
    await stc.send("/phieu")
    (listing,) = await stc.wait_messages(1, timeout=REPLY)
    assert "Phiếu chờ trả lời — Sở Tài chính" in listing.text
    assert "#1 · UBND huyện A" in listing.text and "chờ cán bộ bổ sung" in listing.text
    await stp.send("/phieu")
    (empty,) = await stp.wait_messages(1, timeout=REPLY)
    assert "Sở Tư pháp không còn phiếu nào chờ trả lời" in empty.text

    reply = "Đã rà soát 12 văn bản, kinh phí do phòng tự cân đối."
    await officer.press("✍️ Bổ sung thông tin", message=info)
    (ask_reply,) = await officer.wait_messages(1, timeout=REPLY)
    assert "thông tin bổ sung cho phiếu #1" in ask_reply.text
    await officer.send(reply)
    (replied,) = await officer.wait_messages(1, timeout=REPLY)
    assert "Đã gửi thông tin bổ sung phiếu #1 đến Sở Tài chính" in replied.text
    (appended,) = await stc.wait_messages(1, timeout=DELIVERY)
    assert "Cán bộ đã bổ sung thông tin" in appended.text and question in appended.text
    assert f"Cần thêm thông tin: {request}" in appended.text
    assert f"Thông tin bổ sung: {reply}" in appended.text
    assert "✍️ Trả lời" in labels(appended)
    assert not (await _ticket(factory)).awaiting_info

    # Sở Tài chính answers; the officer gets it from Sở Tài chính.
    answer = "Kinh phí rà soát bố trí trong dự toán chi thường xuyên của đơn vị."
    done = await _answer(stc, appended, answer)
    assert "Đã gửi câu trả lời phiếu #1 đến 1 người nhận" in done.text
    (relay,) = await officer.wait_messages(1, timeout=DELIVERY)
    assert "Sở Tài chính đã trả lời phiếu #1" in relay.text and answer in relay.text
    assert "Người trả lời: Anh Tài (Sở Tài chính)" in relay.text
    await officer.send("/phieu")
    (mine,) = await officer.wait_messages(1, timeout=REPLY)
    assert "#1 · Sở Tài chính · đã trả lời" in mine.text

    ticket = await _ticket(factory)
    assert (ticket.department, ticket.status, ticket.answer) == ("STC", "answered", answer)
    events = await _events(factory)
    assert [kind for kind, _ in events] == [
        "created",
        "reassigned",
        "more_info",
        "officer_reply",
        "answer",
    ]
    assert events[1][1] == f"STP → STC: {reason}"
    assert (events[2][1], events[3][1]) == (request, reply)

    _assert_private([stp, stc], [officer])
    _assert_private([officer], [stp, stc])
    assert await bot_process.stop() == 0
