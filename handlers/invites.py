"""Coordinators and admins make one-time invite links in chat (/moi)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services import people
from bot.services.invites import check_department, department_choices
from bot.services.people import Role
from bot.settings import Settings
from criteria.loader import Catalogue
from handlers import texts
from handlers.callbacks import InviteCb
from handlers.filters import COORDINATORS, RoleFilter
from handlers.keyboards import InlineKeyboardBuilder

router = Router(name=__name__)
router.message.filter(RoleFilter(*COORDINATORS))
router.callback_query.filter(RoleFilter(*COORDINATORS))


class InviteFlow(StatesGroup):
    waiting_role = State()
    waiting_unit = State()
    waiting_department = State()


@router.message(Command("moi"))
async def start_invite(message: Message, state: FSMContext, role: Role) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_ROLE_OFFICER, callback_data=InviteCb(step="role", value="officer"))
    kb.button(
        text=texts.BTN_ROLE_COORDINATOR, callback_data=InviteCb(step="role", value="coordinator")
    )
    if role is Role.ADMIN:
        kb.button(
            text=texts.BTN_ROLE_CONTACT, callback_data=InviteCb(step="role", value="contact")
        )
    kb.adjust(1)
    await state.set_state(InviteFlow.waiting_role)
    await message.answer(texts.INVITE_CHOOSE_ROLE, reply_markup=kb.as_markup())


@router.callback_query(InviteFlow.waiting_role, InviteCb.filter(F.step == "role"))
async def chose_role(
    query: CallbackQuery,
    callback_data: InviteCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    allowed = {"officer", "coordinator"} | ({"contact"} if role is Role.ADMIN else set())
    if callback_data.value not in allowed or not isinstance(query.message, Message):
        await query.answer(texts.FORBIDDEN_BUTTON, show_alert=True)
        return
    await query.answer()
    target = Role(callback_data.value)
    await state.update_data(role=target.value)
    if target is Role.CONTACT:
        await _ask_department(query.message, state, catalogue, target)
        return
    if role is Role.ADMIN:
        units = await people.list_units(session)
        await session.commit()
        if not units:
            await state.clear()
            await query.message.answer(texts.INVITE_NO_UNITS)
            return
        kb = InlineKeyboardBuilder()
        for unit in units[:30]:
            kb.button(text=unit.name, callback_data=InviteCb(step="unit", value=unit.code))
        kb.adjust(1)
        await state.set_state(InviteFlow.waiting_unit)
        await query.message.answer(texts.INVITE_CHOOSE_UNIT, reply_markup=kb.as_markup())
        return
    if person is None or person.unit is None:
        await state.clear()
        await query.message.answer(texts.INVITE_NEEDS_UNIT)
        return
    await state.update_data(unit=person.unit.code, level=person.unit.kind)
    await _ask_department(query.message, state, catalogue, target, person.unit.kind)


async def _ask_department(
    message: Message,
    state: FSMContext,
    catalogue: Catalogue,
    target: Role,
    level: str | None = None,
) -> None:
    kb = InlineKeyboardBuilder()
    for code, name in department_choices(catalogue, target, level):
        kb.button(text=name, callback_data=InviteCb(step="dept", value=code))
    kb.adjust(1)
    await state.set_state(InviteFlow.waiting_department)
    prompt = texts.INVITE_CHOOSE_SO if target is Role.CONTACT else texts.INVITE_CHOOSE_DEPARTMENT
    await message.answer(prompt, reply_markup=kb.as_markup())


@router.callback_query(InviteFlow.waiting_unit, InviteCb.filter(F.step == "unit"))
async def chose_unit(
    query: CallbackQuery,
    callback_data: InviteCb,
    state: FSMContext,
    session: AsyncSession,
    catalogue: Catalogue,
) -> None:
    unit = await people.get_unit(session, callback_data.value)
    await session.commit()
    if unit is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    await state.update_data(unit=unit.code, level=unit.kind)
    target = Role((await state.get_data())["role"])
    await _ask_department(query.message, state, catalogue, target, unit.kind)


@router.callback_query(InviteFlow.waiting_department, InviteCb.filter(F.step == "dept"))
async def chose_department(
    query: CallbackQuery,
    callback_data: InviteCb,
    state: FSMContext,
    session: AsyncSession,
    catalogue: Catalogue,
    settings: Settings,
    bot: Bot,
) -> None:
    data = await state.get_data()
    target = Role(data["role"])
    department = check_department(catalogue, target, callback_data.value, data.get("level"))
    now = datetime.now(UTC)
    async with session.begin():
        invite = await people.create_invite(
            session,
            role=target,
            unit_code=data.get("unit"),
            department=department,
            created_by=query.from_user.id,
            ttl=timedelta(hours=settings.invite_ttl_hours),
            now=now,
        )
        code = invite.code
        unit_name = invite.unit.name if invite.unit else None
        expires = invite.expires_at
    await state.clear()
    await query.answer()
    me = await bot.me()
    link = people.invite_link(me.username or settings.bot_username, code)
    until = expires.astimezone(settings.tz).strftime("%H:%M %d/%m/%Y")
    names = dict(department_choices(catalogue, target, data.get("level")))
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.invite_ready(link, target.value, unit_name, names.get(department or ""), until)
        )


# A command is not taken for a typed choice: it goes on to its own handler (/tiendo, /duyet …
# in the middle of /moi), the step staying where it was.
@router.message(InviteFlow.waiting_role, ~F.text.startswith("/"))
@router.message(InviteFlow.waiting_unit, ~F.text.startswith("/"))
@router.message(InviteFlow.waiting_department, ~F.text.startswith("/"))
async def invite_expects_button(message: Message) -> None:
    await message.answer(texts.INVITE_USE_BUTTONS)
