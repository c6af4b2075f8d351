"""Operators' commands, for admins only; anyone else gets the unknown-command reply."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services import status as status_service
from bot.services.people import Role
from bot.settings import Settings
from handlers.filters import RoleFilter
from handlers.texts import ops as texts

router = Router(name=__name__)
router.message.filter(RoleFilter(Role.ADMIN))


@router.message(Command("trangthai"))
async def show_status(
    message: Message,
    session_factory: async_sessionmaker[AsyncSession],
    fsm_storage: Any,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock.now()
    report = await status_service.collect(session_factory, fsm_storage, now=now)
    await message.answer(texts.status(report, settings.tz, now))
