"""Lists you act on: /phieu (contacts) — each open ticket a button with its age and unit,
paged, opening the card with answer / ask for more / reassign; /phieu (officers) — each of
their tickets a button opening its question, state and answer, with what they can do next."""

from __future__ import annotations

from datetime import timedelta

from bot.services import tickets
from bot.services.people import get_unit
from handlers.callbacks import MyTicketsCb, TicketCb, TicketPageCb
from tests.handlers.test_tickets import (
    CONTACT_STC,
    CONTACT_STP,
    OFFICER,
    OFFICER_B,
    OTHER_UNIT,
    QUESTION,
    World,
    _answer,
    _send_ticket,
    world,  # noqa: F401 - the fixture
)
from tests.recording import Sent

# ruff: noqa: F811 - pytest injects the imported fixture by name


async def test_phieu_lists_tickets_as_buttons_that_open_the_card(world: World) -> None:
    w, h = world, world.h
    await _send_ticket(w)
    w.clock.advance(timedelta(hours=3))
    (listing,) = await h.send(h.user(CONTACT_STP), "/phieu")
    assert "Sở Tư pháp" in listing.text and "1 phiếu" in listing.text
    labels = [t for t, _ in listing.buttons]
    assert labels == ["#1 · UBND huyện A · 3 giờ trước"]
    opened = await h.press(h.user(CONTACT_STP), listing.button("#1"))
    card = next(s for s in opened if s.method == "sendMessage")
    assert "phiếu <b>#1</b>" in card.text and "UBND huyện A" in card.text
    assert QUESTION.split(" thì")[0] in card.text
    actions = [t for t, _ in card.buttons]
    assert any("Trả lời" in t for t in actions)
    assert any("Chuyển" in t for t in actions) and any("thêm" in t for t in actions)
    # The card's answer button works like the notification's.
    prompt = await h.press(h.user(CONTACT_STP), card.button(actions[0]))
    assert "Hãy gõ câu trả lời" in prompt[-1].text


async def test_phieu_buttons_are_checked_and_paged(world: World) -> None:
    w, h = world, world.h
    async with w.factory() as session, session.begin():
        unit = await get_unit(session, "huyen-a")
        assert unit is not None
        for n in range(10):
            await tickets.create(
                session,
                question=f"Câu hỏi số {n + 1}",
                set_id="huyen-2021",
                criterion_code=None,
                unit_id=unit.id,
                asker_id=OFFICER,
                department="STP",
                now=w.clock.now(),
            )
    (first,) = await h.send(h.user(CONTACT_STP), "/phieu")
    assert "10 phiếu" in first.text and "Trang 1/2" in first.text
    labels = [t for t, _ in first.buttons]
    assert labels[-1] == "▶" and len(labels) == 9
    second = await h.press(h.user(CONTACT_STP), first.button("▶"))
    page = next(s for s in second if s.method == "sendMessage")
    assert "Trang 2/2" in page.text and [t for t, _ in page.buttons][-1] == "◀"
    assert "#9" in page.text and "#10" in page.text
    gone = await h.press(h.user(CONTACT_STP), TicketPageCb(page=5).pack())
    assert gone[-1].show_alert
    # Another Sở's contact cannot open this Sở's ticket with a forged button.
    forged = await h.press(h.user(CONTACT_STC), TicketCb(action="v", id=1).pack())
    assert forged[-1].show_alert and not any(s.method == "sendMessage" for s in forged)
    # An officer cannot page the contacts' list.
    officer = await h.press(h.user(OFFICER), TicketPageCb(page=0).pack())
    assert officer[-1].show_alert


def _shown(sent: list[Sent]) -> Sent:
    (message,) = [s for s in sent if s.method == "sendMessage"]
    return message


async def test_officer_phieu_opens_each_ticket_with_what_to_do_next(world: World) -> None:
    w, h = world, world.h
    officer = h.user(OFFICER)
    await _send_ticket(w)
    (listing,) = await h.send(officer, "/phieu")
    assert "Phiếu hỏi Sở của bạn và đơn vị</b>: 1 phiếu" in listing.text
    assert "#1</b> · Sở Tư pháp · đang chờ trả lời" in listing.text
    assert [t for t, _ in listing.buttons] == ["⏳ #1 · Văn bản quy phạm pháp luật ban…"]

    # Open, not answered yet: the question and its criterion, nothing to do but wait.
    card = _shown(await h.press(officer, listing.button("⏳ #1")))
    assert "<b>Phiếu #1</b> · ⏳ đang chờ trả lời" in card.text
    assert "Gửi <b>Sở Tư pháp</b> ngày 02/11/2026 · UBND huyện A" in card.text
    assert "🔖 <b>Tiêu chí 2.1</b>:" in card.text
    assert QUESTION.split(" thì")[0] in card.text and "Sở chưa trả lời" in card.text
    assert [t for t, _ in card.buttons] == ["« Danh sách phiếu"]

    # The Sở asks for more: the card says what, and its button asks for the reply.
    await h.press(h.user(CONTACT_STP), TicketCb(action="inf", id=1).pack())
    await h.send(h.user(CONTACT_STP), "Đơn vị ban hành bao nhiêu văn bản trễ hạn?")
    card = _shown(await h.press(officer, TicketCb(action="my", id=1).pack()))
    assert "chờ bạn bổ sung thông tin" in card.text
    assert "Sở đề nghị bổ sung:</b> Đơn vị ban hành bao nhiêu văn bản trễ hạn?" in card.text
    assert [t for t, _ in card.buttons] == ["✍️ Bổ sung thông tin", "« Danh sách phiếu"]
    prompt = _shown(await h.press(officer, card.button("✍️ Bổ sung thông tin")))
    assert "thông tin bổ sung cho phiếu #1" in prompt.text
    await h.send(officer, "Hai văn bản, ban hành trễ 5 ngày.")

    # Answered: the answer, who gave it, and resolve / follow up.
    await _answer(w, CONTACT_STP, "Trừ 0,5 điểm cho mỗi văn bản <trễ hạn>.")
    (listing,) = await h.send(officer, "/phieu")
    assert [t for t, _ in listing.buttons] == ["💬 #1 · Văn bản quy phạm pháp luật ban…"]
    card = _shown(await h.press(officer, listing.button("💬 #1")))
    assert "<b>Phiếu #1</b> · 💬 đã trả lời" in card.text
    assert "💬 <b>Trả lời ngày 02/11/2026</b> — Phạm Đầu Mối:" in card.text
    assert "Trừ 0,5 điểm cho mỗi văn bản &lt;trễ hạn&gt;." in card.text
    labels = [t for t, _ in card.buttons]
    assert labels == ["✅ Đã giải quyết", "↩️ Hỏi tiếp", "« Danh sách phiếu"]
    done = _shown(await h.press(officer, card.button("✅ Đã giải quyết")))
    assert "đã giải quyết" in done.text
    card = _shown(await h.press(officer, TicketCb(action="my", id=1).pack()))
    assert "✅ đã giải quyết" in card.text
    assert [t for t, _ in card.buttons] == ["↩️ Hỏi tiếp", "« Danh sách phiếu"]
    back = _shown(await h.press(officer, card.button("« Danh sách phiếu")))
    assert "✅ <b>#1</b> · Sở Tư pháp · đã giải quyết" in back.text
    # Asked again: the earlier answer, then the follow-up, waiting for the Sở.
    prompt = _shown(await h.press(officer, card.button("↩️ Hỏi tiếp")))
    assert "câu hỏi tiếp theo cho phiếu #1" in prompt.text
    await h.send(officer, "Văn bản trễ dưới 3 ngày có bị trừ không?")
    card = _shown(await h.press(officer, TicketCb(action="my", id=1).pack()))
    assert "⏳ đang chờ trả lời" in card.text and "Sở chưa trả lời" in card.text
    earlier = card.text.index("💬 <b>Trả lời trước ngày 02/11/2026</b>")
    assert earlier < card.text.index("↩️ <b>Hỏi tiếp:</b> Văn bản trễ dưới 3 ngày")
    assert [t for t, _ in card.buttons] == ["« Danh sách phiếu"]
    # A colleague of the same unit sees and opens it too; another unit's officer cannot.
    colleague = _shown(await h.press(h.user(OFFICER_B), TicketCb(action="my", id=1).pack()))
    assert "<b>Phiếu #1</b>" in colleague.text


async def test_officer_phieu_is_paged_and_checked(world: World) -> None:
    w, h = world, world.h
    async with w.factory() as session, session.begin():
        unit = await get_unit(session, "huyen-a")
        assert unit is not None
        for n in range(10):
            await tickets.create(
                session,
                question=f"Câu hỏi số {n + 1}",
                criterion_code=None,
                unit_id=unit.id,
                asker_id=OFFICER,
                department="STP",
                set_id="huyen-2021",
                now=w.clock.now(),
            )
    officer = h.user(OFFICER)
    (first,) = await h.send(officer, "/phieu")
    assert "10 phiếu" in first.text and "Trang 1/2" in first.text
    labels = [t for t, _ in first.buttons]
    assert labels[0].startswith("⏳ #10 ") and labels[-1] == "▶" and len(labels) == 9
    second = _shown(await h.press(officer, first.button("▶")))
    assert "Trang 2/2" in second.text and "#2</b>" in second.text and "#1</b>" in second.text
    assert [t for t, _ in second.buttons][-1] == "◀"
    gone = await h.press(officer, MyTicketsCb(page=5).pack())
    assert gone[-1].show_alert and "Trang này không còn" in gone[-1].text
    # Forged buttons: another unit's officer, a contact, a guest.
    for user in (OTHER_UNIT, CONTACT_STP, 77):
        forged = await h.press(h.user(user), TicketCb(action="my", id=3).pack())
        assert forged[-1].show_alert and not any(s.method == "sendMessage" for s in forged)
    (empty,) = await h.send(h.user(OTHER_UNIT), "/phieu")
    assert "chưa có phiếu hỏi Sở nào" in empty.text and empty.buttons == []
