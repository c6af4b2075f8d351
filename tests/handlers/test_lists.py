"""Lists you act on: /phieu (contacts) — each open ticket a button with its age and unit,
paged, opening the card with answer / ask for more / reassign."""

from __future__ import annotations

from datetime import timedelta

from bot.services import tickets
from bot.services.people import get_unit
from handlers.callbacks import TicketCb, TicketPageCb
from tests.handlers.test_tickets import (
    CONTACT_STC,
    CONTACT_STP,
    OFFICER,
    QUESTION,
    World,
    _send_ticket,
    world,  # noqa: F401 - the fixture
)

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
