"""Escalate journey through the real dispatcher: ask → ticket → answer → relay → resolve,
reassign, more information, similar tickets, forged callbacks, reminders and rulings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.data import BotData
from bot.db.models import (
    OutboxMessage,
    Person,
    RulingSuggestion,
    Ticket,
    TicketEvent,
    TicketFollower,
)
from bot.services import tickets as tickets_service
from bot.services.people import Role, add_unit
from bot.settings import Settings
from bot.storage import DatabaseStorage
from handlers.callbacks import MoveCb, RulingCb, TicketCb
from jobs.tickets import send_reminders
from knowledge.ask import build_set_index
from knowledge.search import SearchIndex
from tests.handlers.conftest import ADMIN_ID
from tests.recording import (
    Harness,
    build_harness,
    failing_clear,
    failing_commit_after,
    redis_storage,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_8 = datetime(2026, 11, 2, 8, 0, tzinfo=TZ)  # a Monday, 08:00 local

OFFICER, OFFICER_B, OTHER_UNIT = 11, 12, 13
CONTACT_STP, CONTACT_STC, CONTACT_SNV = 21, 22, 23
COORDINATOR = 31
QUESTION = "Văn bản quy phạm pháp luật ban hành trễ hạn thì tiêu chí 2.1 bị trừ mấy điểm?"


@dataclass
class World:
    h: Harness
    clock: FakeClock
    factory: async_sessionmaker[AsyncSession]
    index: SearchIndex
    data: BotData
    settings: Settings


@pytest.fixture
async def world(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[World]:
    shared, _ = shipped
    # A private copy: approving a ruling changes the index and entry map in place.
    data = BotData(catalogue=shared.catalogue, entries=shared.entries)
    index = build_set_index(data.catalogue, data.entries)
    clock = FakeClock(MONDAY_8)
    h = build_harness(settings, data, index, session_factory, clock)
    async with session_factory() as session, session.begin():
        unit_a = await add_unit(session, "huyen-a", "UBND huyện A")
        unit_b = await add_unit(session, "huyen-b", "UBND huyện B")
        people = [
            (OFFICER, "Nguyễn Văn Cán", Role.OFFICER, unit_a.id, "TP"),
            (OFFICER_B, "Trần Thị Bộ", Role.OFFICER, unit_a.id, "NV"),
            (OTHER_UNIT, "Lê Văn Khác", Role.OFFICER, unit_b.id, "TP"),
            (CONTACT_STP, "Phạm Đầu Mối", Role.CONTACT, None, "STP"),
            (CONTACT_STC, "Võ Tài Chính", Role.CONTACT, None, "STC"),
            (CONTACT_SNV, "Đỗ Nội Vụ", Role.CONTACT, None, "SNV"),
            (COORDINATOR, "Hoàng Điều Phối", Role.COORDINATOR, unit_a.id, "NV"),
        ]
        for tid, name, role, unit_id, dept in people:
            session.add(
                Person(
                    telegram_id=tid,
                    display_name=name,
                    role=role.value,
                    unit_id=unit_id,
                    department=dept,
                    active=True,
                )
            )
    yield World(h, clock, session_factory, index, data, settings)


async def _outbox(w: World, chat_id: int) -> list[OutboxMessage]:
    async with w.factory() as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id)
            .order_by(OutboxMessage.id)
        )
        return list((await session.execute(query)).scalars())


async def _ticket(w: World, ticket_id: int = 1) -> Ticket:
    async with w.factory() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def _events(w: World, ticket_id: int = 1) -> list[str]:
    async with w.factory() as session:
        query = select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
        return list((await session.execute(query.order_by(TicketEvent.id))).scalars())


async def _send_ticket(w: World, user: int = OFFICER, question: str = QUESTION) -> None:
    h = w.h
    sent = await h.send(h.user(user), "/hoiso")
    assert "Gửi câu hỏi lên Sở" in sent[0].text
    draft = await h.send(h.user(user), question)
    assert "Xem lại câu hỏi" in draft[-1].text
    sent = await h.press(h.user(user), draft[-1].button("📨 Gửi lên Sở"))
    assert "Đã gửi câu hỏi" in sent[-1].text, sent


async def _answer(w: World, contact: int, text: str, ticket_id: int = 1) -> str:
    h = w.h
    prompt = await h.press(h.user(contact), TicketCb(action="ans", id=ticket_id).pack())
    assert "Hãy gõ câu trả lời" in prompt[-1].text
    preview = await h.send(h.user(contact), text)
    assert "Xem lại câu trả lời" in preview[-1].text
    done = await h.press(h.user(contact), preview[-1].button("✅ Gửi trả lời"))
    return done[-1].text


async def test_ask_answer_relay_resolve(world: World) -> None:
    w, h = world, world.h
    await _send_ticket(w)
    ticket = await _ticket(w)
    assert (ticket.department, ticket.criterion_code, ticket.status) == ("STP", "2.1", "open")

    delivered = await _outbox(w, CONTACT_STP)
    assert len(delivered) == 1
    card = delivered[0].text
    assert "UBND huyện A" in card and "2.1" in card and "phiếu <b>#1</b>" in card
    assert "Nguyễn Văn Cán" not in card  # the officer's personal account is not shown
    assert await _outbox(w, CONTACT_STC) == []

    answer = "Theo hướng dẫn, mỗi văn bản ban hành trễ hạn bị trừ 0,25 điểm."
    assert "Đã gửi câu trả lời phiếu #1 đến 1 người nhận" in await _answer(w, CONTACT_STP, answer)
    relayed = (await _outbox(w, OFFICER))[-1]
    assert answer in relayed.text and "Sở Tư pháp" in relayed.text
    assert "Phạm Đầu Mối" in relayed.text  # the contact's display name, nothing more
    assert (await _ticket(w)).status == "answered"
    async with w.factory() as session:
        ruling = (await session.execute(select(RulingSuggestion))).scalar_one()
    assert ruling.status == "pending" and ruling.source.startswith("Trả lời của Sở Tư pháp ngày")

    # Another unit's officer cannot close it; the asker can.
    denied = await h.press(h.user(OTHER_UNIT), TicketCb(action="res", id=1).pack())
    assert denied[-1].show_alert and "không có quyền" in denied[-1].text
    done = await h.press(h.user(OFFICER), TicketCb(action="res", id=1).pack())
    assert "đã giải quyết" in done[-1].text
    assert (await _ticket(w)).status == "closed"

    # Follow-up reopens it with the whole history kept.
    await h.press(h.user(OFFICER), TicketCb(action="fu", id=1).pack())
    sent = await h.send(h.user(OFFICER), "Văn bản ban hành đúng hạn nhưng đăng công báo trễ?")
    assert "Đã mở lại phiếu #1" in sent[-1].text
    assert (await _ticket(w)).status == "open"
    assert "Cán bộ hỏi tiếp" in (await _outbox(w, CONTACT_STP))[-1].text
    assert await _events(w) == ["created", "answer", "resolved", "reopened"]


async def test_forged_callbacks_rejected(world: World) -> None:
    w, h = world, world.h
    await _send_ticket(w)
    # A contact of another Sở cannot answer, reassign or read the ticket.
    for action in ("ans", "mv", "inf", "f", "ok"):
        sent = await h.press(h.user(CONTACT_STC), TicketCb(action=action, id=1).pack())
        assert sent[-1].show_alert and "không thuộc Sở của bạn" in sent[-1].text, action
    sent = await h.press(h.user(CONTACT_STC), MoveCb(id=1, dept="STC").pack())
    assert sent[-1].show_alert
    # An officer cannot use the contact's buttons, nor a coordinator's review buttons.
    sent = await h.press(h.user(OFFICER), TicketCb(action="ans", id=1).pack())
    assert sent[-1].show_alert and "Trả lời" not in sent[-1].text
    # Confirming without having written an answer does nothing.
    sent = await h.press(h.user(CONTACT_STP), TicketCb(action="ok", id=1).pack())
    assert sent[-1].show_alert
    # A ticket that does not exist.
    sent = await h.press(h.user(CONTACT_STP), TicketCb(action="ans", id=99).pack())
    assert sent[-1].show_alert
    ticket = await _ticket(w)
    assert (ticket.status, ticket.department, ticket.answer) == ("open", "STP", None)
    assert await _events(w) == ["created"]
    # /phieu of the other Sở does not list it.
    listing = await h.send(h.user(CONTACT_STC), "/phieu")
    assert "#1" not in listing[-1].text
    listing = await h.send(h.user(CONTACT_STP), "/phieu")
    assert "<b>#1</b>" in listing[-1].text and "UBND huyện A" in listing[-1].text


async def test_reassign_then_more_info_round(world: World) -> None:
    w, h = world, world.h
    await _send_ticket(w)
    choose = await h.press(h.user(CONTACT_STP), TicketCb(action="mv", id=1).pack())
    sent = await h.press(h.user(CONTACT_STP), choose[-1].button("Sở Tài chính"))
    assert "lý do" in sent[-1].text
    sent = await h.send(h.user(CONTACT_STP), "Nội dung về kinh phí thuộc Sở Tài chính")
    assert "Đã chuyển phiếu #1 sang <b>Sở Tài chính</b>" in sent[-1].text
    ticket = await _ticket(w)
    assert (ticket.department, ticket.route_count) == ("STC", 2)
    moved = (await _outbox(w, CONTACT_STC))[-1].text
    assert "được chuyển đến" in moved and "kinh phí" in moved
    assert "Sở Tài chính" in (await _outbox(w, OFFICER))[-1].text
    # The old Sở can no longer act on it.
    sent = await h.press(h.user(CONTACT_STP), TicketCb(action="ans", id=1).pack())
    assert sent[-1].show_alert

    await h.press(h.user(CONTACT_STC), TicketCb(action="inf", id=1).pack())
    sent = await h.send(h.user(CONTACT_STC), "Đơn vị ban hành bao nhiêu văn bản trễ hạn?")
    assert "yêu cầu bổ sung" in sent[-1].text
    request = (await _outbox(w, OFFICER))[-1]
    assert "cần thêm thông tin" in request.text and "bao nhiêu văn bản" in request.text
    assert (await _ticket(w)).awaiting_info
    add = TicketCb(action="add", id=1).pack()
    assert request.reply_markup is not None and add in str(request.reply_markup)
    await h.press(h.user(OFFICER), add)
    sent = await h.send(h.user(OFFICER), "Hai văn bản, ban hành trễ 5 ngày.")
    assert "Đã gửi thông tin bổ sung phiếu #1 đến Sở Tài chính" in sent[-1].text
    back = (await _outbox(w, CONTACT_STC))[-1].text
    assert "đã bổ sung thông tin" in back and "Hai văn bản" in back
    assert not (await _ticket(w)).awaiting_info
    assert await _events(w) == ["created", "reassigned", "more_info", "officer_reply"]


async def test_similar_answered_ticket_is_followed(world: World) -> None:
    w, h = world, world.h
    await _send_ticket(w)
    await _answer(w, CONTACT_STP, "Trừ 0,25 điểm cho mỗi văn bản.")
    sent = await h.send(h.user(OTHER_UNIT), "/hoiso")
    draft = await h.send(h.user(OTHER_UNIT), QUESTION.replace("mấy", "bao nhiêu"))
    similar = await h.press(h.user(OTHER_UNIT), draft[-1].button("📨 Gửi lên Sở"))
    assert "đã được <b>Sở Tư pháp</b>" in similar[-1].text
    assert "Trừ 0,25 điểm" in similar[-1].text
    sent = await h.press(h.user(OTHER_UNIT), similar[-1].button("🔔 Theo dõi phiếu #1"))
    assert "đang theo dõi phiếu #1" in sent[-1].text
    async with w.factory() as session:
        follower = (await session.execute(select(TicketFollower))).scalar_one()
        count = len((await session.execute(select(Ticket))).scalars().all())
    assert (follower.ticket_id, follower.telegram_id, count) == (1, OTHER_UNIT, 1)
    # The follow-up answer reaches the follower too.
    await h.press(h.user(OFFICER), TicketCb(action="fu", id=1).pack())
    await h.send(h.user(OFFICER), "Còn văn bản cá biệt thì sao?")
    await _answer(w, CONTACT_STP, "Văn bản cá biệt không tính.")
    assert "bạn theo dõi" in (await _outbox(w, OTHER_UNIT))[-1].text


async def test_reminders_then_escalation_under_fake_clock(world: World) -> None:
    w = world
    await _send_ticket(w)
    args = (w.factory, w.settings, w.data.catalogue, w.clock)
    w.clock.set(MONDAY_8 + timedelta(days=1, hours=7))  # Tuesday 15:00: 15 working hours
    assert await send_reminders(*args) == 0
    w.clock.set(MONDAY_8 + timedelta(days=2))  # Wednesday 08:00: 16 working hours
    assert await send_reminders(*args) == 1
    assert await send_reminders(*args) == 0  # claimed once
    assert "Nhắc" in (await _outbox(w, CONTACT_STP))[-1].text
    assert await _outbox(w, CONTACT_SNV) == []
    w.clock.set(MONDAY_8 + timedelta(days=4))  # Friday 08:00: 32 working hours
    assert await send_reminders(*args) == 1
    escalated = (await _outbox(w, CONTACT_SNV))[-1].text
    assert "quá hạn" in escalated.lower() and "#1" in escalated
    assert any("quá hạn" in m.text.lower() for m in await _outbox(w, ADMIN_ID))
    assert await send_reminders(*args) == 0
    assert len(await _outbox(w, CONTACT_STP)) == 2  # the ticket, one reminder
    assert await _events(w) == ["created", "reminded", "escalated"]


async def test_working_hours_and_days_are_settings(world: World) -> None:
    """WORKING_HOURS and WORKING_DAYS reach the reminder job: with every hour of every day
    counting, a ticket sent on a Saturday night is reminded on Sunday afternoon."""
    w = world
    w.clock.set(datetime(2026, 11, 7, 22, 0, tzinfo=TZ))  # Saturday 22:00
    await _send_ticket(w)
    w.clock.set(datetime(2026, 11, 8, 14, 0, tzinfo=TZ))  # Sunday 14:00: 16 hours later
    always = w.settings.model_copy(update={"working_hours": "00:00-24:00", "working_days": "1-7"})
    assert await send_reminders(w.factory, w.settings, w.data.catalogue, w.clock) == 0
    assert await send_reminders(w.factory, always, w.data.catalogue, w.clock) == 1
    assert "Nhắc" in (await _outbox(w, CONTACT_STP))[-1].text


async def test_reminder_paused_while_waiting_for_officer(world: World) -> None:
    w, h = world, world.h
    await _send_ticket(w)
    await h.press(h.user(CONTACT_STP), TicketCb(action="inf", id=1).pack())
    await h.send(h.user(CONTACT_STP), "Cần số văn bản")
    w.clock.set(MONDAY_8 + timedelta(days=7))
    assert await send_reminders(w.factory, w.settings, w.data.catalogue, w.clock) == 0


async def test_ruling_approved_answers_at_once(world: World) -> None:
    w, h = world, world.h
    question = "Nghị quyết HĐND huyện về phí chợ có tính là văn bản QPPL khi chấm không?"
    await _send_ticket(w, question=question)
    await _answer(w, CONTACT_SNV, "Có, nghị quyết HĐND huyện là văn bản QPPL cấp huyện.")
    # An officer cannot review rulings.
    sent = await h.press(h.user(OFFICER), RulingCb(action="ok", id=1).pack())
    assert sent[-1].show_alert
    cards = await h.send(h.user(COORDINATOR), "/duyet")
    assert "Đề xuất bổ sung hỏi đáp số 1" in cards[-1].text
    done = await h.press(h.user(COORDINATOR), cards[-1].button("✅ Duyệt"))
    assert "Đã duyệt đề xuất số 1" in done[-1].text
    result = w.index.search(question)
    assert result.decision == "answer" and result.results[0].entry_id == "hs-1"
    reply = await h.send(h.user(OTHER_UNIT), question)
    assert "nghị quyết HĐND huyện là văn bản QPPL" in reply[0].text
    assert "Trả lời của Sở Nội vụ ngày" in reply[0].text
    again = await h.press(h.user(COORDINATOR), RulingCb(action="no", id=1).pack())
    assert again[-1].show_alert  # already reviewed


async def test_ask_button_prefills_draft(world: World) -> None:
    w, h = world, world.h
    reply = await h.send(h.user(OFFICER), "xyz qwerty không liên quan gì cả")
    button = reply[-1].button("📨 Gửi câu hỏi lên Sở")
    # Another user pressing the asker's button is refused.
    forged = await h.press(h.user(OTHER_UNIT), button)
    assert forged[-1].show_alert
    draft = await h.press(h.user(OFFICER), button)
    assert "xyz qwerty" in draft[-1].text and "Sở Nội vụ" in draft[-1].text
    edit = await h.press(h.user(OFFICER), draft[-1].button("🔖 Đổi tiêu chí"))
    assert "mã tiêu chí" in edit[-1].text
    bad = await h.send(h.user(OFFICER), "99.9")
    assert "Không có tiêu chí" in bad[-1].text
    draft = await h.send(h.user(OFFICER), "2.2.1")
    assert "Sở Tư pháp" in draft[-1].text
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "số phiếu <b>#1</b>" in sent[-1].text
    ticket = await _ticket(w)
    assert ticket.question_log_id is not None and ticket.criterion_code == "2.2.1"


async def test_department_without_contacts_goes_to_admins(world: World) -> None:
    w, h = world, world.h
    await h.send(h.user(OFFICER), "/hoiso")
    draft = await h.send(h.user(OFFICER), "Tiêu chí 7.1 chấm thế nào khi chưa có phần mềm?")
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "chưa có đầu mối" in sent[-1].text
    assert len(await _outbox(w, ADMIN_ID)) == 1
    # The admin may answer on the department's behalf.
    assert "1 người nhận" in await _answer(w, ADMIN_ID, "Chấm 0 điểm phần này.")


async def test_a_draft_ends_in_its_tickets_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the draft cannot be ended (the process dies, the storage fails) the ticket is not
    there either: pressing «Gửi lên Sở» again sends the question once, not twice."""
    h = world.h
    await h.send(h.user(OFFICER), "/hoiso")
    draft = await h.send(h.user(OFFICER), QUESTION)
    original = DatabaseStorage._execute
    failing = [True]

    async def execute(session: AsyncSession, row_key: str, record: Any) -> None:
        if failing and record.state is None:  # the draft's end
            failing.clear()
            raise ConnectionError("the storage went away")
        await original(session, row_key, record)

    monkeypatch.setattr(DatabaseStorage, "_execute", staticmethod(execute))
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "Xin lỗi" in sent[-1].text, sent
    async with world.factory() as session:
        assert (await session.execute(select(Ticket))).scalars().all() == []
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "Đã gửi câu hỏi" in sent[-1].text, sent
    async with world.factory() as session:
        assert len((await session.execute(select(Ticket))).scalars().all()) == 1
        cards = (await session.execute(select(OutboxMessage))).scalars().all()
    assert len(cards) == len({c.chat_id for c in cards}) >= 1


async def test_a_repeated_information_request_is_one_notice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contact's request for more information is stored and enqueued, then the request's
    end fails (the process dies, the storage fails): the contact, still asked for the request,
    types it again. The officer gets it once, the history holds it once; a different request
    in the same round is a second notice."""
    w, h = world, world.h
    await _send_ticket(w)
    await h.press(h.user(CONTACT_STP), TicketCb(action="inf", id=1).pack())
    original = DatabaseStorage._execute
    failing = [True]

    async def execute(session: AsyncSession, row_key: str, record: Any) -> None:
        if failing and record.state is None:  # the request's end
            failing.clear()
            raise ConnectionError("the storage went away")
        await original(session, row_key, record)

    monkeypatch.setattr(DatabaseStorage, "_execute", staticmethod(execute))
    request = "Đơn vị ban hành bao nhiêu văn bản trễ hạn?"
    assert "Xin lỗi" in (await h.send(h.user(CONTACT_STP), request))[-1].text
    assert "yêu cầu bổ sung" in (await h.send(h.user(CONTACT_STP), request))[-1].text
    notices = [m.text for m in await _outbox(w, OFFICER)]
    assert len(notices) == 1 and "bao nhiêu văn bản" in notices[0], notices
    assert await _events(w) == ["created", "more_info"]
    # Asking again the same way (another press, the same words) is still the same request.
    await h.press(h.user(CONTACT_STP), TicketCb(action="inf", id=1).pack())
    await h.send(h.user(CONTACT_STP), request)
    assert len(await _outbox(w, OFFICER)) == 1
    # Another request before the officer replied is a new one.
    await h.press(h.user(CONTACT_STP), TicketCb(action="inf", id=1).pack())
    await h.send(h.user(CONTACT_STP), "Và ngày ban hành của từng văn bản?")
    notices = [m.text for m in await _outbox(w, OFFICER)]
    assert len(notices) == 2 and "ngày ban hành" in notices[1], notices
    assert await _events(w) == ["created", "more_info", "more_info"]
    # After the officer's reply the same words are a new round's request, sent again.
    await h.press(h.user(OFFICER), TicketCb(action="add", id=1).pack())
    await h.send(h.user(OFFICER), "Hai văn bản, ban hành trễ 5 ngày.")
    await h.press(h.user(CONTACT_STP), TicketCb(action="inf", id=1).pack())
    await h.send(h.user(CONTACT_STP), request)
    assert len(await _outbox(w, OFFICER)) == 3


@pytest.fixture
async def redis_h(world: World) -> AsyncIterator[Harness]:
    """The world's bot with its conversation state in Redis (skipped without REDIS_URL)."""
    w = world
    async with redis_storage(w.factory) as storage:
        yield build_harness(w.settings, w.data, w.index, w.factory, w.clock, storage=storage)


async def _cards(w: World) -> tuple[int, list[tuple[int, int]]]:
    """How many tickets, and the (id, chat) of every message in the outbox."""
    async with w.factory() as session:
        count = len((await session.execute(select(Ticket))).scalars().all())
        cards = (await session.execute(select(OutboxMessage.id, OutboxMessage.chat_id))).all()
    return count, [(row.id, row.chat_id) for row in cards]


async def test_with_redis_a_failed_commit_keeps_the_draft(
    world: World, redis_h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft (in Redis) ends only after the ticket is committed: a commit that fails
    leaves the draft, and «Gửi lên Sở» pressed again sends the question once."""
    h = redis_h
    await h.send(h.user(OFFICER), "/hoiso")
    draft = await h.send(h.user(OFFICER), QUESTION)
    with failing_commit_after(monkeypatch, tickets_service, "create"):
        sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
        assert "Xin lỗi" in sent[-1].text, sent
        assert await _cards(world) == (0, [])
        sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
        assert "Xin lỗi" in sent[-1].text, sent  # the commit failed twice: still the draft
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "Đã gửi câu hỏi" in sent[-1].text, sent
    count, cards = await _cards(world)
    assert count == 1 and len(cards) == len({chat for _, chat in cards}) >= 1


async def test_with_redis_a_draft_left_after_its_ticket_sends_nothing_again(
    world: World, redis_h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ticket is committed, then the draft cannot be ended (the process is killed, Redis
    fails): pressing «Gửi lên Sở» again says it was sent, and makes no second ticket."""
    h = redis_h
    await h.send(h.user(OFFICER), "/hoiso")
    draft = await h.send(h.user(OFFICER), QUESTION)
    storage: Any = h.dp.storage
    failing_clear(monkeypatch, storage)
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "tạm thời không thể" in sent[-1].text, sent
    count, cards = await _cards(world)
    assert count == 1 and cards
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert "Đã gửi câu hỏi" in sent[-1].text and "#1" in sent[-1].text, sent
    assert await _cards(world) == (count, cards)
    key = StorageKey(bot_id=h.bot.id, chat_id=OFFICER, user_id=OFFICER)
    assert await storage.get_state(key) is None


async def _press_send_losing_the_race(
    w: World, h: Harness, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    """Draft a question, then press «Gửi lên Sở» while another press of the same draft makes
    its ticket between this press's look-up (none sent yet) and its insert."""
    await h.send(h.user(OFFICER), "/hoiso")
    draft = await h.send(h.user(OFFICER), QUESTION)
    original = tickets_service.sent_from
    raced: list[bool] = []

    async def sent_from(session: AsyncSession, draft_key: str | None) -> Any:
        found = await original(session, draft_key)
        if not raced:
            raced.append(True)
            assert found is None and draft_key
            async with w.factory() as other, other.begin():
                await tickets_service.create(
                    other,
                    question=QUESTION,
                    set_id="raced",
                    criterion_code=None,
                    unit_id=None,
                    asker_id=OFFICER,
                    department="STP",
                    now=w.clock.now(),
                    draft_key=draft_key,
                )
        return found

    monkeypatch.setattr(tickets_service, "sent_from", sent_from)
    sent = await h.press(h.user(OFFICER), draft[-1].button("📨 Gửi lên Sở"))
    assert raced
    return sent


@pytest.mark.parametrize("storage", ["database", "redis"])
async def test_a_press_losing_the_race_to_send_its_draft_says_it_was_sent(
    world: World, monkeypatch: pytest.MonkeyPatch, storage: str
) -> None:
    """Two quick presses of «Gửi lên Sở»: the one whose insert meets the other's ticket (the
    unique draft_key) is answered as a press after the ticket was sent, not with an error,
    and the draft ends."""
    w = world
    if storage == "database":
        sent = await _press_send_losing_the_race(w, w.h, monkeypatch)
        key_storage: Any = w.h.dp.storage
        bot_id = w.h.bot.id
    else:
        async with redis_storage(w.factory) as redis:
            h = build_harness(w.settings, w.data, w.index, w.factory, w.clock, storage=redis)
            sent = await _press_send_losing_the_race(w, h, monkeypatch)
            key = StorageKey(bot_id=h.bot.id, chat_id=OFFICER, user_id=OFFICER)
            assert await redis.get_state(key) is None
            key_storage, bot_id = None, 0
    assert "Xin lỗi" not in sent[-1].text, sent
    assert "Đã gửi câu hỏi" in sent[-1].text and "#1" in sent[-1].text, sent
    assert [s.method for s in sent].count("answerCallbackQuery") == 1, sent
    count, _ = await _cards(w)
    assert count == 1
    if key_storage is not None:
        key = StorageKey(bot_id=bot_id, chat_id=OFFICER, user_id=OFFICER)
        assert await key_storage.get_state(key) is None
