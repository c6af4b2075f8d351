"""Start, invite registration, main menu, help and cancel."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services import people
from bot.services.people import Role
from criteria.loader import Catalogue
from handlers import texts
from handlers.callbacks import MenuCb
from handlers.filters import STAFF
from handlers.texts import scoring as scoring_texts
from handlers.texts.deadlines import BTN_DEADLINES

router = Router(name=__name__)


def main_menu(role: Role) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_ASK, callback_data=MenuCb(action="ask"))
    kb.button(text=texts.BTN_BROWSE, callback_data=MenuCb(action="browse"))
    kb.button(text=BTN_DEADLINES, callback_data=MenuCb(action="deadlines"))
    kb.button(text=texts.BTN_HELP, callback_data=MenuCb(action="help"))
    if role in STAFF:
        kb.button(text=scoring_texts.BTN_SCORE, callback_data=MenuCb(action="score"))
    kb.adjust(2)
    return kb.as_markup()


def _unit_name(person: Person | None) -> str | None:
    return person.unit.name if person is not None and person.unit is not None else None


@router.message(CommandStart(deep_link=True))
async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    catalogue: Catalogue,
    state: FSMContext,
) -> None:
    user = message.from_user
    if user is None:
        return
    async with session.begin():
        person = await people.redeem_invite(
            session,
            code=command.args or "",
            telegram_id=user.id,
            display_name=user.full_name,
            now=datetime.now(UTC),
        )
        unit = _unit_name(person)
    await state.clear()
    role = Role(person.role)
    await message.answer(texts.registered(person.role, unit, person.department))
    await message.answer(
        texts.greeting(user.first_name, role, unit, catalogue.current.title),
        reply_markup=main_menu(role),
    )


@router.message(CommandStart())
async def start(
    message: Message,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    unit = _unit_name(person)
    first = message.from_user.first_name if message.from_user else ""
    await message.answer(
        texts.greeting(first, role, unit, catalogue.current.title), reply_markup=main_menu(role)
    )


@router.message(Command("trogiup", "help"))
async def help_command(message: Message) -> None:
    await message.answer(texts.HELP)


@router.message(Command("huy", "cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(texts.NOTHING_TO_CANCEL)
        return
    await state.clear()
    await message.answer(texts.CANCELLED)


@router.callback_query(MenuCb.filter(F.action == "help"))
async def menu_help(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.HELP)


@router.callback_query(MenuCb.filter(F.action == "ask"))
async def menu_ask(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.MENU_PROMPT_ASK)
