"""Coordinators' list of unresolved questions (/cauhoi): each question a button, and on it
answer from the knowledge base, send to the province for the asker, or dismiss.

Coordinators see their own unit's questions, admins every unit's and the guests'.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.data import BotData
from bot.db.models import Person, QuestionLog
from bot.services import outbox, questions, tickets
from bot.services.people import Role
from bot.settings import Settings
from criteria.loader import Catalogue
from handlers import texts
from handlers.ask import hit_body
from handlers.callbacks import AskCb, QuestionCb, QuestionsCb
from handlers.filters import COORDINATORS, RoleFilter
from handlers.keyboards import InlineKeyboardBuilder
from handlers.notices import markup_of, to_contacts
from handlers.render import split_message
from handlers.texts import questions as qt
from handlers.texts import tickets as tt
from knowledge.search import Hit, SearchIndex

router = Router(name=__name__)
router.message.filter(RoleFilter(*COORDINATORS))
router.callback_query.filter(RoleFilter(*COORDINATORS))

QUESTIONS_PAGE = 8
_QUESTION_SHOWN = 300
_KB_CHOICES = 3


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scope(person: Person | None, role: Role) -> tuple[bool, int | None]:
    """(allowed, unit_id): admins see every unit (None); coordinators only their own."""
    if role is Role.ADMIN:
        return True, None
    unit_id = person.unit_id if person is not None else None
    return unit_id is not None, unit_id


def _status(row: QuestionLog) -> str:
    flags = [texts.QUESTION_FLAG_DOWN] if row.helpful is False else []
    if row.for_province:
        flags.append(texts.QUESTION_FLAG_PROVINCE)
    return ", ".join([texts.QUESTION_LABELS.get(row.decision, row.decision), *flags])


async def _questions_page(
    session: AsyncSession, settings: Settings, unit_id: int | None, page: int
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The page's text, a button per question and ◀ ▶; None when ``page`` does not exist."""
    async with session.begin():
        total = await questions.count_unresolved(session, unit_id=unit_id)
        pages = max(1, -(-total // QUESTIONS_PAGE))
        if not 0 <= page < pages:
            return None
        rows = await questions.list_unresolved(
            session, unit_id=unit_id, limit=QUESTIONS_PAGE, offset=page * QUESTIONS_PAGE
        )
    if total == 0:
        return texts.QUESTIONS_NONE, None
    items = []
    kb = InlineKeyboardBuilder()
    for number, row in enumerate(rows, start=page * QUESTIONS_PAGE + 1):
        when = row.created_at.astimezone(settings.tz).strftime("%d/%m %H:%M")
        items.append(
            texts.question_item(
                when,
                row.decision,
                _status(row).split(", ")[1:],
                row.criterion_code,
                _short(row.text, _QUESTION_SHOWN),
            )
        )
        kb.button(
            text=qt.question_button(number, when, row.text),
            callback_data=QuestionCb(action="v", id=row.id),
        )
    nav = 0
    if page > 0:
        kb.button(text="◀", callback_data=QuestionsCb(page=page - 1))
        nav += 1
    if page < pages - 1:
        kb.button(text="▶", callback_data=QuestionsCb(page=page + 1))
        nav += 1
    kb.adjust(*([1] * len(rows)), *([nav] if nav else []))
    body = texts.questions_page(items, total, page, pages, everyone=unit_id is None)
    return f"{body}\n\n{qt.LIST_HINT}", kb.as_markup()


@router.message(Command("cauhoi"))
async def unresolved_questions(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    settings: Settings,
) -> None:
    allowed, unit_id = _scope(person, role)
    if not allowed:
        await message.answer(texts.QUESTIONS_NO_UNIT)
        return
    shown = await _questions_page(session, settings, unit_id, 0)
    if shown is not None:  # page 0 always exists
        await message.answer(shown[0], reply_markup=shown[1])


@router.callback_query(QuestionsCb.filter())
async def unresolved_questions_page(
    query: CallbackQuery,
    callback_data: QuestionsCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    settings: Settings,
) -> None:
    allowed, unit_id = _scope(person, role)
    shown = await _questions_page(session, settings, unit_id, callback_data.page)
    if not allowed or shown is None or not isinstance(query.message, Message):
        await query.answer(texts.QUESTIONS_BAD_PAGE, show_alert=True)
        return
    await query.answer()
    try:
        await query.message.edit_text(shown[0], reply_markup=shown[1])
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            await query.message.answer(shown[0], reply_markup=shown[1])


def _choices(row: QuestionLog, data: BotData, index: SearchIndex) -> list[Hit]:
    """The likeliest answers to a logged question, from the set it was asked on."""
    found = data.index_of(row.set_id, index).search(row.text, top=_KB_CHOICES)
    return list(found.results[:_KB_CHOICES])


@router.callback_query(QuestionCb.filter())
async def on_question(
    query: CallbackQuery,
    callback_data: QuestionCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    settings: Settings,
    catalogue: Catalogue,
    bot_data: BotData,
    index: SearchIndex,
    clock: Clock,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    allowed, unit_id = _scope(person, role)
    action = callback_data.action
    ticket_id, department = 0, ""
    async with session.begin():
        row = await questions.for_reviewer(session, callback_data.id, unit_id=unit_id)
        if not allowed or row is None or message is None:
            row = None
        elif action == "x":
            await questions.mark_handled(session, row.id, how="dismissed", by=query.from_user.id)
        elif action == "hs":
            ticket_id, department = await _send_on(session, row, catalogue, settings, clock)
            await questions.mark_handled(session, row.id, how="ticket", by=query.from_user.id)
        elif action == "pick":
            hits = _choices(row, bot_data, index)
            pick = hits[callback_data.n] if 0 <= callback_data.n < len(hits) else None
            cset = catalogue.sets.get(row.set_id)
            body = hit_body(pick, bot_data, cset) if pick and cset else None
            if body is None:
                row = None
            else:
                await _answer_asker(session, row, body, clock)
                await questions.mark_handled(
                    session, row.id, how="answered", by=query.from_user.id
                )
        asker = _asker(row) if row is not None else ""
    if row is None or message is None:
        await query.answer(qt.GONE, show_alert=True)
        return
    await query.answer()
    if action == "v":
        await message.answer(_view(row, settings), reply_markup=_actions(row.id))
    elif action == "kb":
        hits = _choices(row, bot_data, index)
        if not hits:
            await message.answer(qt.NO_MATCH, reply_markup=_actions(row.id, kb=False))
            return
        kb = InlineKeyboardBuilder()
        for n, hit in enumerate(hits):
            label = hit.question if hit.kind == "entry" else f"{hit.code}: {hit.question}"
            kb.button(
                text=_short(label, 60), callback_data=QuestionCb(action="pick", id=row.id, n=n)
            )
        kb.button(text=qt.BTN_BACK, callback_data=QuestionsCb(page=0))
        kb.adjust(1)
        await message.answer(qt.CHOOSE_ANSWER, reply_markup=kb.as_markup())
    elif action == "pick":
        await message.answer(qt.answered(asker))
    elif action == "hs":
        await message.answer(qt.sent_on(ticket_id, department))
    else:
        await message.answer(qt.DISMISSED)


def _asker(row: QuestionLog) -> str:
    unit = row.unit.name if row.unit is not None else None
    return qt.OFFICER.format(unit=unit) if unit else qt.GUEST


def _view(row: QuestionLog, settings: Settings) -> str:
    when = row.created_at.astimezone(settings.tz).strftime("%d/%m %H:%M")
    return qt.question_view(when, _status(row), _asker(row), row.criterion_code, row.text)


def _actions(question_id: int, *, kb: bool = True) -> InlineKeyboardMarkup:
    buttons = InlineKeyboardBuilder()
    if kb:
        buttons.button(text=qt.BTN_FROM_KB, callback_data=QuestionCb(action="kb", id=question_id))
    buttons.button(text=qt.BTN_TO_PROVINCE, callback_data=QuestionCb(action="hs", id=question_id))
    buttons.button(text=qt.BTN_DISMISS, callback_data=QuestionCb(action="x", id=question_id))
    buttons.adjust(1)
    return buttons.as_markup()


async def _answer_asker(session: AsyncSession, row: QuestionLog, body: str, clock: Clock) -> None:
    """The knowledge-base answer to the asker, with 👍/👎 on their own question."""
    feedback = InlineKeyboardBuilder()
    feedback.button(text=texts.BTN_UP, callback_data=AskCb(action="up", ref=str(row.id)))
    feedback.button(text=texts.BTN_DOWN, callback_data=AskCb(action="down", ref=str(row.id)))
    feedback.adjust(2)
    parts = split_message(qt.answer_for_asker(row.text, body))
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await outbox.enqueue(
            session,
            chat_id=row.telegram_id,
            text=part,
            reply_markup=markup_of(feedback) if last else None,
            dedup_key=f"q{row.id}:kb:{i}",
            now=clock.now(),
        )


async def _send_on(
    session: AsyncSession,
    row: QuestionLog,
    catalogue: Catalogue,
    settings: Settings,
    clock: Clock,
) -> tuple[int, str]:
    """A ticket in the asker's name, routed by the question's criterion; the asker is told."""
    now = clock.now()
    department = catalogue.routing.route(row.criterion_code, row.set_id)
    ticket = await tickets.create(
        session,
        question=row.text,
        set_id=row.set_id,
        criterion_code=row.criterion_code,
        unit_id=row.unit_id,
        asker_id=row.telegram_id,
        department=department.code,
        now=now,
        question_log_id=row.id,
    )
    await to_contacts(
        session,
        ticket,
        catalogue=catalogue,
        settings=settings,
        header=tt.NEW_HEADER,
        key=f"tk{ticket.id}:new",
        now=now,
    )
    await outbox.enqueue(
        session,
        chat_id=row.telegram_id,
        text=qt.sent_on_for_asker(ticket.id, department.name, row.text),
        dedup_key=f"q{row.id}:ticket",
        now=now,
    )
    return ticket.id, department.name
