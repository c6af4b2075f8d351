"""The deadlines journey: /hanchot and the coordinator's calendar editor (the reminder and
outbox jobs live in jobs/deadlines.py)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Person
from bot.errors import CchcError
from bot.services import deadlines
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from bot.storage import ending_transaction, set_step
from criteria.calendar import (
    CalendarInputError,
    Deadline,
    local_today,
    parse_date_range,
    split_by_time,
)
from handlers.callbacks import DeadlineCb, MenuCb
from handlers.filters import COORDINATORS, RoleFilter
from handlers.keyboards import InlineKeyboardBuilder
from handlers.notices import score_markup
from handlers.render import split_message
from handlers.texts import deadlines as texts

router = Router(name=__name__)
editor = Router(name=f"{__name__}.editor")
editor.message.filter(RoleFilter(*COORDINATORS))
editor.callback_query.filter(RoleFilter(*COORDINATORS))
router.include_router(editor)

TICK_SECONDS = 60.0
MAX_KEY_LENGTH = 48  # keeps every DeadlineCb under Telegram's 64 bytes


class DeadlineEdit(StatesGroup):
    waiting_title = State()
    waiting_end_date = State()
    waiting_new_date = State()


def _unit_id(person: Person | None, role: Role) -> int | None:
    """Whose calendar the reader sees: their unit's, or the set's alone for guests/contacts."""
    if person is None or role not in (Role.OFFICER, Role.COORDINATOR, Role.ADMIN):
        return None
    return person.unit_id


def _edit_markup() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_EDIT, callback_data=DeadlineCb(action="edit"))
    return kb.as_markup()


async def _show(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
    clock: Clock,
) -> None:
    cset = set_year.cset
    unit_id = _unit_id(person, role)
    today = local_today(clock.now(), settings.tz)
    async with session.begin():
        calendar = await deadlines.unit_calendar(session, unit_id, cset)
        work = await deadlines.unfinished_work(session, unit_id, cset) if unit_id else {}
    parts = [texts.calendar(cset.title, today, *split_by_time(calendar, today))]
    markup: InlineKeyboardMarkup | None = None
    names = {d.code: d.name for d in cset.departments}
    if unit_id is None:
        if role is Role.GUEST:
            parts.append(texts.GUEST_HINT)
    elif role is Role.OFFICER:
        department = person.department if person is not None else None
        if department:
            mine = work.get(department)
            parts.append(texts.officer_work(names.get(department, department), mine))
            if mine is not None:
                markup = score_markup()
    else:
        parts.append(texts.coordinator_work(names, work))
        markup = _edit_markup()
    chunks = split_message("\n\n".join(parts))
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await message.answer(chunk, reply_markup=markup if last else None)


@router.message(Command("hanchot"))
async def show_deadlines(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
    clock: Clock,
) -> None:
    await _show(message, session, person, role, set_year, settings, clock)


@router.callback_query(MenuCb.filter(F.action == "deadlines"))
async def menu_deadlines(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
    clock: Clock,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _show(query.message, session, person, role, set_year, settings, clock)


# --- the coordinator's editor -------------------------------------------------------------


async def _calendar_of(
    session: AsyncSession, person: Person | None, set_year: SetYear
) -> tuple[int, list[Deadline]] | None:
    if person is None or person.unit_id is None:
        return None
    async with session.begin():
        found = await deadlines.unit_calendar(session, person.unit_id, set_year.cset)
    return person.unit_id, found


@editor.callback_query(DeadlineCb.filter(F.action == "edit"))
async def open_editor(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
) -> None:
    found = await _calendar_of(session, person, set_year)
    if found is None or not isinstance(query.message, Message):
        await query.answer(texts.EDIT_NEEDS_UNIT, show_alert=True)
        return
    await query.answer()
    await state.clear()
    kb = InlineKeyboardBuilder()
    for deadline in found[1]:
        if len(deadline.key) <= MAX_KEY_LENGTH:
            label = f"{texts.date_span(deadline)} · {deadline.title}"
            kb.button(text=label[:60], callback_data=DeadlineCb(action="pick", key=deadline.key))
    kb.button(text=texts.BTN_ADD, callback_data=DeadlineCb(action="add"))
    kb.adjust(1)
    await query.message.answer(texts.EDIT_CHOOSE, reply_markup=kb.as_markup())


async def _picked(
    query: CallbackQuery,
    callback_data: DeadlineCb,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
) -> Deadline | None:
    """The deadline a button names, if it is in the presser's own unit calendar."""
    found = await _calendar_of(session, person, set_year)
    if found is None:
        await query.answer(texts.EDIT_NEEDS_UNIT, show_alert=True)
        return None
    try:
        return deadlines.find(found[1], callback_data.key)
    except CchcError:
        await query.answer(texts.UNKNOWN_DEADLINE, show_alert=True)
        return None


class _TypedRange(NamedTuple):
    start: date | None
    end: date
    unit_id: int
    actor: int


async def _typed_range(
    message: Message, state: FSMContext, person: Person | None
) -> _TypedRange | None:
    """The date range the editor typed, with their unit; None once they are told why not."""
    try:
        start, end = parse_date_range(message.text or "")
    except CalendarInputError as exc:
        await message.answer(texts.bad_date(str(exc)))
        return None
    if person is None or person.unit_id is None:
        await state.clear()
        await message.answer(texts.EDIT_NEEDS_UNIT)
        return None
    return _TypedRange(start, end, person.unit_id, person.telegram_id)


@editor.callback_query(DeadlineCb.filter(F.action == "pick"))
async def pick_deadline(
    query: CallbackQuery,
    callback_data: DeadlineCb,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
    settings: Settings,
    clock: Clock,
) -> None:
    deadline = await _picked(query, callback_data, session, person, set_year)
    if deadline is None or not isinstance(query.message, Message):
        return
    await query.answer()
    kb = InlineKeyboardBuilder()
    key = deadline.key
    kb.button(text=texts.BTN_CHANGE_DATE, callback_data=DeadlineCb(action="date", key=key))
    if deadline.added:
        kb.button(text=texts.BTN_REMOVE, callback_data=DeadlineCb(action="del", key=key))
    kb.adjust(1)
    today = local_today(clock.now(), settings.tz)
    await query.message.answer(texts.deadline_detail(deadline, today), reply_markup=kb.as_markup())


@editor.callback_query(DeadlineCb.filter(F.action == "date"))
async def ask_new_date(
    query: CallbackQuery,
    callback_data: DeadlineCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
) -> None:
    deadline = await _picked(query, callback_data, session, person, set_year)
    if deadline is None or not isinstance(query.message, Message):
        return
    await query.answer()
    await state.set_state(DeadlineEdit.waiting_new_date)
    await state.update_data(key=deadline.key)
    await query.message.answer(texts.ASK_NEW_DATE)


@editor.message(DeadlineEdit.waiting_new_date, F.text)
async def got_new_date(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
    clock: Clock,
) -> None:
    typed = await _typed_range(message, state, person)
    if typed is None:
        return
    key = str((await state.get_data()).get("key", ""))
    try:
        async with session.begin():
            changed = await deadlines.change_dates(
                session,
                unit_id=typed.unit_id,
                cset=set_year.cset,
                key=key,
                start=typed.start,
                end=typed.end,
                actor=typed.actor,
                now=clock.now(),
            )
    except CchcError as exc:
        await state.clear()
        await message.answer(exc.user_message)
        return
    await state.clear()
    await message.answer(texts.date_changed(changed))


@editor.callback_query(DeadlineCb.filter(F.action == "add"))
async def ask_title(query: CallbackQuery, state: FSMContext, person: Person | None) -> None:
    if person is None or person.unit_id is None or not isinstance(query.message, Message):
        await query.answer(texts.EDIT_NEEDS_UNIT, show_alert=True)
        return
    await query.answer()
    # The new step's id from the start: typing its date again after a lost end adds it once.
    await set_step(state, DeadlineEdit.waiting_title, {"step": deadlines.new_step_id()})
    await query.message.answer(texts.ASK_TITLE)


@editor.message(DeadlineEdit.waiting_title, F.text)
async def got_title(message: Message, state: FSMContext) -> None:
    try:
        title = deadlines.check_title(message.text or "")
    except CchcError:
        await message.answer(texts.TITLE_BAD)
        return
    await state.update_data(title=title)
    await state.set_state(DeadlineEdit.waiting_end_date)
    await message.answer(texts.ASK_END_DATE)


@editor.message(DeadlineEdit.waiting_end_date, F.text)
async def got_end_date(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
    clock: Clock,
) -> None:
    typed = await _typed_range(message, state, person)
    if typed is None:
        return
    data = await state.get_data()
    async with ending_transaction(session, state):
        added = await deadlines.add_deadline(
            session,
            unit_id=typed.unit_id,
            cset=set_year.cset,
            title=str(data.get("title", "")),
            start=typed.start,
            end=typed.end,
            actor=typed.actor,
            now=clock.now(),
            step_id=data.get("step"),
        )
    await message.answer(texts.added(added))


@editor.message(DeadlineEdit.waiting_title)
@editor.message(DeadlineEdit.waiting_end_date)
@editor.message(DeadlineEdit.waiting_new_date)
async def expects_text(message: Message) -> None:
    await message.answer(texts.NOT_TEXT)


@editor.callback_query(DeadlineCb.filter(F.action == "del"))
async def confirm_remove(
    query: CallbackQuery,
    callback_data: DeadlineCb,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
) -> None:
    deadline = await _picked(query, callback_data, session, person, set_year)
    if deadline is None or not isinstance(query.message, Message):
        return
    if not deadline.added:
        await query.answer(texts.SET_STEP_NOT_REMOVABLE, show_alert=True)
        return
    await query.answer()
    kb = InlineKeyboardBuilder()
    kb.button(
        text=texts.BTN_CONFIRM_REMOVE, callback_data=DeadlineCb(action="delok", key=deadline.key)
    )
    kb.button(text=texts.BTN_KEEP, callback_data=DeadlineCb(action="keep", key=deadline.key))
    kb.adjust(2)
    await query.message.answer(texts.confirm_remove(deadline), reply_markup=kb.as_markup())


@editor.callback_query(DeadlineCb.filter(F.action == "delok"))
async def remove(
    query: CallbackQuery,
    callback_data: DeadlineCb,
    session: AsyncSession,
    person: Person | None,
    set_year: SetYear,
    clock: Clock,
) -> None:
    if person is None or person.unit_id is None or not isinstance(query.message, Message):
        await query.answer(texts.EDIT_NEEDS_UNIT, show_alert=True)
        return
    try:
        async with session.begin():
            removed = await deadlines.remove_deadline(
                session,
                unit_id=person.unit_id,
                cset=set_year.cset,
                key=callback_data.key,
                actor=person.telegram_id,
                now=clock.now(),
            )
    except CchcError as exc:
        await query.answer(exc.user_message, show_alert=True)
        return
    await query.answer()
    await query.message.answer(texts.removed(removed))


@editor.callback_query(DeadlineCb.filter(F.action == "keep"))
async def keep(query: CallbackQuery) -> None:
    await query.answer(texts.REMOVE_KEPT)
