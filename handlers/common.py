"""Start, invite registration, main menu, help and cancel."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    User,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services import people, years
from bot.services.invites import department_name
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from criteria.loader import Catalogue
from handlers import texts
from handlers.callbacks import MenuCb, RegisterCb
from handlers.keyboards import InlineKeyboardBuilder
from handlers.scoring.steps import STEP_STATES as SCORING_STEPS
from handlers.texts import scoring as scoring_texts

log = logging.getLogger(__name__)
router = Router(name=__name__)


# Menu actions that open the command of the same journey (the others have their own handler).
MENU_COMMANDS = {
    "escalate": "hoiso",
    "tickets": "phieu",
    "progress": "tiendo",
    "questions": "cauhoi",
    "rulings": "duyet",
    "invite": "moi",
}


def journeys_keyboard(role: Role, *, with_help: bool) -> InlineKeyboardMarkup:
    """The role's journeys as buttons (the main menu adds ℹ️ Trợ giúp)."""
    kb = InlineKeyboardBuilder()
    for action, button, _ in texts.ROLE_JOURNEYS[role.value]:
        kb.button(text=button, callback_data=MenuCb(action=action))
    if with_help:
        kb.button(text=texts.BTN_HELP, callback_data=MenuCb(action="help"))
    kb.adjust(2)
    return kb.as_markup()


def main_menu(role: Role) -> InlineKeyboardMarkup:
    return journeys_keyboard(role, with_help=True)


async def show_commands(bot: Bot, chat_id: int, role: Role, *, was_set: bool = True) -> None:
    """Telegram's "/" list for this chat: the role's commands (guests: the default list).

    ``was_set`` False skips the call for a guest, who never had a list of their own."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        if role is Role.GUEST:
            if was_set:
                await bot.delete_my_commands(scope=scope)
            return
        commands = [
            BotCommand(command=c, description=d) for c, d in texts.ROLE_COMMANDS[role.value]
        ]
        await bot.set_my_commands(commands, scope=scope)
    except TelegramAPIError as exc:  # the menu still works; the "/" list is a convenience
        log.warning("Could not set the commands of chat %s: %s", chat_id, exc)


def _unit_name(person: Person | None) -> str | None:
    return person.unit.name if person is not None and person.unit is not None else None


def _who(
    catalogue: Catalogue,
    role: str,
    unit: str | None,
    department: str | None,
    level: str | None = None,
) -> str:
    return texts.who(role, unit, department_name(catalogue, role, department, level))


def _level(person: Person | None) -> str | None:
    return person.unit.kind if person is not None and person.unit is not None else None


async def _register(
    message: Message,
    user: User,
    code: str,
    session: AsyncSession,
    catalogue: Catalogue,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    async with session.begin():
        person = await people.redeem_invite(
            session,
            code=code,
            telegram_id=user.id,
            display_name=user.full_name,
            now=datetime.now(UTC),
        )
        unit = _unit_name(person)
        level = _level(person)
        set_title = (
            (await years.unit_set_year(session, catalogue, person.unit)).cset.title
            if person.unit is not None
            else catalogue.current.title
        )
    await state.clear()  # a new role: steps paused under the old one no longer apply
    role = people.effective_role(person, user.id, settings.admin_ids)
    await message.answer(
        texts.registered(_who(catalogue, person.role, unit, person.department, level))
    )
    await message.answer(
        texts.greeting(user.first_name, role, unit, set_title),
        reply_markup=main_menu(role),
    )
    await show_commands(bot, message.chat.id, role)


@router.message(CommandStart(deep_link=True))
async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person | None,
    catalogue: Catalogue,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    user = message.from_user
    if user is None:
        return
    code = command.args or ""
    if person is None or not person.active:
        await _register(message, user, code, session, catalogue, settings, state, bot)
        return
    # Already registered: show what the invite would change and ask; nothing changes yet
    # (and a paused conversation is kept).
    async with session.begin():
        invite = await people.peek_invite(session, code, datetime.now(UTC))
        changes = people.invite_changes(person, invite)
        new = _who(
            catalogue,
            invite.role,
            invite.unit.name if invite.unit else None,
            invite.department,
            invite.unit.kind if invite.unit else None,
        )
    now = _who(catalogue, person.role, _unit_name(person), person.department, _level(person))
    if not changes:
        await message.answer(texts.already_registered(now))
        return
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_REREGISTER, callback_data=RegisterCb(code=code, ok=True))
    kb.button(text=texts.BTN_KEEP_REGISTRATION, callback_data=RegisterCb(code=code, ok=False))
    kb.adjust(1)
    await message.answer(texts.reregister_confirm(now, new), reply_markup=kb.as_markup())


@router.callback_query(RegisterCb.filter())
async def confirm_register(
    query: CallbackQuery,
    callback_data: RegisterCb,
    session: AsyncSession,
    catalogue: Catalogue,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    if not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if not callback_data.ok:
        await query.answer()
        await query.message.answer(texts.REGISTRATION_KEPT)
        return
    await _register(
        query.message,
        query.from_user,
        callback_data.code,
        session,
        catalogue,
        settings,
        state,
        bot,
    )
    await query.answer()


@router.message(CommandStart())
async def start(
    message: Message,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    bot: Bot,
) -> None:
    unit = _unit_name(person)
    first = message.from_user.first_name if message.from_user else ""
    await message.answer(
        texts.greeting(first, role, unit, set_year.cset.title), reply_markup=main_menu(role)
    )
    # Registered people (and deactivated ones, back to the guests' list) get their own list.
    await show_commands(bot, message.chat.id, role, was_set=person is not None)


@router.message(Command("trogiup", "help"))
async def help_command(message: Message, role: Role) -> None:
    await message.answer(
        texts.help_text(role.value), reply_markup=journeys_keyboard(role, with_help=False)
    )


@router.message(Command("huy", "cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    if current is None:
        await message.answer(texts.NOTHING_TO_CANCEL)
        return
    if current in SCORING_STEPS:
        # Leave the Score step but keep the place (and the part of a two-part criterion
        # already answered): /chamdiem resumes exactly there, as after «⏸ Tạm dừng».
        await state.update_data(paused=current, ret=None)
        await state.set_state(None)
        await message.answer(f"{texts.CANCELLED}\n{scoring_texts.CANCELLED_KEEPS_PLACE}")
        return
    await state.clear()
    await message.answer(texts.CANCELLED)


@router.callback_query(MenuCb.filter(F.action == "help"))
async def menu_help(query: CallbackQuery, role: Role) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.help_text(role.value), reply_markup=journeys_keyboard(role, with_help=False)
        )


@router.callback_query(MenuCb.filter(F.action.in_(MENU_COMMANDS)))
async def menu_command(
    query: CallbackQuery, callback_data: MenuCb, dispatcher: Dispatcher, **data: Any
) -> None:
    """A menu button does exactly what typing its command does: the command goes through the
    routers with this update's context (session, role, state), so their role filters apply
    and a forged button of another role gets the usual "no permission" reply."""
    await query.answer()
    if not isinstance(query.message, Message):
        return
    text = f"/{MENU_COMMANDS[callback_data.action]}"
    command = Message(
        message_id=query.message.message_id,
        date=query.message.date,
        chat=query.message.chat,
        from_user=query.from_user,
        text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(text))],
    ).as_(query.bot)
    for key in ("handler", "callback_data", "event_router"):
        data.pop(key, None)
    await dispatcher.propagate_event("message", command, **data)


@router.callback_query(MenuCb.filter(F.action == "ask"))
async def menu_ask(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.MENU_PROMPT_ASK)
