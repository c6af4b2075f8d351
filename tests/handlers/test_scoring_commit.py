"""/chamdiem when a step's save fails, with the conversation state in the database or in
Redis (skipped without REDIS_URL): the step's move is written with its answer or evidence
(database) or only after they are committed (Redis), so that a failed commit leaves the
officer at the step before, told so (pressing again saves), and a Redis failure after the
commit leaves what was saved, the next press saving nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Evidence
from bot.resilience import ResilientStorage
from bot.services import scoring as store
from handlers.scoring.steps import ScoringFlow
from tests.handlers.test_scoring import _answers, _count, _msg, _person
from tests.recording import (
    Harness,
    Sent,
    failing_commit_after,
    failing_redis_write,
)

OFFICER = 30
REFERENCE = "Quyết định số 12/QĐ-UBND ngày 05/11/2021"


@pytest.fixture
def h(stored_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """The bot on either storage (tests/handlers/conftest.py); a second answer to a press is
    refused, as Telegram refuses it."""
    _refuse_second_answers(monkeypatch, stored_harness)
    return stored_harness


def _refuse_second_answers(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> None:
    session = harness.session
    original = session.make_request
    answered: set[str] = set()

    async def make_request(
        bot: Any,
        method: Any,
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        if isinstance(method, AnswerCallbackQuery):
            if method.callback_query_id in answered:
                session.requests.append(method)  # seen, and refused
                raise TelegramBadRequest(method, "query is too old or query ID is invalid")
            answered.add(method.callback_query_id)
        return await original(bot, method, timeout)

    monkeypatch.setattr(session, "make_request", make_request)


def _redis(h: Harness) -> None:
    if not isinstance(h.dp.storage, ResilientStorage):
        pytest.skip("Redis only: the database storage writes the step in its transaction")


def _said(sent: list[Sent]) -> str:
    """Everything the officer saw: messages, and the answer to the press Telegram took."""
    answers = [s for s in sent if s.method == "answerCallbackQuery"][:1]
    return "\n".join(
        s.text or "" for s in sent if s.method != "answerCallbackQuery" or s in answers
    )


async def _state(h: Harness) -> tuple[str | None, dict[str, Any]]:
    """The officer's conversation as the storage holds it."""
    storage: Any = h.dp.storage
    key = StorageKey(bot_id=h.bot.id, chat_id=OFFICER, user_id=OFFICER)
    return await storage.get_state(key), await storage.get_data(key)


async def _to_confirmation(h: Harness, factory: async_sessionmaker[AsyncSession]) -> Sent:
    await _person(factory, OFFICER)
    me = h.user(OFFICER)
    overview = _msg(await h.send(me, "/chamdiem"))
    step = _msg(await h.press(me, overview.button("▶️ Chấm tiếp")))
    confirm = _msg(await h.press(me, step.button("✅ Có")))
    assert "Điểm tự chấm: 1/1" in confirm.text
    return confirm


async def _to_preview(h: Harness, factory: async_sessionmaker[AsyncSession]) -> Sent:
    confirm = await _to_confirmation(h, factory)
    me = h.user(OFFICER)
    _msg(await h.press(me, confirm.button("💾 Lưu")))
    preview = _msg(await h.send(me, REFERENCE))
    assert "Số: <b>12/QĐ-UBND</b>" in preview.text
    return preview


async def _kept_once_when_pressed_again(
    h: Harness, factory: async_sessionmaker[AsyncSession], preview: Sent
) -> None:
    """The reference still waits in the preview: «✅ Đúng, lưu» pressed again says it is kept,
    and one item is stored."""
    assert (await _state(h))[1]["ev_pending"] == REFERENCE
    kept = _msg(await h.press(h.user(OFFICER), preview.button("✅ Đúng, lưu")))
    assert "Đã nhận văn bản" in kept.text and "(tổng 1 tài liệu)" in kept.text
    assert await _count(factory, Evidence) == 1
    assert (await _state(h))[1]["ev_pending"] is None


async def test_a_failed_commit_of_the_answer_leaves_the_confirmation(
    h: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The move to the evidence step reaches Redis only with the answer: a commit that fails
    leaves the officer at the confirmation, and «💾 Lưu» pressed again saves."""
    confirm = await _to_confirmation(h, session_factory)
    with failing_commit_after(monkeypatch, store, "save_answer"):
        sent = await h.press(h.user(OFFICER), confirm.button("💾 Lưu"))
    assert "Thao tác đang làm dở vẫn được giữ" in _said(sent), sent
    assert await _answers(session_factory) == {}
    state, data = await _state(h)
    assert state == ScoringFlow.waiting_confirmation.state and data["pending"], data
    saved = _msg(await h.press(h.user(OFFICER), confirm.button("💾 Lưu")))
    assert "Đã lưu tiêu chí 2.1: 1/1 điểm" in saved.text
    assert set(await _answers(session_factory)) == {"2.1"}
    assert (await _state(h))[0] == ScoringFlow.waiting_evidence.state


async def test_redis_lost_after_the_answer_is_committed(
    h: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer is committed, then Redis fails: the answer stays saved, and «💾 Lưu» pressed
    again (the confirmation is where Redis left the officer) saves it once more, no second
    row, and moves on."""
    _redis(h)
    confirm = await _to_confirmation(h, session_factory)
    failing_redis_write(monkeypatch, h.dp.storage)  # type: ignore[arg-type]
    sent = await h.press(h.user(OFFICER), confirm.button("💾 Lưu"))
    assert "tạm thời không thể" in _msg(sent).text, sent
    assert set(await _answers(session_factory)) == {"2.1"}
    assert (await _state(h))[0] == ScoringFlow.waiting_confirmation.state
    saved = _msg(await h.press(h.user(OFFICER), confirm.button("💾 Lưu")))
    assert "Đã lưu tiêu chí 2.1: 1/1 điểm" in saved.text
    assert "Tài liệu kiểm chứng — tiêu chí 2.1" in saved.text
    assert await _count(session_factory, Answer) == 1
    assert (await _state(h))[0] == ScoringFlow.waiting_evidence.state


async def test_a_failed_commit_of_evidence_keeps_the_preview(
    h: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reference confirmed while the commit fails is still waiting to be confirmed: «✅
    Đúng, lưu» pressed again keeps it, once."""
    preview = await _to_preview(h, session_factory)
    with failing_commit_after(monkeypatch, store, "add_evidence"):
        sent = await h.press(h.user(OFFICER), preview.button("✅ Đúng, lưu"))
    assert "Thao tác đang làm dở vẫn được giữ" in _said(sent), sent
    assert await _count(session_factory, Evidence) == 0
    await _kept_once_when_pressed_again(h, session_factory, preview)


async def test_redis_lost_after_evidence_is_committed(
    h: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reference is committed, then Redis fails: it stays saved, and «✅ Đúng, lưu»
    pressed again (Redis still holds the preview) says it is kept without keeping it twice."""
    _redis(h)
    preview = await _to_preview(h, session_factory)
    failing_redis_write(monkeypatch, h.dp.storage)  # type: ignore[arg-type]
    sent = await h.press(h.user(OFFICER), preview.button("✅ Đúng, lưu"))
    assert "tạm thời không thể" in _msg(sent).text, sent
    assert await _count(session_factory, Evidence) == 1
    await _kept_once_when_pressed_again(h, session_factory, preview)


async def test_a_failed_commit_of_the_explanation_asks_it_again(
    h: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An explanation whose commit fails is asked again: typed again, it is saved and the
    officer moves on."""
    me = h.user(OFFICER)
    confirm = await _to_confirmation(h, session_factory)
    evidence = _msg(await h.press(me, confirm.button("💾 Lưu")))
    _msg(await h.press(me, evidence.button("✍️ Không có")))
    explanation = "Không ban hành văn bản nào trong năm đánh giá"
    with failing_commit_after(monkeypatch, store, "set_explanation"):
        sent = await h.send(me, explanation)
    assert "Thao tác đang làm dở vẫn được giữ" in _said(sent), sent
    assert (await _answers(session_factory))["2.1"].explanation_text is None
    assert (await _state(h))[0] == ScoringFlow.waiting_explanation.state
    step = _msg(await h.send(me, explanation))
    assert "Đã lưu giải trình" in step.text and "Tiêu chí thành phần 2.2.1" in step.text
    assert (await _answers(session_factory))["2.1"].explanation_text == explanation


async def test_redis_lost_after_evidence_later_is_committed(
    h: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """«⏰ Bổ sung sau» saved, then Redis fails: pressed again, it changes nothing more (one
    answer, evidence still for later) and moves on."""
    _redis(h)
    me = h.user(OFFICER)
    confirm = await _to_confirmation(h, session_factory)
    evidence = _msg(await h.press(me, confirm.button("💾 Lưu")))
    failing_redis_write(monkeypatch, h.dp.storage)  # type: ignore[arg-type]
    sent = await h.press(me, evidence.button("⏰ Bổ sung sau"))
    assert "tạm thời không thể" in _msg(sent).text, sent
    assert (await _answers(session_factory))["2.1"].evidence_status == "missing"
    assert (await _state(h))[0] == ScoringFlow.waiting_evidence.state
    step = _msg(await h.press(me, evidence.button("⏰ Bổ sung sau")))
    assert "tiêu chí 2.1 sẽ bổ sung tài liệu kiểm chứng sau" in step.text
    assert "Tiêu chí thành phần 2.2.1" in step.text
    assert await _count(session_factory, Answer) == 1
