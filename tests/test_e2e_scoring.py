"""End to end: a department officer scores all their criteria over HTTP, through a pause, a
kill -9 of the bot, a resume at the same step, going back, and editing an answer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Evidence
from bot.fakeapi import FakeBotAPI, FakeUser, SentMessage
from bot.services.people import Role
from tests.e2e import BotProcess, invite_code, user_ids

pytestmark = pytest.mark.e2e


async def _press(user: FakeUser, message: SentMessage, prefix: str) -> SentMessage:
    """Press the first button of ``message`` whose text starts with ``prefix``; the reply."""
    data = next(
        (data for row in message.buttons for text, data in row if text.startswith(prefix)), None
    )
    assert data is not None, (prefix, message.buttons)
    await user.press(data, message=message)
    (reply,) = await user.wait_messages(1, timeout=10)
    return reply


async def _say(user: FakeUser, text: str) -> SentMessage:
    await user.send(text)
    (reply,) = await user.wait_messages(1, timeout=10)
    return reply


async def test_officer_scores_everything_across_a_restart(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    code = await invite_code(session_factory, Role.OFFICER, "TP")
    await bot_process.start()
    me = api.user(user_ids(1)[0], first_name="Bình")
    await me.send(f"/start {code}")
    _, menu = await me.wait_messages(2, timeout=10)
    assert "📝 Chấm điểm" in [text for row in menu.buttons for text, _ in row]

    overview = await _press(me, menu, "📝 Chấm điểm")
    assert "0/6 tiêu chí · 0/6 điểm" in overview.text

    # 2.1: yes, saved, one evidence item, done.
    step = await _press(me, overview, "▶️ Chấm tiếp")
    assert "Tiêu chí 2.1" in step.text
    confirm = await _press(me, step, "✅ Có")
    evidence = await _press(me, confirm, "💾 Lưu")
    assert "1/6 tiêu chí · 1/6 điểm" in evidence.text
    preview = await _say(me, "Danh mục văn bản QPPL số 12/DM-UBND ngày 05/11/2021")
    assert "Số: 12/DM-UBND" in preview.text
    got = await _press(me, preview, "✅ Đúng, lưu")
    assert "tổng 1 tài liệu" in got.text

    # 2.2.1: answer, then pause at the confirmation and kill the bot.
    step = await _press(me, got, "✅ Xong")
    assert "Tiêu chí thành phần 2.2.1" in step.text
    confirm = await _press(me, step, "✅ Có")
    assert "Điểm tự chấm: 0,5/0,5" in confirm.text
    paused = await _press(me, confirm, "⏸ Tạm dừng")
    assert "Đã tạm dừng" in paused.text
    await api.wait_idle()
    bot_process.kill()
    await bot_process.start()

    resumed = await _say(me, "/chamdiem")
    assert "Tiếp tục từ chỗ bạn đã dừng" in resumed.text
    assert "Điểm tự chấm: 0,5/0,5" in resumed.text
    evidence = await _press(me, resumed, "💾 Lưu")
    step = await _press(me, evidence, "⏰ Bổ sung sau")

    # 2.2.2: a ratio in one message.
    assert "Tiêu chí thành phần 2.2.2" in step.text
    confirm = await _say(me, "9/10")
    assert "0,5/1" in confirm.text
    evidence = await _press(me, confirm, "💾 Lưu")
    step = await _press(me, evidence, "✅ Xong")

    # 2.3: 0/0 saved, then back from the evidence step to correct it.
    assert "Tiêu chí 2.3" in step.text
    confirm = await _say(me, "0/0")
    evidence = await _press(me, confirm, "💾 Lưu")
    again = await _press(me, evidence, "⬅️ Quay lại")
    assert "Đã chấm: 1/1 điểm" in again.text
    confirm = await _say(me, "2/2")
    evidence = await _press(me, confirm, "💾 Lưu")
    step = await _press(me, evidence, "✅ Xong")

    # 2.4 tiers and 2.5 by parts.
    confirm = await _press(me, step, "Có kế hoạch nhưng báo cáo chậm")
    evidence = await _press(me, confirm, "💾 Lưu")
    step = await _press(me, evidence, "✍️ Không có")
    step = await _say(me, "Báo cáo gửi chậm 3 ngày do thay đổi nhân sự")
    assert "Tiêu chí 2.5" in step.text and "Phần 1/2" in step.text
    part2 = await _press(me, step, "✅ Có")
    confirm = await _say(me, "9/10")
    evidence = await _press(me, confirm, "💾 Lưu")
    done = await _press(me, evidence, "✅ Xong")
    assert "Bạn đã chấm xong tất cả tiêu chí" in done.text
    assert "6/6 tiêu chí · 5/6 điểm" in done.text
    del part2

    # Edit 2.2.2 from the list.
    listing = await _press(me, done, "📋 Chọn tiêu chí")
    step = await _press(me, listing, "✅ 2.2.2")
    assert "Đã chấm: 0,5/1 điểm" in step.text
    confirm = await _say(me, "10/10")
    evidence = await _press(me, confirm, "💾 Lưu")
    final = await _press(me, evidence, "✅ Xong")
    assert "6/6 tiêu chí · 5,5/6 điểm" in final.text

    async with session_factory() as session:
        rows = (await session.execute(select(Answer))).scalars().all()
        stored = {a.code: (a.points, a.evidence_status) for a in rows}
        evidence_rows = (await session.execute(select(Evidence))).scalars().all()
    assert stored == {
        "2.1": (Decimal(1), "ok"),
        "2.2.1": (Decimal("0.5"), "missing"),
        "2.2.2": (Decimal(1), "pending"),
        "2.3": (Decimal(1), "pending"),
        "2.4": (Decimal("0.5"), "explained"),
        "2.5": (Decimal("1.5"), "pending"),
    }
    assert sum(p for p, _ in stored.values()) == Decimal("5.5")
    assert [e.text for e in evidence_rows] == [
        "Danh mục văn bản QPPL số 12/DM-UBND ngày 05/11/2021"
    ]
    assert await bot_process.stop() == 0
