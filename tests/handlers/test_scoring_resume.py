"""Resuming scoring after a process was killed between two conversation-state writes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person
from bot.services.people import add_unit
from handlers import texts
from handlers.texts import scoring as t
from tests.recording import Harness, Sent


def _msg(sent: list[Sent]) -> Sent:
    messages = [s for s in sent if s.method == "sendMessage"]
    assert messages, sent
    return messages[-1]


async def test_killed_between_data_and_state_write_resumes_at_the_step(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        session.add(Person(telegram_id=8101, display_name="Bình", role="officer",
                           unit_id=unit.id, department="TP", active=True))  # fmt: skip
    me = harness.user(8101, "Bình")
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button(t.BTN_CONTINUE)))
    confirm = _msg(await harness.press(me, step.button(t.BTN_YES)))
    assert t.BTN_SAVE in [label for label, _ in confirm.buttons]
    # "💾 Lưu" writes the data (pending answer cleared) and then the state; the process dies
    # after the first write: the stored state is still the confirmation, without its answer.
    context = harness.dp.fsm.get_context(harness.bot, chat_id=me.id, user_id=me.id)
    await context.update_data(pending=None)

    resumed = _msg(await harness.send(me, "/chamdiem"))
    assert texts.ERROR not in resumed.text
    assert t.RESUMED in resumed.text and "Tiêu chí 2.1" in resumed.text
    # Back at the question: answering it again goes on as usual.
    confirm = _msg(await harness.press(me, resumed.button(t.BTN_YES)))
    saved = _msg(await harness.press(me, confirm.button(t.BTN_SAVE)))
    assert "Đã lưu tiêu chí 2.1" in saved.text


async def test_killed_between_next_criterion_data_and_state_resumes_at_its_question(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        session.add(Person(telegram_id=8102, display_name="Chi", role="officer",
                           unit_id=unit.id, department="TP", active=True))  # fmt: skip
    me = harness.user(8102, "Chi")
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button(t.BTN_CONTINUE)))
    confirm = _msg(await harness.press(me, step.button(t.BTN_YES)))
    evidence = _msg(await harness.press(me, confirm.button(t.BTN_SAVE)))
    assert "Đã lưu tiêu chí 2.1" in evidence.text
    # "⏰ Bổ sung sau" moves to 2.2.1: its data is written, then the process dies before the
    # state: the stored state is still "evidence", now of 2.2.1, which has no answer yet.
    context = harness.dp.fsm.get_context(harness.bot, chat_id=me.id, user_id=me.id)
    await context.update_data(code="2.2.1")

    resumed = _msg(await harness.send(me, "/chamdiem"))
    assert texts.ERROR not in resumed.text
    assert "📌 <b>Tiêu chí thành phần 2.2.1</b>" in resumed.text and "📎" not in resumed.text
    confirm = _msg(await harness.press(me, resumed.button(t.BTN_YES)))
    saved = _msg(await harness.press(me, confirm.button(t.BTN_SAVE)))
    assert "Đã lưu tiêu chí thành phần 2.2.1" in saved.text
