"""End to end: asking and browsing with the real bot process over HTTP (fake Bot API)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import QuestionLog
from bot.fakeapi import FakeBotAPI, SentMessage
from tests.e2e import BotProcess, labels, user_ids

pytestmark = pytest.mark.e2e


def _label(message: SentMessage, prefix: str) -> str:
    found = next((t for t in labels(message) if t.startswith(prefix)), None)
    assert found is not None, (prefix, labels(message))
    return found


async def test_question_answer_feedback_and_browsing(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await bot_process.start()
    (user_id,) = user_ids(1)
    user = api.user(user_id, first_name="Mai")

    # A question typed without diacritics gets the answer and the criterion card.
    await user.send("ty le ho so dung han tinh the nao")
    (answer,) = await user.wait_messages(1, timeout=15)
    assert "Tiêu chí thành phần 3.4.1" in answer.text
    assert "Điểm tối đa: 2,5" in answer.text
    assert "98 % đến dưới 100 %: 2 điểm" in answer.text
    await user.press("👍 Hữu ích", message=answer)
    await api.wait_until(lambda: bool(user.callback_answers), timeout=10)
    assert user.callback_answers[-1].text == "Cảm ơn bạn đã đánh giá!"
    async with session_factory() as session:
        row = (
            await session.execute(select(QuestionLog).where(QuestionLog.telegram_id == user_id))
        ).scalar_one()
        assert (row.decision, row.criterion_code, row.helpful) == ("answer", "3.4.1", True)

    # Browse: one message, edited in place, down to a leaf and back.
    await user.send("/tieuchi")
    (tree,) = await user.wait_messages(1, timeout=10)
    assert "8 lĩnh vực" in tree.text
    await user.press(_label(tree, "3. "), message=tree)
    (area,) = await user.wait_messages(1, timeout=10)
    assert area.message_id == tree.message_id and area.edited
    assert "Lĩnh vực 3: Cải cách thủ tục hành chính" in area.text
    await user.press(_label(area, "3.4. "), message=area)
    (group,) = await user.wait_messages(1, timeout=10)
    await user.press(_label(group, "3.4.1. "), message=group)
    (leaf,) = await user.wait_messages(1, timeout=10)
    assert leaf.message_id == tree.message_id
    assert "Tiêu chí thành phần 3.4.1" in leaf.text and "Điểm tối đa: 2,5" in leaf.text
    await user.press("❓ Câu hỏi thường gặp", message=leaf)
    (listed,) = await user.wait_messages(1, timeout=10)
    assert "Câu hỏi thường gặp về Tiêu chí thành phần 3.4.1" in listed.text
    first_question = listed.buttons[0][0][0]
    await user.press(first_question, message=listed)
    (opened,) = await user.wait_messages(1, timeout=10)
    assert opened.message_id != tree.message_id  # the answer comes as a new message
    assert "Tiêu chí thành phần 3.4.1" in opened.text  # the entry on 3.4.1, its card
    await user.press("⬅️ Về Tiêu chí thành phần 3.4.1", message=listed)
    (card,) = await user.wait_messages(1, timeout=10)
    await user.press("⬅️ Quay lại", message=card)
    (back,) = await user.wait_messages(1, timeout=10)
    assert "Tiêu chí 3.4:" in back.text

    assert await bot_process.stop() == 0
