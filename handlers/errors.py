"""One error handler: domain errors become their message, others a polite apology."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import ErrorEvent

from bot.errors import CchcError
from bot.logs import traceback_without_messages
from handlers import texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    if isinstance(event.exception, CchcError):
        message = event.exception.user_message
    elif isinstance(event.exception, TelegramRetryAfter):
        # Telegram's flood limit outlasted the retries: nothing is broken, no traceback.
        log.warning(
            "Update %s: Telegram 429, retry after %s s; reply dropped",
            update.update_id,
            event.exception.retry_after,
        )
        return True
    else:
        # Frames and types only: an exception's message may quote what the user wrote.
        log.error(
            "Update %s failed: %s\n%s",
            update.update_id,
            type(event.exception).__name__,
            traceback_without_messages(event.exception),
        )
        message = texts.ERROR
    # The FSM state is deliberately left as it was: the user can retry the same step.
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(message[:200], show_alert=True)
        except TelegramBadRequest:
            # Answered already (a scoring step answers its press first, then saves): Telegram
            # refuses a second answer, so it is said in the chat instead: the pressed message's
            # (a full or an inaccessible message both know it), else the user's own private chat.
            chat_id = query.message.chat.id if query.message is not None else query.from_user.id
            await bot.send_message(chat_id, message, parse_mode=None)
    elif update.message is not None:
        await update.message.answer(message, parse_mode=None)
    return True
