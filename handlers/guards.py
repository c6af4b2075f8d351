"""Outer middlewares that guard every update before any handler, database or state work:
private chats only, and flood control per user."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update

from bot.resilience import mark_direct_replies
from handlers import texts

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _chat_of(update: Update) -> Chat | None:
    if update.message is not None:
        return update.message.chat
    if update.edited_message is not None:
        return update.edited_message.chat
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat
    if update.channel_post is not None or update.edited_channel_post is not None:
        post = update.channel_post or update.edited_channel_post
        return post.chat if post else None
    if update.my_chat_member is not None:
        return update.my_chat_member.chat
    if update.chat_member is not None:
        return update.chat_member.chat
    return None


class PrivateChatsOnly(BaseMiddleware):
    """The bot works in private chats only. In a group it answers a message (or a button
    press on one of its group messages) with one line asking to write to it privately, and
    does nothing else: no handler runs, nothing is read or stored."""

    def __init__(self, fallback_username: str) -> None:
        self.fallback_username = fallback_username

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        mark_direct_replies()
        chat = _chat_of(event)
        if chat is None or chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        bot: Bot = data["bot"]
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            await self._refuse(bot, event)
        log.info("Update %s from a %s chat ignored", event.update_id, chat.type)
        return None

    async def _notice(self, bot: Bot) -> str:
        try:
            username = (await bot.me()).username
        except Exception:
            username = None
        return texts.PRIVATE_ONLY.format(username=username or self.fallback_username)

    async def _refuse(self, bot: Bot, update: Update) -> None:
        message: Message | None = update.message
        query: CallbackQuery | None = update.callback_query
        if message is not None and message.from_user is not None and not _is_service(message):
            await message.reply(await self._notice(bot), parse_mode=None)
        elif query is not None:
            await query.answer(await self._notice(bot), show_alert=True)


def _is_service(message: Message) -> bool:
    """Members joining or leaving, title changes …: nobody asked the bot anything."""
    return not (
        message.text
        or message.caption
        or message.document
        or message.photo
        or message.sticker
        or message.voice
    )


@dataclass
class _Window:
    times: deque[float] = field(default_factory=deque)
    warned: bool = False


class FloodControl(BaseMiddleware):
    """At most ``limit`` messages and button presses per user within ``window`` seconds.

    Beyond that the user gets one friendly notice and then silence (the updates are dropped
    unanswered) until their window has room again. Dropped updates do not count.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._users: dict[int, _Window] = {}
        self._last_sweep = 0.0

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user = data.get("event_from_user")
        if (
            self.limit <= 0
            or user is None
            or (event.message is None and event.callback_query is None)
        ):
            return await handler(event, data)
        now = self.clock()
        self._sweep(now)
        state = self._users.setdefault(user.id, _Window())
        while state.times and now - state.times[0] >= self.window:
            state.times.popleft()
        if len(state.times) < self.limit:
            state.times.append(now)
            state.warned = False
            return await handler(event, data)
        if not state.warned:
            state.warned = True
            log.info("Flood control: user %s is over %s updates", user.id, self.limit)
            if event.message is not None:
                await event.message.answer(texts.FLOOD, parse_mode=None)
            elif event.callback_query is not None:
                await event.callback_query.answer(texts.FLOOD)
        return None

    def _sweep(self, now: float) -> None:
        """Forget users whose window is over (keeps memory bounded)."""
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for user_id in [
            uid
            for uid, w in self._users.items()
            if not w.times or now - w.times[-1] >= self.window
        ]:
            del self._users[user_id]
