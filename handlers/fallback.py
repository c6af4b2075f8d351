"""Last router: whatever no other router took."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from handlers import texts

router = Router(name=__name__)


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(texts.UNKNOWN_COMMAND)


@router.message()
async def not_text(message: Message) -> None:
    await message.answer(texts.NOT_TEXT)


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(texts.STALE_BUTTON, show_alert=True)
