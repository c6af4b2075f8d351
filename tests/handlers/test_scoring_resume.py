"""Resuming scoring where the officer really was: after a process was killed between two
conversation-state writes, and when an old overview's «▶️ Chấm tiếp» is pressed again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiogram.types import User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person
from bot.services.people import add_unit
from handlers import texts
from handlers.callbacks import ScoreCb
from handlers.texts import scoring as t
from tests.handlers.test_scoring import _answers
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


# --- «▶️ Chấm tiếp» pressed again on an old overview ----------------------------------------

ORDER = ["2.1", "2.2.1", "2.2.2", "2.3", "2.4", "2.5"]


@pytest.fixture
def h(stored_harness: Harness) -> Harness:
    return stored_harness


async def _officer(factory: async_sessionmaker[AsyncSession], telegram_id: int) -> None:
    async with factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        session.add(Person(telegram_id=telegram_id, display_name="Dung", role="officer",
                           unit_id=unit.id, department="TP", active=True))  # fmt: skip


async def _fsm(h: Harness, user_id: int) -> tuple[str | None, dict[str, Any]]:
    context = h.dp.fsm.get_context(h.bot, chat_id=user_id, user_id=user_id)
    return await context.get_state(), await context.get_data()


_CRITERION = re.compile(
    r"(?:📌 <b>|📎 <b>Tài liệu kiểm chứng — )[Tt]iêu chí(?: thành phần)? ([0-9]+(?:\.[0-9]+)*)"
)


def _criterion(screen: Sent) -> str:
    """The criterion a step screen asks about or collects evidence for."""
    found = _CRITERION.findall(screen.text)
    assert found, screen.text
    return str(found[-1])


# The buttons the resilience test's officers never press (tests/test_e2e_resilience.py).
_NAVIGATION = {
    t.BTN_BACK, t.BTN_SKIP, t.BTN_PAUSE, t.BTN_ASK, t.BTN_NA, t.BTN_NO, t.BTN_AGAIN,
    t.BTN_NO_EVIDENCE, t.BTN_DONE, t.BTN_PICK, t.BTN_MISSING, t.BTN_OVERVIEW,
}  # fmt: skip


async def _answer(h: Harness, me: User, screen: Sent) -> Sent:
    """One action on ``screen``, as the resilience test's officers act: save, evidence
    later, else the first answer button (yes, a tier), else a ratio typed."""
    labels = [label for label, _ in screen.buttons]
    choice = next((b for b in (t.BTN_SAVE, t.BTN_LATER) if b in labels), None)
    choice = choice or next((b for b in labels if b not in _NAVIGATION), None)
    if choice is None:
        return _msg(await h.send(me, "9/10"))
    return _msg(await h.press(me, dict(screen.buttons)[choice]))


async def test_continue_pressed_again_resumes_the_step_instead_of_skipping_it(
    h: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The overview's «▶️ Chấm tiếp» stays in the chat; its first reply lost (an error said
    instead), the officer presses it again. That press used to move on from the step the
    conversation was at: 2.1 was left unanswered behind, the officer met it again only after
    2.5, and a /chamdiem at that moment (the reply to 2.5's last press lost, or a restart)
    'resumed' at 2.1 with 5/6 answered — the resilience test's failure on PostgreSQL + Redis.
    Now it resumes the step, and the criteria come in their order."""
    await _officer(session_factory, 8103)
    me = h.user(8103, "Dung")
    overview = _msg(await h.send(me, "/chamdiem"))
    go = overview.button(t.BTN_CONTINUE)
    first = _msg(await h.press(me, go))
    assert _criterion(first) == "2.1"

    again = _msg(await h.press(me, go))
    assert t.RESUMED in again.text and _criterion(again) == "2.1", again.text
    assert (await _fsm(h, me.id))[1]["code"] == "2.1"

    shown, screen = ["2.1"], again
    for _ in range(30):
        screen = await _answer(h, me, screen)
        if t.ALL_DONE in screen.text:
            break
        if _criterion(screen) != shown[-1]:
            shown.append(_criterion(screen))
        # /chamdiem (after a restart) brings the officer back where the screen says.
        resumed = _msg(await h.send(me, "/chamdiem"))
        assert t.RESUMED in resumed.text and _criterion(resumed) == shown[-1], resumed.text
        screen = resumed
    assert shown == ORDER
    assert t.ALL_DONE in screen.text
    assert set(await _answers(session_factory)) == set(ORDER)


async def test_continue_on_an_old_overview_keeps_the_input_in_progress(
    h: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """An old «▶️ Chấm tiếp» pressed at a step with input given (a numerator typed), or
    after «⏸ Tạm dừng», brings the officer back to that step with the input kept; nothing
    is skipped."""
    await _officer(session_factory, 8104)
    me = h.user(8104, "Em")
    overview = _msg(await h.send(me, "/chamdiem"))
    go = overview.button(t.BTN_CONTINUE)
    aid = int(go.split(":")[2])
    opened = _msg(await h.press(me, ScoreCb(action="open", aid=aid, code="2.2.2").pack()))
    assert _criterion(opened) == "2.2.2"
    ask_den = _msg(await h.send(me, "7"))
    assert "Đã ghi tử số <b>7</b>" in ask_den.text

    back = _msg(await h.press(me, go))
    assert t.RESUMED in back.text and "Đã ghi tử số <b>7</b>" in back.text, back.text
    paused = _msg(await h.press(me, back.button(t.BTN_PAUSE)))
    assert "Đã tạm dừng" in paused.text
    back = _msg(await h.press(me, go))
    assert t.RESUMED in back.text and "Đã ghi tử số <b>7</b>" in back.text, back.text
    state, data = await _fsm(h, me.id)
    assert state == "ScoringFlow:waiting_denominator" and data["paused"] is None
    confirm = _msg(await h.send(me, "7"))
    assert "7/7" in confirm.text
    assert await _answers(session_factory) == {}

    # From the overview itself (no step in progress) it opens the first criterion to do.
    shown = _msg(await h.press(me, confirm.button(t.BTN_OVERVIEW)))
    step = _msg(await h.press(me, shown.button(t.BTN_CONTINUE)))
    assert t.RESUMED not in step.text and _criterion(step) == "2.1"
