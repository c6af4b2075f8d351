"""bot/fastmodels.py makes the same instances as aiogram's constructors, and sends the same."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.methods import SendMessage
from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from pydantic import BaseModel

from bot import fastmodels
from bot.fastmodels import Template


def _same(made: BaseModel, built: BaseModel) -> None:
    assert type(made) is type(built)
    assert made == built
    assert made.__dict__ == built.__dict__
    assert made.__pydantic_extra__ == built.__pydantic_extra__
    assert made.__pydantic_private__ == built.__pydantic_private__
    assert made.model_dump() == built.model_dump()
    if not any(isinstance(v, Default) for v in built.__dict__.values()):
        assert made.model_dump_json() == built.model_dump_json()


def _form(bot: Bot, method: SendMessage) -> dict[str, Any]:
    session = AiohttpSession()
    form = session.build_form_data(bot, method)
    return {field[0]["name"]: field[2] for field in form._fields}


BOT = Bot(
    token="123456:" + "A" * 35,
    default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
)


def _message(**extra: Any) -> Message:
    return Message(
        message_id=7,
        date=datetime.now(UTC),
        chat=Chat(id=5, type="private"),
        from_user=User(id=5, is_bot=False, first_name="Lan"),
        text="thủ tục hành chính là gì",
        **extra,
    ).as_(BOT)


def test_a_button_and_a_keyboard_are_the_constructors_own() -> None:
    label = "Tiêu chí 3.4.1: Tỷ lệ hồ sơ…"
    made = fastmodels.button(label, "ask:c:3.4.1:12")
    built = InlineKeyboardButton(text=label, callback_data="ask:c:3.4.1:12")
    _same(made, built)
    rows = [[made], [fastmodels.button("👍", "ask:up:12"), fastmodels.button("👎", "ask:down:12")]]
    built_rows = [
        [built],
        [
            InlineKeyboardButton(text="👍", callback_data="ask:up:12"),
            InlineKeyboardButton(text="👎", callback_data="ask:down:12"),
        ],
    ]
    _same(fastmodels.keyboard(rows), InlineKeyboardMarkup(inline_keyboard=built_rows))
    _same(fastmodels.keyboard([]), InlineKeyboardMarkup(inline_keyboard=[]))


@pytest.mark.parametrize(
    "extra",
    [{}, {"message_thread_id": 9, "is_topic_message": True}, {"business_connection_id": "bc"}],
)
@pytest.mark.parametrize("with_markup", [False, True])
def test_an_answer_is_message_answer(extra: dict[str, Any], with_markup: bool) -> None:
    message = _message(**extra)
    markup = (
        InlineKeyboardMarkup(inline_keyboard=[[fastmodels.button("Mở", "ask:e:x")]])
        if with_markup
        else None
    )
    made = fastmodels.answer(message, "<b>Trả lời</b>", markup)
    built = message.answer("<b>Trả lời</b>", reply_markup=markup)
    _same(made, built)
    assert made.bot is BOT
    assert _form(BOT, made) == _form(BOT, built)


def test_a_thread_id_outside_a_topic_is_not_answered_in() -> None:
    message = _message(message_thread_id=9)  # a reply thread, not a forum topic
    made = fastmodels.answer(message, "x")
    _same(made, message.answer("x"))
    assert made.message_thread_id is None


def test_models_with_mutable_defaults_are_refused() -> None:
    class Holder(BaseModel):
        items: list[int] = []

    with pytest.raises(TypeError, match="mutable default"):
        Template(Holder)
