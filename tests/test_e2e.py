"""End to end: the bot process talks HTTP to a local fake Bot API server."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person
from bot.fakeapi import FakeBotAPI
from bot.services.people import Role
from tests.e2e import TOKEN, BotProcess, invite_code, labels, user_ids

pytestmark = pytest.mark.e2e


async def test_start_menu_invite_and_question(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    code = await invite_code(session_factory, Role.OFFICER, "TP")
    await bot_process.start()
    commands = api.calls_of("setMyCommands")
    assert commands and "tieuchi" in str(commands[-1])

    guest_id, officer_id = user_ids(2)
    guest = api.user(guest_id, first_name="Lan")
    await guest.send("/start")
    (greeting,) = await guest.wait_messages(1, timeout=10)
    assert "Xin chào Lan" in greeting.text
    assert "Vai trò của bạn: Khách" in greeting.text
    assert "❓ Hỏi đáp" in labels(greeting) and "ℹ️ Trợ giúp" in labels(greeting)

    await guest.send("tiêu chí 3.4.1")
    (answer,) = await guest.wait_messages(1, timeout=10)
    assert "Tiêu chí thành phần 3.4.1" in answer.text
    assert "2,5" in answer.text

    officer = api.user(officer_id, first_name="Bình")
    await officer.send(f"/start {code}")
    registered, menu = await officer.wait_messages(2, timeout=10)
    assert "Đăng ký thành công" in registered.text and "UBND huyện A" in registered.text
    assert "Vai trò của bạn: Cán bộ" in menu.text
    async with session_factory() as session:
        person = (
            await session.execute(select(Person).where(Person.telegram_id == officer_id))
        ).scalar_one()
        assert (person.role, person.department) == ("officer", "TP")

    assert await bot_process.stop() == 0
    output = bot_process.output()
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output


async def test_conversation_survives_kill_9(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    code = await invite_code(session_factory, Role.COORDINATOR, "NV")
    await bot_process.start()
    (coordinator_id,) = user_ids(1)
    coordinator = api.user(coordinator_id, first_name="Hà")
    await coordinator.send(f"/start {code}")
    await coordinator.wait_messages(2, timeout=10)
    await coordinator.send("/moi")
    await coordinator.wait_messages(1, timeout=10)
    await coordinator.press("Cán bộ phòng chuyên môn")
    (departments,) = await coordinator.wait_messages(1, timeout=10)
    assert "Chọn phòng" in departments.text
    await api.wait_idle()

    bot_process.kill()  # kill -9: no chance to save anything on the way out
    await bot_process.start()

    await coordinator.press("Phòng Tư pháp", message=departments)
    (link,) = await coordinator.wait_messages(1, timeout=10)
    assert "https://t.me/TroLyCCHCBot?start=" in link.text
    assert await bot_process.stop() == 0
