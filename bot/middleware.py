"""The one per-update middleware: a database session and the sender's identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people import effective_role, get_person


class SessionMiddleware(BaseMiddleware):
    """Opens one session per update and resolves who is writing.

    Handlers receive ``session``, ``person`` (or None) and ``role``. The identity read is
    committed at once so that handlers start their own ``session.begin()`` transactions.
    """

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], admin_ids: tuple[int, ...]
    ) -> None:
        self.session_factory = session_factory
        self.admin_ids = admin_ids

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        async with self.session_factory() as session:
            person = await get_person(session, user.id) if user else None
            await session.commit()
            data["session"] = session
            data["person"] = person
            data["role"] = effective_role(person, user.id if user else 0, self.admin_ids)
            return await handler(event, data)
