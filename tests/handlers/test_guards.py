"""Guards before every handler: private chats only, flood control per user, and conversation
state that degrades (instead of failing every update) while Redis is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Chat
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.data import BotData
from bot.db.models import Assessment, FsmRecord, Invite, Person, QuestionLog
from bot.dedup import DatabaseClaims
from bot.resilience import FallbackClaims, ResilientStorage
from bot.settings import Settings
from handlers.callbacks import ScoreCb
from knowledge.search import SearchIndex
from tests.handlers.conftest import ADMIN_ID
from tests.handlers.test_scoring import _person
from tests.recording import Harness, Sent, build_harness

GROUP = Chat(id=-1001234567890, type="supergroup", title="Tổ CCHC huyện A")
SMALL_GROUP = Chat(id=-4242, type="group", title="Phòng Nội vụ")
NOW = datetime(2026, 11, 6, 3, 0, tzinfo=UTC)


async def _rows(factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    counts = {}
    async with factory() as session:
        for model in (Person, Invite, QuestionLog, Assessment, FsmRecord):
            query = select(func.count()).select_from(model)
            counts[model.__name__] = int(await session.scalar(query) or 0)
    return counts


def _only_private_notice(sent: list[Sent]) -> None:
    sent = [s for s in sent if s.method != "getMe"]  # the bot's username, asked once
    assert [s.method for s in sent] == ["sendMessage"], sent
    assert "trò chuyện riêng" in sent[0].text and "@TroLyCCHCBot" in sent[0].text
    assert "\n" not in sent[0].text


@pytest.mark.parametrize("chat", [GROUP, SMALL_GROUP], ids=["supergroup", "group"])
async def test_groups_get_one_line_and_nothing_else(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    await _person(session_factory, 31, role="coordinator", department="NV")
    await _person(session_factory, 32)
    before = await _rows(session_factory)
    admin, coordinator, officer = (harness.user(i) for i in (ADMIN_ID, 31, 32))

    for user, text in [
        (admin, "/moi"),
        (coordinator, "/tiendo"),
        (officer, "/chamdiem"),
        (officer, "/start"),
        (officer, "tiêu chí 3.4.1"),
    ]:
        _only_private_notice(await harness.send(user, text, chat=chat))

    # A button on a bot message in the group does nothing either.
    pressed = await harness.press(officer, ScoreCb(action="go", aid=1).pack(), chat=chat)
    pressed = [s for s in pressed if s.method != "getMe"]
    assert [s.method for s in pressed] == ["answerCallbackQuery"], pressed
    assert pressed[0].show_alert and "trò chuyện riêng" in pressed[0].text

    assert await _rows(session_factory) == before

    # The same people in private are served as before.
    menu = await harness.send(coordinator, "/moi")
    assert "Tạo đường dẫn mời" in menu[0].text


async def test_flood_gets_one_notice_then_silence_until_the_window_passes(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = FakeClock(NOW)
    limited = settings.model_copy(update={"flood_max_updates": 5, "flood_window_seconds": 10})
    harness = build_harness(limited, *shipped, session_factory, clock=clock)
    user, other = harness.user(41), harness.user(42)

    replies = [await harness.send(user, "tiêu chí 3.4.1") for _ in range(12)]
    assert all("Tiêu chí thành phần 3.4.1" in r[0].text for r in replies[:5])
    assert [s.text for s in replies[5]] == ["⏳ Bạn gửi nhanh quá, chậm lại một chút nhé."]
    assert replies[6:] == [[]] * 6
    # A button press in the same window is dropped too (the notice was already given).
    assert await harness.press(user, "zz:forged") == []
    # Only the first five were logged as questions.
    async with session_factory() as session:
        logged = await session.scalar(select(func.count()).select_from(QuestionLog))
    assert logged == 5

    # Somebody else is not slowed down by it.
    assert "Tiêu chí thành phần 3.4.1" in (await harness.send(other, "tiêu chí 3.4.1"))[0].text

    clock.advance(timedelta(seconds=11))
    again = await harness.send(user, "tiêu chí 3.4.1")
    assert "Tiêu chí thành phần 3.4.1" in again[0].text


class FlakyRedis(BaseStorage):
    """A storage that fails like an unreachable Redis while ``down``."""

    def __init__(self) -> None:
        self.inner = MemoryStorage()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        self._check()
        await self.inner.set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        self._check()
        return await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Any) -> None:
        self._check()
        await self.inner.set_data(key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        self._check()
        return await self.inner.get_data(key)

    async def close(self) -> None:
        await self.inner.close()


async def test_redis_down_keeps_stateless_commands_and_recovers(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    redis = FlakyRedis()
    now = [0.0]
    storage = ResilientStorage(redis, cooldown=5, clock=lambda: now[0])
    harness.dp.fsm.storage = storage
    await _person(session_factory, 51)
    officer = harness.user(51)

    redis.down = True
    answer = await harness.send(officer, "tiêu chí 3.4.1")
    assert "Tiêu chí thành phần 3.4.1" in answer[0].text
    browse = await harness.send(officer, "/tieuchi")
    assert browse[0].buttons, browse
    opened = await harness.press(officer, browse[0].buttons[0][1])
    assert any(s.method in ("editMessageText", "sendMessage") for s in opened), opened
    deadlines = await harness.send(officer, "/hanchot")
    assert "⚠️" not in deadlines[0].text and deadlines[0].text

    # Scoring needs the conversation state: a clear message, nothing started.
    scoring = await harness.send(officer, "/chamdiem")
    texts = [s.text for s in scoring if s.method == "sendMessage"]
    assert texts and "tạm thời không thể tiếp tục" in texts[-1], scoring
    # The button of a scoring step says the same.
    pressed = await harness.press(officer, ScoreCb(action="go", aid=1).pack())
    assert any("tạm thời không thể tiếp tục" in s.text for s in pressed), pressed

    # Redis is back: after the short pause the bot uses it again by itself.
    redis.down = False
    now[0] += 6
    overview = [s for s in await harness.send(officer, "/chamdiem") if s.method == "sendMessage"]
    assert "0/6 tiêu chí" in overview[-1].text
    step = await harness.press(officer, overview[-1].button("▶️ Chấm tiếp"))
    assert any("Tiêu chí 2.1" in s.text for s in step), step
    assert await redis.inner.get_state(StorageKey(bot_id=harness.bot.id, chat_id=51, user_id=51))


class DownClaims:
    async def claim(self, *args: Any) -> bool:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")


async def test_update_claims_fall_back_to_the_database_while_redis_is_down(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    claims = FallbackClaims(DownClaims(), DatabaseClaims())
    async with session_factory() as session, session.begin():
        assert await claims.claim(session, 42, 1001, NOW) is True
    async with session_factory() as session, session.begin():
        assert await claims.claim(session, 42, 1001, NOW) is False  # still handled once
