"""Levels: a person without a unit (guest, Sở contact) chooses the level whose set they ask
and browse at (/capdo); the choice is remembered. Officers use their unit's level."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Person
from bot.errors import CchcError
from bot.services import years
from bot.services.years import SetYear
from criteria.loader import Catalogue
from handlers.callbacks import LevelCb
from handlers.keyboards import InlineKeyboardBuilder
from handlers.texts import levels as lt

router = Router(name=__name__)


@router.message(Command("capdo"))
async def choose_level(
    message: Message, catalogue: Catalogue, set_year: SetYear, person: Person | None
) -> None:
    if person is not None and person.unit is not None:
        await message.answer(
            lt.unit_level(person.unit.name, person.unit.kind, set_year.cset.title, set_year.year)
        )
        return
    levels = years.levels(catalogue)
    if len(levels) < 2:
        await message.answer(lt.ONLY_ONE_LEVEL)
        return
    kb = InlineKeyboardBuilder()
    for level in levels:
        current = level == set_year.cset.level
        kb.button(text=lt.level_button(level, current), callback_data=LevelCb(level=level))
    kb.adjust(1)
    await message.answer(
        lt.choose_level(set_year.cset.level, set_year.cset.title), reply_markup=kb.as_markup()
    )


@router.callback_query(LevelCb.filter(F.level))
async def level_picked(
    query: CallbackQuery,
    callback_data: LevelCb,
    session: AsyncSession,
    catalogue: Catalogue,
    person: Person | None,
    clock: Clock,
) -> None:
    if person is not None and person.unit is not None:
        await query.answer(lt.UNIT_LEVEL_FIXED, show_alert=True)
        return
    try:
        async with session.begin():
            chosen = await years.choose_level(
                session, catalogue, query.from_user.id, callback_data.level, clock.now()
            )
    except CchcError as exc:  # a forged or stale level: nothing stored
        await query.answer(exc.user_message, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(lt.level_chosen(callback_data.level, chosen.cset.title))
