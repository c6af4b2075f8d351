"""Escalate journey: questions to the provincial departments (Sở) as tickets.

Three routers: ``router`` for officers (compose with /hoiso or the Ask buttons, follow a
similar ticket, resolve, follow up, add information), ``contact_router`` for the Sở contacts
(answer, reassign, ask for more information, /phieu) and ``review_router`` for coordinators
and admins (/duyet: approve, edit or reject suggested rulings). Everything another person
must receive goes through the outbox, enqueued in the same transaction as the change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.data import BotData
from bot.db.models import Person, Ticket
from bot.services import outbox, people, questions, rulings, tickets
from bot.services.people import Role
from bot.services.tickets import TicketForbidden, TicketWrongState, Viewer
from bot.services.years import SetYear
from bot.settings import Settings
from bot.storage import ending_transaction, set_step
from criteria.loader import Catalogue
from handlers import texts
from handlers.callbacks import (
    AskCb,
    DraftCb,
    MoveCb,
    MyTicketsCb,
    RulingCb,
    TicketCb,
    TicketPageCb,
)
from handlers.filters import CONTACTS, COORDINATORS, STAFF, RoleFilter
from handlers.keyboards import InlineKeyboardBuilder
from handlers.notices import contact_keyboard
from handlers.notices import contact_text as ticket_text
from handlers.notices import dept_name as _dept_name
from handlers.notices import markup_of as _markup
from handlers.notices import to_contacts as _to_contacts
from handlers.render import split_message
from handlers.texts import tickets as tt
from knowledge.search import SearchIndex
from knowledge.text import find_codes, has_words

log = logging.getLogger(__name__)

router = Router(name=__name__)
router.message.filter(RoleFilter(*STAFF))
router.callback_query.filter(RoleFilter(*STAFF))

contact_router = Router(name=f"{__name__}.contacts")
contact_router.message.filter(RoleFilter(*CONTACTS))
contact_router.callback_query.filter(RoleFilter(*CONTACTS))

review_router = Router(name=f"{__name__}.review")
review_router.message.filter(RoleFilter(*COORDINATORS))
review_router.callback_query.filter(RoleFilter(*COORDINATORS))


class DraftFlow(StatesGroup):
    waiting_question = State()
    waiting_confirm = State()
    waiting_new_question = State()
    waiting_criterion = State()
    waiting_attachment = State()


class OfficerFlow(StatesGroup):
    waiting_info_reply = State()
    waiting_followup = State()


class ContactFlow(StatesGroup):
    waiting_answer = State()
    waiting_answer_confirm = State()
    waiting_reason = State()
    waiting_info_request = State()


class ReviewFlow(StatesGroup):
    waiting_ruling_answer = State()


# --- shared helpers -----------------------------------------------------------------------


def _officer_keyboard(ticket_id: int) -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    kb.button(text=tt.BTN_RESOLVE, callback_data=TicketCb(action="res", id=ticket_id))
    kb.button(text=tt.BTN_FOLLOWUP, callback_data=TicketCb(action="fu", id=ticket_id))
    kb.adjust(2)
    return kb


def _viewer(user_id: int, role: Role, person: Person | None) -> Viewer:
    return Viewer.of(user_id, role, person)


async def _alert(query: CallbackQuery, text: str) -> None:
    await query.answer(text, show_alert=True)


def _message(query: CallbackQuery) -> Message | None:
    return query.message if isinstance(query.message, Message) else None


async def _typed_text(message: Message) -> str | None:
    """The message's text, stripped; None when empty, a command or too long (the user is told)."""
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(tt.NEED_TEXT)
        return None
    if len(text) > tickets.MAX_TEXT:
        await message.answer(tt.TEXT_TOO_LONG)
        return None
    return text


# --- officer: composing ---------------------------------------------------------------------


async def _show_draft(
    message: Message, state: FSMContext, catalogue: Catalogue, set_year: SetYear
) -> None:
    data = await state.get_data()
    if not data.get("q"):  # the draft's data is gone (expired, or lost with Redis)
        await state.clear()
        await message.answer(tt.DRAFT_GONE)
        return
    code: str | None = data.get("c")
    node = set_year.cset.by_code().get(code) if code else None
    dept = catalogue.routing.route(code, set_year.cset.id)
    kb = InlineKeyboardBuilder()
    kb.button(text=tt.BTN_SEND, callback_data=DraftCb(action="send"))
    kb.button(text=tt.BTN_EDIT_QUESTION, callback_data=DraftCb(action="eq"))
    kb.button(text=tt.BTN_EDIT_CRITERION, callback_data=DraftCb(action="ec"))
    kb.button(text=tt.BTN_ATTACH, callback_data=DraftCb(action="att"))
    kb.button(text=tt.BTN_CANCEL, callback_data=DraftCb(action="x"))
    kb.adjust(1, 2, 2)
    await state.set_state(DraftFlow.waiting_confirm)
    await message.answer(
        tt.draft(data["q"], code, node.title if node else None, dept.name, bool(data.get("att"))),
        reply_markup=kb.as_markup(),
    )


@router.message(Command("hoiso"))
async def start_compose(message: Message, state: FSMContext) -> None:
    await set_step(state, DraftFlow.waiting_question, {"k": tickets.new_draft_key()})
    await message.answer(tt.ASK_QUESTION)


async def start_from_question(
    query: CallbackQuery,
    callback_data: AskCb,
    session: AsyncSession,
    state: FSMContext,
    role: Role,
    catalogue: Catalogue,
    set_year: SetYear,
    clock: Clock,
    settings: Settings,
) -> None:
    """The Ask journey's "send to the Sở" button: a draft pre-filled from the logged question.

    People who cannot open tickets (guests, Sở contacts) have their question flagged and sent
    to the admins, who see it in /cauhoi and can send it on for them."""
    message = _message(query)
    if not callback_data.ref.isdigit() or message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    now = clock.now()
    async with session.begin():
        ok = await questions.mark_for_province(
            session, int(callback_data.ref), telegram_id=query.from_user.id, now=now
        )
        row = await questions.get(session, int(callback_data.ref)) if ok else None
        question, code = (row.text, row.criterion_code) if row is not None else ("", None)
        readers: list[int] = []
        if row is not None and role not in STAFF:
            readers = [
                chat
                for chat in await tickets.admins(session, settings.admin_ids)
                if chat != query.from_user.id
            ]
            for chat in readers:
                await outbox.enqueue(
                    session,
                    chat_id=chat,
                    text=tt.guest_question(question),
                    dedup_key=f"q{row.id}:guest:{chat}",
                    now=now,
                )
    if row is None:
        await _alert(query, texts.FORBIDDEN_BUTTON)
        return
    await query.answer()
    if role not in STAFF:
        await message.answer(tt.GUEST_SENT if readers else tt.GUEST_NO_READER)
        return
    draft = {"q": question, "c": code, "log": int(callback_data.ref), "k": tickets.new_draft_key()}
    await set_step(state, None, draft)
    await _show_draft(message, state, catalogue, set_year)


@router.message(DraftFlow.waiting_question, F.text)
@router.message(DraftFlow.waiting_new_question, F.text)
async def got_question(
    message: Message, state: FSMContext, catalogue: Catalogue, set_year: SetYear
) -> None:
    text = await _typed_text(message)
    if text is None:
        return
    if not has_words(text):
        await message.answer(texts.NO_WORDS)
        return
    data = await state.get_data()
    code = data.get("c")
    if await state.get_state() == DraftFlow.waiting_question.state:
        found = [c for c in find_codes(text) if c in set_year.cset.by_code()]
        code = found[0] if found else None
    await state.update_data(q=text, c=code, checked=False)
    await _show_draft(message, state, catalogue, set_year)


@router.message(DraftFlow.waiting_criterion, F.text)
async def got_criterion(
    message: Message, state: FSMContext, catalogue: Catalogue, set_year: SetYear
) -> None:
    text = (message.text or "").strip()
    if text in {"0", "không", "khong"}:
        await state.update_data(c=None)
        await _show_draft(message, state, catalogue, set_year)
        return
    codes = find_codes(text) or [text]
    code = next((c for c in codes if c in set_year.cset.by_code()), None)
    if code is None:
        await message.answer(tt.BAD_CRITERION)
        return
    await state.update_data(c=code)
    await _show_draft(message, state, catalogue, set_year)


@router.message(DraftFlow.waiting_attachment, F.document | F.photo)
async def got_attachment(
    message: Message, state: FSMContext, catalogue: Catalogue, set_year: SetYear
) -> None:
    if message.document is not None:
        await state.update_data(att=message.document.file_id, attk="document")
    elif message.photo:
        await state.update_data(att=message.photo[-1].file_id, attk="photo")
    await _show_draft(message, state, catalogue, set_year)


@router.message(DraftFlow.waiting_attachment)
async def attachment_expected(message: Message) -> None:
    await message.answer(tt.NEED_ATTACHMENT)


@router.message(DraftFlow.waiting_question)
@router.message(DraftFlow.waiting_new_question)
@router.message(DraftFlow.waiting_criterion)
async def officer_text_expected(message: Message) -> None:
    await message.answer(tt.NEED_TEXT)


@router.message(DraftFlow.waiting_confirm, ~F.text.startswith("/"))  # (commands go on)
async def draft_expects_button(message: Message) -> None:
    await message.answer(tt.USE_BUTTONS)


@router.callback_query(
    DraftFlow.waiting_confirm, DraftCb.filter(F.action.in_({"eq", "ec", "att"}))
)
async def draft_edit(query: CallbackQuery, callback_data: DraftCb, state: FSMContext) -> None:
    message = _message(query)
    if message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    await query.answer()
    if callback_data.action == "eq":
        await state.set_state(DraftFlow.waiting_new_question)
        await message.answer(tt.ASK_EDIT_QUESTION)
    elif callback_data.action == "ec":
        await state.set_state(DraftFlow.waiting_criterion)
        await message.answer(tt.ASK_CRITERION)
    else:
        await state.set_state(DraftFlow.waiting_attachment)
        await message.answer(tt.ASK_ATTACHMENT)


@router.callback_query(DraftFlow.waiting_confirm, DraftCb.filter(F.action == "x"))
async def draft_cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if (message := _message(query)) is not None:
        await message.answer(tt.CANCELLED)


@router.callback_query(DraftCb.filter(F.action.in_({"send", "new"})))
async def draft_send(
    query: CallbackQuery,
    callback_data: DraftCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    catalogue: Catalogue,
    set_year: SetYear,
    settings: Settings,
    clock: Clock,
) -> None:
    message = _message(query)
    data = await state.get_data()
    if (
        message is None
        or await state.get_state() != DraftFlow.waiting_confirm.state
        or not data.get("q")
    ):
        await _alert(query, tt.DRAFT_GONE)
        return
    question: str = data["q"]
    code: str | None = data.get("c")
    # Sent already when the draft's end was lost (a process killed after the commit).
    sent = await tickets.sent_from(session, data.get("k"))
    similar = None
    if sent is None and callback_data.action == "send" and not data.get("checked"):
        similar = await tickets.find_similar(session, question, set_id=set_year.cset.id)
    await session.commit()
    if similar is not None:
        await state.update_data(checked=True)
        await query.answer()
        name = _dept_name(catalogue, similar.department)
        if similar.answer and similar.answered_at:
            when = similar.answered_at.astimezone(settings.tz)
            text = tt.similar_answered(similar.id, name, when, similar.answer)
        else:
            text = tt.similar_open(similar.id, name)
        kb = InlineKeyboardBuilder()
        kb.button(
            text=tt.btn_follow(similar.id), callback_data=DraftCb(action="fol", ref=similar.id)
        )
        kb.button(text=tt.BTN_NEW_ANYWAY, callback_data=DraftCb(action="new"))
        kb.button(text=tt.BTN_CANCEL, callback_data=DraftCb(action="x"))
        kb.adjust(1)
        await message.answer(text, reply_markup=kb.as_markup())
        return
    now = clock.now()
    try:
        async with ending_transaction(session, state):
            if sent is None:
                ticket = await tickets.create(
                    session,
                    question=question,
                    set_id=set_year.cset.id,
                    criterion_code=code,
                    unit_id=person.unit_id if person is not None else None,
                    asker_id=query.from_user.id,
                    department=catalogue.routing.route(code, set_year.cset.id).code,
                    now=now,
                    attachment_id=data.get("att"),
                    attachment_kind=data.get("attk"),
                    question_log_id=data.get("log"),
                    draft_key=data.get("k"),
                )
                delivery = await _to_contacts(
                    session,
                    ticket,
                    catalogue=catalogue,
                    settings=settings,
                    header=tt.NEW_HEADER,
                    key=f"tk{ticket.id}:new",
                    now=now,
                )
            else:
                ticket = sent
                delivery = await _delivery(session, ticket, settings)
            ticket_id, dept = ticket.id, _dept_name(catalogue, ticket.department)
    except IntegrityError:
        # Another press of the same draft made its ticket between the look-up above and this
        # insert (the unique draft_key; the transaction is rolled back): this press is
        # answered as one after the ticket was sent. Any other violation is an error.
        async with ending_transaction(session, state):
            sent = await tickets.sent_from(session, data.get("k"))
            if sent is None:
                raise
            delivery = await _delivery(session, sent, settings)
            ticket_id, dept = sent.id, _dept_name(catalogue, sent.department)
    await query.answer()
    await message.answer(
        tt.ticket_sent(
            ticket_id,
            dept,
            delivery is not tickets.Delivery.CONTACTS,
            nobody=delivery is tickets.Delivery.NOBODY,
        )
    )


async def _delivery(session: AsyncSession, ticket: Ticket, settings: Settings) -> tickets.Delivery:
    """Who the ticket reached: its department's contacts, the admins (the department has
    no contact), or nobody (no admin either: it waits for a contact to register)."""
    return await tickets.delivery(session, ticket.department, settings.admin_ids)


@router.callback_query(DraftFlow.waiting_confirm, DraftCb.filter(F.action == "fol"))
async def draft_follow(
    query: CallbackQuery,
    callback_data: DraftCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    clock: Clock,
) -> None:
    message = _message(query)
    if message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    async with session.begin():
        # Following is open to any officer who was shown the ticket as similar; it reveals
        # nothing but the question and the department's answer.
        ticket = await tickets.get(session, callback_data.ref)
        added = await tickets.follow(
            session,
            ticket,
            telegram_id=query.from_user.id,
            unit_id=person.unit_id if person is not None else None,
            now=clock.now(),
        )
        own = ticket.asker_id == query.from_user.id
    await state.clear()
    await query.answer()
    await message.answer(
        tt.own_ticket(callback_data.ref) if own and not added else tt.following(callback_data.ref)
    )


# --- officer: answers, resolve, follow-up, more information --------------------------------


@router.callback_query(TicketCb.filter(F.action.in_({"res", "fu", "add"})))
async def officer_action(
    query: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    clock: Clock,
) -> None:
    message = _message(query)
    if message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    viewer = _viewer(query.from_user.id, role, person)
    try:
        async with session.begin():
            ticket = await tickets.for_officer(session, callback_data.id, viewer)
            if callback_data.action == "res":
                await tickets.resolve(
                    session, ticket, actor_id=viewer.telegram_id, now=clock.now()
                )
            elif callback_data.action == "add" and not (
                ticket.status == tickets.OPEN and ticket.awaiting_info
            ):
                raise TicketWrongState()
            elif callback_data.action == "fu" and ticket.status == tickets.OPEN:
                raise TicketWrongState()
    except TicketForbidden:
        await _alert(query, texts.FORBIDDEN_BUTTON)
        return
    except TicketWrongState:
        await _alert(
            query, tt.NOT_OPEN if callback_data.action == "add" else TicketWrongState.user_message
        )
        return
    await query.answer()
    if callback_data.action == "res":
        await message.answer(tt.resolved(callback_data.id))
        return
    await state.clear()
    await state.update_data(ticket=callback_data.id)
    if callback_data.action == "add":
        await state.set_state(OfficerFlow.waiting_info_reply)
        await message.answer(tt.ask_info_reply(callback_data.id))
    else:
        await state.set_state(OfficerFlow.waiting_followup)
        await message.answer(tt.ask_followup(callback_data.id))


@router.message(OfficerFlow.waiting_info_reply, F.text)
@router.message(OfficerFlow.waiting_followup, F.text)
async def officer_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
    clock: Clock,
) -> None:
    text = await _typed_text(message)
    if text is None:
        return
    user_id = message.from_user.id if message.from_user else 0
    followup = await state.get_state() == OfficerFlow.waiting_followup.state
    ticket_id = int((await state.get_data()).get("ticket", 0))
    now = clock.now()
    try:
        async with session.begin():
            ticket = await tickets.for_officer(session, ticket_id, _viewer(user_id, role, person))
            previous = ticket.answer
            if followup:
                await tickets.reopen(session, ticket, text=text, actor_id=user_id, now=now)
                extra = [(tt.LABEL_PREVIOUS, previous or ""), (tt.LABEL_FOLLOWUP, text)]
                header = tt.REOPENED_HEADER
            else:
                await tickets.add_info(session, ticket, text=text, actor_id=user_id, now=now)
                request = await tickets.last_event(session, ticket.id, "more_info")
                extra = [(tt.LABEL_INFO, text)]
                if request is not None and request.text:
                    extra.insert(0, (tt.BTN_MORE_INFO.lstrip("❓ "), request.text))
                header = tt.INFO_HEADER
            await _to_contacts(
                session,
                ticket,
                catalogue=catalogue,
                settings=settings,
                header=header,
                key=f"tk{ticket.id}:r{ticket.route_count}",
                now=now,
                extra=extra,
            )
            dept = _dept_name(catalogue, ticket.department)
    except (TicketForbidden, TicketWrongState) as exc:
        await state.clear()
        await message.answer(exc.user_message)
        return
    await state.clear()
    if followup:
        await message.answer(tt.followup_sent(ticket_id, dept))
    else:
        await message.answer(tt.info_reply_sent(ticket_id, dept))


@router.message(OfficerFlow.waiting_info_reply)
@router.message(OfficerFlow.waiting_followup)
async def officer_reply_expected(message: Message) -> None:
    await message.answer(tt.NEED_TEXT)


# --- /phieu ---------------------------------------------------------------------------------


PAGE = 8  # tickets per page of a /phieu list

Page = tuple[str, InlineKeyboardMarkup | None]


def _page_of(rows: Sequence[Ticket], page: int) -> tuple[Sequence[Ticket], int] | None:
    """The tickets of page ``page`` of a /phieu list and the page count; None if it is gone."""
    pages = max(1, -(-len(rows) // PAGE))
    return (rows[page * PAGE : (page + 1) * PAGE], pages) if 0 <= page < pages else None


def _list_markup(
    buttons: Sequence[tuple[str, CallbackData]],
    page: int,
    pages: int,
    nav: Callable[[int], CallbackData],
) -> InlineKeyboardMarkup | None:
    """A button per ticket of the page, then ◀ ▶ (``nav``: the callback of a page)."""
    kb = InlineKeyboardBuilder()
    for text, data in buttons:
        kb.button(text=text, callback_data=data)
    arrows = [(arrow, to) for arrow, to in (("◀", page - 1), ("▶", page + 1)) if 0 <= to < pages]
    for arrow, to in arrows:
        kb.button(text=arrow, callback_data=nav(to))
    kb.adjust(*([1] * len(buttons)), *([len(arrows)] if arrows else []))
    return kb.as_markup() if buttons else None


async def _show_list_page(query: CallbackQuery, shown: Page | None) -> None:
    message = _message(query)
    if message is None or shown is None:
        await _alert(query, tt.LIST_PAGE_GONE)
        return
    await query.answer()
    await message.answer(shown[0], reply_markup=shown[1])


async def _contact_page(
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
    page: int,
) -> Page | None:
    """One page of the open tickets, each a button opening it; None if ``page`` is gone."""
    department = None if role is Role.ADMIN else (person.department if person else None)
    rows = await tickets.open_for_department(session, department, limit=500)
    await session.commit()
    if (found := _page_of(rows, page)) is None:
        return None
    shown, pages = found
    now = clock.now()
    items, buttons = [], []
    for t in shown:
        unit = t.unit.name if t.unit is not None else tt.NO_UNIT
        ago = tt.ago(now - t.created_at)
        items.append((t.id, unit, t.question, ago, t.awaiting_info))
        buttons.append((tt.ticket_button(t.id, unit, ago), TicketCb(action="v", id=t.id)))
    name = tt.ALL_DEPARTMENTS if department is None else _dept_name(catalogue, department)
    text = tt.contact_list(name, items, len(rows), page, pages)
    return text, _list_markup(buttons, page, pages, lambda to: TicketPageCb(page=to))


@contact_router.message(Command("phieu"))
async def contact_list(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
) -> None:
    shown = await _contact_page(session, person, role, catalogue, clock, 0)
    if shown is not None:  # page 0 always exists
        await message.answer(shown[0], reply_markup=shown[1])


@contact_router.callback_query(TicketPageCb.filter())
async def contact_list_page(
    query: CallbackQuery,
    callback_data: TicketPageCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
) -> None:
    page = callback_data.page
    await _show_list_page(
        query, await _contact_page(session, person, role, catalogue, clock, page)
    )


async def _my_page(
    session: AsyncSession,
    viewer: Viewer,
    catalogue: Catalogue,
    page: int,
) -> Page | None:
    """One page of the officer's own, their unit's and followed tickets, each a button
    opening it; None if ``page`` is gone."""
    rows = await tickets.for_viewer(session, viewer, limit=500)
    await session.commit()
    if (found := _page_of(rows, page)) is None:
        return None
    shown, pages = found
    items = [(t.id, _dept_name(catalogue, t.department), t.status, t.question) for t in shown]
    buttons = [
        (tt.my_ticket_button(t.id, t.status, t.question), TicketCb(action="my", id=t.id))
        for t in shown
    ]
    text = tt.officer_list(items, len(rows), page, pages)
    return text, _list_markup(buttons, page, pages, lambda to: MyTicketsCb(page=to))


@router.message(Command("phieu"))
async def officer_list(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    user_id = message.from_user.id if message.from_user else 0
    shown = await _my_page(session, _viewer(user_id, role, person), catalogue, 0)
    if shown is not None:  # page 0 always exists
        await message.answer(shown[0], reply_markup=shown[1])


@router.callback_query(MyTicketsCb.filter())
async def officer_list_page(
    query: CallbackQuery,
    callback_data: MyTicketsCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    viewer = _viewer(query.from_user.id, role, person)
    await _show_list_page(query, await _my_page(session, viewer, catalogue, callback_data.page))


@router.callback_query(TicketCb.filter(F.action == "my"))
async def officer_ticket(
    query: CallbackQuery,
    callback_data: TicketCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
) -> None:
    """A ticket opened from the officer's /phieu: question, state, request or answer, and
    the buttons of what they can do next (add information, resolve, follow up)."""
    message = _message(query)
    if message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    viewer = _viewer(query.from_user.id, role, person)
    try:
        ticket = await tickets.for_officer(session, callback_data.id, viewer)
        request = None
        if ticket.status == tickets.OPEN and ticket.awaiting_info:
            event = await tickets.last_event(session, ticket.id, "more_info")
            request = event.text if event is not None else None
        # After a follow-up the answer (or the wait) is about the follow-up question.
        reopened = await tickets.last_event(session, ticket.id, "reopened")
    except (TicketForbidden, tickets.TicketNotFound):
        await session.rollback()
        await _alert(query, texts.FORBIDDEN_BUTTON)
        return
    await session.commit()
    cset = catalogue.sets.get(ticket.set_id, catalogue.current)  # the set it was asked on
    node = cset.by_code().get(ticket.criterion_code or "")
    tz = settings.tz
    text = tt.my_ticket(
        ticket.id,
        status=ticket.status,
        awaiting_info=ticket.status == tickets.OPEN and ticket.awaiting_info,
        department=_dept_name(catalogue, ticket.department),
        unit=ticket.unit.name if ticket.unit is not None else None,
        created=ticket.created_at.astimezone(tz),
        question=ticket.question,
        code=ticket.criterion_code,
        criterion_title=node.title if node is not None else None,
        request=request,
        followup=reopened.text if reopened is not None else None,
        answer=ticket.answer,
        answered_by=ticket.answered_by,
        answered=ticket.answered_at.astimezone(tz) if ticket.answered_at else None,
    )
    kb = InlineKeyboardBuilder()
    if ticket.status == tickets.OPEN and ticket.awaiting_info:
        kb.button(text=tt.BTN_REPLY_INFO, callback_data=TicketCb(action="add", id=ticket.id))
    if ticket.status == tickets.ANSWERED:
        kb.button(text=tt.BTN_RESOLVE, callback_data=TicketCb(action="res", id=ticket.id))
    if ticket.status != tickets.OPEN:
        kb.button(text=tt.BTN_FOLLOWUP, callback_data=TicketCb(action="fu", id=ticket.id))
    kb.button(text=tt.BTN_MY_LIST, callback_data=MyTicketsCb(page=0))
    kb.adjust(1)
    await query.answer()
    chunks = split_message(text)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        await message.answer(chunk, reply_markup=kb.as_markup() if last else None)


# --- contacts: answer, reassign, more information -------------------------------------------


@contact_router.callback_query(
    TicketCb.filter(F.action.in_({"v", "ans", "inf", "mv", "f", "ok", "rw"}))
)
async def contact_action(
    query: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    message = _message(query)
    if message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    viewer = _viewer(query.from_user.id, role, person)
    action = callback_data.action
    try:
        ticket = await tickets.for_contact(session, callback_data.id, viewer)
    except TicketForbidden:
        await session.rollback()
        await _alert(query, tt.NOT_YOURS)
        return
    status, attachment, kind = ticket.status, ticket.attachment_id, ticket.attachment_kind
    current = ticket.department
    await session.commit()
    if action == "f":
        await query.answer()
        if not attachment:
            await message.answer(tt.NO_ATTACHMENT)
        elif kind == "photo":
            await bot.send_photo(message.chat.id, attachment)
        else:
            await bot.send_document(message.chat.id, attachment)
        return
    if status != tickets.OPEN:
        await _alert(query, tt.NOT_OPEN)
        return
    if action == "v":  # opened from /phieu: the card with its answer/ask/reassign buttons
        await query.answer()
        header = tt.AWAITING_HEADER if ticket.awaiting_info else tt.OPEN_HEADER
        await message.answer(
            ticket_text(ticket, catalogue, header, tz=settings.tz),
            reply_markup=contact_keyboard(ticket).as_markup(),
        )
        return
    if action == "ok":
        await _confirm_answer(
            query,
            message,
            callback_data.id,
            state,
            session,
            person,
            role,
            catalogue,
            settings,
            clock,
        )
        return
    await query.answer()
    await state.clear()
    await state.update_data(ticket=callback_data.id)
    if action in {"ans", "rw"}:
        await state.set_state(ContactFlow.waiting_answer)
        await message.answer(tt.ask_answer(callback_data.id))
    elif action == "inf":
        await state.set_state(ContactFlow.waiting_info_request)
        await message.answer(tt.ask_more_info(callback_data.id))
    else:
        kb = InlineKeyboardBuilder()
        for dept in catalogue.routing.departments:
            if dept.code != current:
                kb.button(
                    text=dept.name, callback_data=MoveCb(id=callback_data.id, dept=dept.code)
                )
        kb.adjust(1)
        await message.answer(tt.choose_department(callback_data.id), reply_markup=kb.as_markup())


async def _confirm_answer(
    query: CallbackQuery,
    message: Message,
    ticket_id: int,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
    clock: Clock,
) -> None:
    data = await state.get_data()
    if (
        await state.get_state() != ContactFlow.waiting_answer_confirm.state
        or data.get("ticket") != ticket_id
        or not data.get("answer")
    ):
        await _alert(query, texts.STALE_BUTTON)
        return
    viewer = _viewer(query.from_user.id, role, person)
    now = clock.now()
    name = person.display_name if person is not None and person.display_name else "Đầu mối"
    async with session.begin():
        ticket = await tickets.for_contact(session, ticket_id, viewer)
        # After a follow-up, the answer is to the follow-up question, not the original one.
        reopened = await tickets.last_event(session, ticket.id, "reopened")
        asked = reopened.text if reopened is not None and reopened.text else ticket.question
        await tickets.answer(
            session,
            ticket,
            text=data["answer"],
            actor_id=viewer.telegram_id,
            actor_name=name,
            now=now,
        )
        dept = _dept_name(catalogue, ticket.department)
        source = rulings.source_text(dept, now, settings.tz)
        await rulings.suggest(session, ticket, source=source, now=now, question=asked)
        chats = await tickets.audience(session, ticket)
        # A guest asker (sent on from /cauhoi) cannot resolve or follow up: no buttons.
        staff = await people.staff_among(session, chats, settings.admin_ids)
        for chat in chats:
            await outbox.enqueue(
                session,
                chat_id=chat,
                text=tt.relay_answer(
                    ticket.id, asked, dept, name, data["answer"], chat == ticket.asker_id
                ),
                reply_markup=_markup(_officer_keyboard(ticket.id)) if chat in staff else None,
                dedup_key=f"tk{ticket.id}:ans{ticket.route_count}:{chat}",
                now=now,
            )
    await state.clear()
    await query.answer()
    await message.answer(tt.answer_sent(ticket_id, len(chats)))


@contact_router.message(ContactFlow.waiting_answer, F.text)
async def got_answer(message: Message, state: FSMContext) -> None:
    text = await _typed_text(message)
    if text is None:
        return
    ticket_id = int((await state.get_data()).get("ticket", 0))
    await state.update_data(answer=text)
    await state.set_state(ContactFlow.waiting_answer_confirm)
    kb = InlineKeyboardBuilder()
    kb.button(text=tt.BTN_CONFIRM_ANSWER, callback_data=TicketCb(action="ok", id=ticket_id))
    kb.button(text=tt.BTN_REWRITE, callback_data=TicketCb(action="rw", id=ticket_id))
    kb.adjust(2)
    await message.answer(tt.answer_preview(ticket_id, text), reply_markup=kb.as_markup())


@contact_router.callback_query(MoveCb.filter())
async def chose_department(
    query: CallbackQuery,
    callback_data: MoveCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    message = _message(query)
    target = catalogue.routing.department(callback_data.dept)
    if message is None or target is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    try:
        ticket = await tickets.for_contact(
            session, callback_data.id, _viewer(query.from_user.id, role, person)
        )
    except TicketForbidden:
        await session.rollback()
        await _alert(query, tt.NOT_YOURS)
        return
    open_here = ticket.status == tickets.OPEN and ticket.department != target.code
    await session.commit()
    if not open_here:
        await _alert(query, tt.NOT_OPEN)
        return
    await query.answer()
    await state.clear()
    await state.update_data(ticket=callback_data.id, dept=target.code)
    await state.set_state(ContactFlow.waiting_reason)
    await message.answer(tt.ask_reason(callback_data.id, target.name))


@contact_router.message(ContactFlow.waiting_reason, F.text)
@contact_router.message(ContactFlow.waiting_info_request, F.text)
async def contact_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
    clock: Clock,
) -> None:
    text = await _typed_text(message)
    if text is None:
        return
    data = await state.get_data()
    ticket_id = int(data.get("ticket", 0))
    moving = await state.get_state() == ContactFlow.waiting_reason.state
    user_id = message.from_user.id if message.from_user else 0
    now = clock.now()
    try:
        async with session.begin():
            ticket = await tickets.for_contact(session, ticket_id, _viewer(user_id, role, person))
            old = _dept_name(catalogue, ticket.department)
            if moving:
                known = {d.code for d in catalogue.routing.departments}
                await tickets.reassign(
                    session,
                    ticket,
                    department=str(data.get("dept")),
                    known=known,
                    reason=text,
                    actor_id=user_id,
                    now=now,
                )
                new = _dept_name(catalogue, ticket.department)
                await _to_contacts(
                    session,
                    ticket,
                    catalogue=catalogue,
                    settings=settings,
                    header=tt.MOVED_HEADER,
                    key=f"tk{ticket.id}:new{ticket.route_count}",
                    now=now,
                    extra=[(tt.LABEL_REASON, f"{old}: {text}")],
                )
                notice = tt.moved_notice(ticket.id, new)
                markup = None
                key = f"tk{ticket.id}:mv{ticket.route_count}"
            else:
                await tickets.request_info(session, ticket, text=text, actor_id=user_id, now=now)
                notice = tt.info_request(ticket.id, old, ticket.question, text)
                key = tickets.request_key(ticket, text)
                kb = InlineKeyboardBuilder()
                kb.button(
                    text=tt.BTN_REPLY_INFO, callback_data=TicketCb(action="add", id=ticket.id)
                )
                markup = _markup(kb)
            for chat in await tickets.audience(session, ticket):
                if moving and chat != ticket.asker_id:
                    continue
                await outbox.enqueue(
                    session,
                    chat_id=chat,
                    text=notice,
                    reply_markup=markup,
                    dedup_key=f"{key}:{chat}",
                    now=now,
                )
            new_name = _dept_name(catalogue, ticket.department)
    except (TicketForbidden, TicketWrongState) as exc:
        await state.clear()
        await message.answer(exc.user_message)
        return
    await state.clear()
    if moving:
        await message.answer(tt.reassigned(ticket_id, new_name))
    else:
        await message.answer(tt.more_info_sent(ticket_id))


@contact_router.message(ContactFlow.waiting_answer)
@contact_router.message(ContactFlow.waiting_reason)
@contact_router.message(ContactFlow.waiting_info_request)
async def contact_text_expected(message: Message) -> None:
    await message.answer(tt.NEED_TEXT)


@contact_router.message(ContactFlow.waiting_answer_confirm, ~F.text.startswith("/"))
async def contact_expects_button(message: Message) -> None:
    await message.answer(tt.USE_BUTTONS)


# --- coordinators: rulings (/duyet) ---------------------------------------------------------


def _ruling_keyboard(ruling_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=tt.BTN_APPROVE, callback_data=RulingCb(action="ok", id=ruling_id))
    kb.button(text=tt.BTN_EDIT_RULING, callback_data=RulingCb(action="ed", id=ruling_id))
    kb.button(text=tt.BTN_REJECT, callback_data=RulingCb(action="no", id=ruling_id))
    kb.adjust(3)
    return kb.as_markup()


@review_router.message(Command("duyet"))
async def list_rulings(message: Message, session: AsyncSession, state: FSMContext) -> None:
    rows = await rulings.pending(session, limit=5)
    cards = [
        (r.id, tt.ruling_card(r.id, r.question, r.answer, r.criterion_code, r.source))
        for r in rows
    ]
    await session.commit()
    await state.clear()
    if not cards:
        await message.answer(tt.NO_PENDING)
        return
    for ruling_id, text in cards:
        await message.answer(text, reply_markup=_ruling_keyboard(ruling_id))


async def _review(
    session: AsyncSession,
    ruling_id: int,
    *,
    approve: bool,
    reviewer: int,
    clock: Clock,
    index: SearchIndex,
    bot_data: BotData,
    answer: str | None = None,
) -> None:
    async with session.begin():
        await rulings.review(
            session, ruling_id, approve=approve, reviewer=reviewer, now=clock.now(), answer=answer
        )
    if approve:
        await rulings.refresh_index(index, bot_data, session)
        await session.commit()


@review_router.callback_query(RulingCb.filter())
async def ruling_action(
    query: CallbackQuery,
    callback_data: RulingCb,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    index: SearchIndex,
    bot_data: BotData,
) -> None:
    message = _message(query)
    if message is None:
        await _alert(query, texts.STALE_BUTTON)
        return
    if callback_data.action == "ed":
        row = await rulings.get(session, callback_data.id)
        pending = row.status == rulings.PENDING
        await session.commit()
        if not pending:
            await _alert(query, rulings.RulingReviewed.user_message)
            return
        await query.answer()
        await state.clear()
        await state.update_data(ruling=callback_data.id)
        await state.set_state(ReviewFlow.waiting_ruling_answer)
        await message.answer(tt.ask_ruling_edit(callback_data.id))
        return
    approve = callback_data.action == "ok"
    await _review(
        session,
        callback_data.id,
        approve=approve,
        reviewer=query.from_user.id,
        clock=clock,
        index=index,
        bot_data=bot_data,
    )
    await query.answer()
    text = tt.ruling_approved if approve else tt.ruling_rejected
    await message.answer(text(callback_data.id))


@review_router.message(ReviewFlow.waiting_ruling_answer, F.text)
async def got_ruling_answer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    index: SearchIndex,
    bot_data: BotData,
) -> None:
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(tt.NEED_TEXT)
        return
    ruling_id = int((await state.get_data()).get("ruling", 0))
    await state.clear()
    await _review(
        session,
        ruling_id,
        approve=True,
        reviewer=message.from_user.id if message.from_user else 0,
        clock=clock,
        index=index,
        bot_data=bot_data,
        answer=text,
    )
    await message.answer(tt.ruling_approved(ruling_id))


@review_router.message(ReviewFlow.waiting_ruling_answer)
async def ruling_text_expected(message: Message) -> None:
    await message.answer(tt.NEED_TEXT)


@review_router.startup()
async def load_rulings(
    index: SearchIndex,
    bot_data: BotData,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Approved rulings answer questions from the start, not only after the next approval."""
    async with session_factory() as session:
        count = await rulings.refresh_index(index, bot_data, session)
    log.info("Search index: %s approved rulings added", count)
