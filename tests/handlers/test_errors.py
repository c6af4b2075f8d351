"""The error handler: a press answered already is answered in a chat message instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import (
    CallbackQuery,
    Chat,
    ErrorEvent,
    InaccessibleMessage,
    Message,
    Update,
    User,
)

from bot.errors import CchcError
from handlers.errors import on_error
from tests.recording import BOT_USER, RecordingSession

USER = 77


class AnsweredAlready(RecordingSession):
    """Telegram refusing a second answer to a press."""

    async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if isinstance(method, AnswerCallbackQuery):
            self.requests.append(method)
            raise TelegramBadRequest(method, "query is too old or query ID is invalid")
        return await super().make_request(bot, method, timeout)


def _pressed_on(kind: str) -> Message | InaccessibleMessage | None:
    chat = Chat(id=USER, type="private")
    if kind == "message":
        return Message(
            message_id=5, date=datetime.now(UTC), chat=chat, from_user=BOT_USER, text="…"
        )
    if kind == "inaccessible":
        return InaccessibleMessage(chat=chat, message_id=5)
    return None


@pytest.mark.parametrize("kind", ["message", "inaccessible", "none"])
async def test_an_answered_press_is_told_in_the_users_chat(kind: str) -> None:
    session = AnsweredAlready()
    bot = Bot(token="123456:TEST-TOKEN", session=session)
    query = CallbackQuery(
        id="q1",
        from_user=User(id=USER, is_bot=False, first_name="Lan"),
        chat_instance="ci",
        message=_pressed_on(kind),
        data="x",
    ).as_(bot)
    update = Update(update_id=1, callback_query=query)
    event = ErrorEvent(update=update, exception=CchcError("Không lưu được."))
    assert await on_error(event, bot) is True
    sent = [m for m in session.requests if isinstance(m, SendMessage)]
    assert [(m.chat_id, m.text) for m in sent] == [(USER, "Không lưu được.")]
    assert sent[0].parse_mode is None

