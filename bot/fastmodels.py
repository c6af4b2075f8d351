"""The few aiogram models a reply is made of, built without validating what we made ourselves.

Each aiogram model built with its constructor goes through pydantic's validator: a "before"
model validator copying the keyword arguments (``remove_unset``), every field's check, and
``model_post_init`` wrapped once per class of its hierarchy (three to four nested calls, each
setting its private attributes again). A question's reply — up to six buttons, their
keyboard, the ``sendMessage`` method — paid that ~8 times (~50 µs, an eighth of a bare echo
update). Here such an instance is made as pydantic's validation leaves it (the same
``__dict__`` of every field with its default, the same extra and private attributes), from
values of the fields' own types that the bot itself produced (texts and callback data it
formatted, ints, models made here or validated). tests/test_fastmodels.py compares them with
the constructors' instances, field by field and as sent to Telegram.

Only models whose field defaults are immutable (None, a str, an aiogram ``Default``) are made
here: an instance's ``__dict__`` starts as a copy of a validated sample's.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__
_IMMUTABLE = (type(None), str, int, float, bool, Default)


class Template(Generic[M]):
    """Instances of ``cls`` made from a validated sample's state with some fields replaced."""

    def __init__(self, cls: type[M], **sample: Any) -> None:
        made = cls(**sample)
        state = dict(made.__dict__)
        for name, value in state.items():
            if name not in sample and not isinstance(value, _IMMUTABLE):
                raise TypeError(f"{cls.__name__}.{name}: a mutable default cannot be shared")
        if made.__pydantic_extra__:
            raise TypeError(f"{cls.__name__}: extra fields are not made here")
        self.cls = cls
        self.defaults = state
        self.private = dict(made.__pydantic_private__ or {})

    def make(self, values: dict[str, Any], bot: Bot | None = None) -> M:
        """An instance with ``values`` (of the fields' own types: they are not validated),
        mounted to ``bot`` (``as_(bot)``) when given."""
        made = _new(self.cls)
        state = self.defaults.copy()
        state.update(values)
        _set(made, "__dict__", state)
        _set(made, "__pydantic_fields_set__", set(values))
        _set(made, "__pydantic_extra__", {})
        private = self.private.copy()
        if bot is not None:
            private["_bot"] = bot
        _set(made, "__pydantic_private__", private)
        return made


_BUTTON = Template(InlineKeyboardButton, text="-", callback_data="-")
_MARKUP = Template(InlineKeyboardMarkup, inline_keyboard=[])
_SEND = Template(SendMessage, chat_id=0, text="-")


_BUTTON_STATE = _BUTTON.defaults
_BUTTON_PRIVATE = _BUTTON.private


def button(text: str, callback_data: str) -> InlineKeyboardButton:
    """``InlineKeyboardButton(text=text, callback_data=callback_data)`` (:meth:`Template.make`
    written out: a reply has up to six)."""
    made = _new(InlineKeyboardButton)
    state = _BUTTON_STATE.copy()
    state["text"] = text
    state["callback_data"] = callback_data
    _set(made, "__dict__", state)
    _set(made, "__pydantic_fields_set__", {"text", "callback_data"})
    _set(made, "__pydantic_extra__", {})
    _set(made, "__pydantic_private__", _BUTTON_PRIVATE.copy())
    return made


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """``InlineKeyboardMarkup(inline_keyboard=rows)`` (the rows are kept, not copied)."""
    return _MARKUP.make({"inline_keyboard": rows})


def answer(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> SendMessage:
    """``message.answer(text, reply_markup=reply_markup)``: the same method, for the same chat
    (and topic, and business connection), mounted to the message's bot."""
    values: dict[str, Any] = {"chat_id": message.chat.id, "text": text}
    if message.is_topic_message and message.message_thread_id is not None:
        values["message_thread_id"] = message.message_thread_id
    if message.business_connection_id is not None:
        values["business_connection_id"] = message.business_connection_id
    if reply_markup is not None:
        values["reply_markup"] = reply_markup
    return _SEND.make(values, message.bot)
