"""/chamdiem, honest: a lock seen on the very press and on /chamdiem (who, when, read-only
view), one callback answer per press, and the rules' edges as the officer meets them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Assessment, Person
from bot.services import assessments as svc
from handlers.callbacks import ScoreCb
from tests.handlers.test_scoring import _aid, _answers, _msg, _person
from tests.recording import Harness, Sent

LOCKED_AT = datetime(2021, 11, 16, 3, 5, tzinfo=UTC)  # 10:05 in Hà Nội
COORDINATOR = 77


def _answers_to_press(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.method == "answerCallbackQuery"]


async def _lock(
    factory: async_sessionmaker[AsyncSession], aid: int, *, reopen: bool = False
) -> None:
    async with factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        if reopen:
            await svc.reopen(session, assessment, COORDINATOR, LOCKED_AT)
        else:
            await svc.lock(session, assessment, COORDINATOR, LOCKED_AT)


async def test_lock_mid_step_is_said_on_the_press_and_on_chamdiem(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 10)
    async with session_factory() as session, session.begin():
        session.add(
            Person(telegram_id=COORDINATOR, display_name="Nguyễn Văn An", role="coordinator")
        )
    me = harness.user(10)
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    confirm = _msg(await harness.press(me, step.button("✅ Có")))
    assert "Điểm tự chấm: 1/1" in confirm.text
    aid = await _aid(session_factory)

    await _lock(session_factory, aid)

    # «💾 Lưu»: the one answer to the press is the lock notice; the overview follows.
    sent = await harness.press(me, confirm.button("💾 Lưu"))
    (answer,) = _answers_to_press(sent)
    assert answer.show_alert and "khóa" in answer.text and len(answer.text) <= 200
    shown = _msg(sent)
    assert "đã được khóa để nộp" in shown.text
    assert "Nguyễn Văn An" in shown.text and "10:05 16/11/2021" in shown.text
    assert "Điểm tự chấm" not in shown.text and "💾 Lưu" not in [b for b, _ in shown.buttons]
    assert await _answers(session_factory) == {}

    # /chamdiem: locked, by whom and when, and the read-only view — not the step.
    again = _msg(await harness.send(me, "/chamdiem"))
    assert "đã được khóa để nộp" in again.text and "Nguyễn Văn An" in again.text
    assert "Tiếp tục từ chỗ" not in again.text and "Điểm tự chấm" not in again.text
    sent = await harness.press(me, again.button("👁 Xem bản đã chấm"))
    (answer,) = _answers_to_press(sent)
    assert not answer.show_alert
    view = _msg(sent)
    assert "chỉ đọc" in view.text and "2.1" in view.text and "chưa chấm" in view.text

    # An old step button, or a figure typed at the step: still the lock, nothing saved.
    sent = await harness.press(me, step.button("✅ Có"))
    assert len(_answers_to_press(sent)) == 1 and _answers_to_press(sent)[0].show_alert
    typed = _msg(await harness.send(me, "9/10"))
    assert "Điểm tự chấm" not in typed.text
    assert await _answers(session_factory) == {}

    # Reopened: /chamdiem resumes at the step that was open when it was locked.
    await _lock(session_factory, aid, reopen=True)
    resumed = _msg(await harness.send(me, "/chamdiem"))
    assert "Tiếp tục từ chỗ bạn đã dừng" in resumed.text and "Tiêu chí 2.1" in resumed.text


async def test_every_press_gets_exactly_one_answer(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 11)
    me = harness.user(11)
    overview = _msg(await harness.send(me, "/chamdiem"))
    aid = await _aid(session_factory)
    presses = [
        overview.button("▶️ Chấm tiếp"),
        ScoreCb(action="ok", aid=aid, code="2.1").pack(),  # stale
        ScoreCb(action="go", aid=aid + 1).pack(),  # forged
        ScoreCb(action="pick", aid=aid).pack(),
    ]
    for data in presses:
        assert len(_answers_to_press(await harness.press(me, data))) == 1, data


async def test_not_applicable_shows_no_score_out_of_the_maximum(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 12)
    me = harness.user(12)
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    confirm = _msg(await harness.press(me, step.button("🚫 Không phát sinh")))
    assert "loại khỏi tổng điểm" in confirm.text
    assert "0/1" not in confirm.text
    saved = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    assert "Đã lưu tiêu chí 2.1: không phát sinh" in saved.text and "0/1" not in saved.text
    # The officer's area maximum drops by the excluded criterion: 5, as the export says.
    back = _msg(await harness.press(me, saved.button("📊 Tổng quan")))
    assert "1/6 tiêu chí · 0/5 điểm" in back.text


async def test_numbers_at_the_ratio_step(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 13, department="TCKH")
    me = harness.user(13)
    _msg(await harness.send(me, "/chamdiem"))
    aid = await _aid(session_factory)
    step = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="8.3.4").pack()))
    assert "Tiêu chí thành phần 8.3.4" in step.text
    # "1 234" is one number (thousands grouped by a space), never the ratio 1/234.
    den = _msg(await harness.send(me, "1 234"))
    assert "Đã ghi tử số <b>1.234</b>" in den.text
    back = _msg(await harness.press(me, den.button("⬅️ Quay lại")))
    bad = _msg(await harness.send(me, "97%"))
    assert "dấu «%»" in bad.text and "tự tính" in bad.text
    del back

    # 8.3.3 against a year with no new enterprise: more is an increase, 0 and 0 equal.
    step = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="8.3.3").pack()))
    confirm = _msg(await harness.send(me, "3/0"))
    assert "Điểm tự chấm: 1,5/1,5" in confirm.text, confirm.text
    again = _msg(await harness.press(me, confirm.button("🔁 Nhập lại")))
    confirm = _msg(await harness.send(me, "0/0"))
    assert "Điểm tự chấm: 1/1,5" in confirm.text, confirm.text
    del step, again


async def test_late_reports_are_capped_at_the_four_reports(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 14, department="NV")
    me = harness.user(14)
    _msg(await harness.send(me, "/chamdiem"))
    aid = await _aid(session_factory)
    _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="1.2").pack()))
    bad = _msg(await harness.send(me, "9"))
    assert "Nhiều nhất chỉ có 4 báo cáo gửi chậm hạn" in bad.text and "9" in bad.text
    assert await _answers(session_factory) == {}


async def test_cancel_then_chamdiem_resumes_a_two_part_criterion_at_its_part(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 15)
    me = harness.user(15)
    _msg(await harness.send(me, "/chamdiem"))
    aid = await _aid(session_factory)
    step = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="2.5").pack()))
    assert "Phần 1/2" in step.text
    part2 = _msg(await harness.press(me, step.button("✅ Có")))
    assert "Phần 2/2" in part2.text
    cancelled = _msg(await harness.send(me, "/huy"))
    assert "Đã hủy thao tác" in cancelled.text and "/chamdiem" in cancelled.text
    resumed = _msg(await harness.send(me, "/chamdiem"))
    assert "Tiếp tục từ chỗ bạn đã dừng" in resumed.text and "Phần 2/2" in resumed.text
    confirm = _msg(await harness.send(me, "9/10"))
    assert "tổng 1,5/1,5 điểm" in confirm.text  # part 1 (yes) kept across /huy


async def test_a_question_asked_before_the_lock_is_answered_then_the_lock_said(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 16)
    me = harness.user(16)
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    prompt = _msg(await harness.press(me, step.button("❓ Hỏi")))
    assert "gõ câu hỏi" in prompt.text
    await _lock(session_factory, await _aid(session_factory))
    replies = [s for s in await harness.send(me, "tiêu chí 3.4.1") if s.method == "sendMessage"]
    assert "Tiêu chí thành phần 3.4.1" in replies[0].text  # answered
    assert "đã được khóa để nộp" in replies[-1].text  # then the lock, not the step
    assert "Quay lại bước đang chấm" not in replies[-1].text
    # A step button of before the lock: the lock notice as the one answer.
    sent = await harness.press(me, step.button("❓ Hỏi"))
    (answer,) = _answers_to_press(sent)
    assert answer.show_alert and "khóa" in answer.text
