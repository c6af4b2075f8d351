"""Ask journey: free text outside another conversation is a question for the knowledge base."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from knowledge.search import Hit, SearchIndex, SearchResult
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data import BotData
from bot.db.models import Person
from bot.services import questions
from criteria.loader import Catalogue
from handlers import texts
from handlers.callbacks import AskCb
from handlers.cards import criterion_card
from handlers.render import split_message

router = Router(name=__name__)

MAX_QUESTION = 1000


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hit_button(kb: InlineKeyboardBuilder, hit: Hit) -> None:
    if hit.kind == "entry" and hit.entry_id:
        kb.button(text=_short(hit.question), callback_data=AskCb(action="e", ref=hit.entry_id))
    elif hit.criterion_codes:
        code = hit.criterion_codes[0]
        kb.button(
            text=_short(f"Tiêu chí {code}: {hit.question}"),
            callback_data=AskCb(action="c", ref=code),
        )


def _entry_reply(data: BotData, catalogue: Catalogue, entry_id: str) -> str | None:
    entry = data.by_id.get(entry_id)
    if entry is None:
        return None
    parts = [f"❓ <b>{_esc(entry.question)}</b>", "", _esc(entry.answer), ""]
    parts.append(texts.source_line(entry.source))
    if entry.escalate:
        parts += ["", texts.ASK_ESCALATE_HINT]
    cset = catalogue.current
    nodes = cset.by_code()
    for code in entry.criteria[:2]:
        node = nodes.get(code)
        if node is not None:
            parts += ["", criterion_card(cset, node)]
    return "\n".join(parts)


def _criterion_reply(catalogue: Catalogue, code: str) -> str | None:
    cset = catalogue.current
    node = cset.by_code().get(code)
    return criterion_card(cset, node) if node is not None else None


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


def _answer_keyboard(
    result: SearchResult, shown: Hit, log_id: int | None
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    related = [h for h in result.results if h is not shown][:3]
    for hit in related:
        _hit_button(kb, hit)
    if log_id is not None:
        kb.button(text=texts.BTN_UP, callback_data=AskCb(action="up", ref=str(log_id)))
        kb.button(text=texts.BTN_DOWN, callback_data=AskCb(action="down", ref=str(log_id)))
    kb.adjust(*([1] * len(related)), 2)
    return kb.as_markup()


async def _send(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    chunks = split_message(text)
    for i, chunk in enumerate(chunks):
        await message.answer(chunk, reply_markup=markup if i == len(chunks) - 1 else None)


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"))
async def question(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    index: SearchIndex,
    catalogue: Catalogue,
    bot_data: BotData,
) -> None:
    text = (message.text or "").strip()
    if not text:
        await message.answer(texts.EMPTY_QUESTION)
        return
    if len(text) > MAX_QUESTION:
        await message.answer(texts.QUESTION_TOO_LONG)
        return
    result = index.search(text, top=4)
    best = result.results[0] if result.results else None
    user_id = message.from_user.id if message.from_user else 0
    async with session.begin():
        log_id = await questions.record(
            session,
            telegram_id=user_id,
            unit_id=person.unit_id if person else None,
            text=text,
            decision=result.decision,
            entry_id=best.entry_id if best else None,
            criterion_code=best.criterion_codes[0] if best and best.criterion_codes else None,
        )
    if result.decision == "answer" and best is not None:
        body = (
            _entry_reply(bot_data, catalogue, best.entry_id)
            if best.kind == "entry" and best.entry_id
            else _criterion_reply(catalogue, best.criterion_codes[0])
        )
        if body is not None:
            await _send(message, body, _answer_keyboard(result, best, log_id))
            return
    if result.decision == "clarify" and result.results:
        kb = InlineKeyboardBuilder()
        for hit in result.results[:3]:
            _hit_button(kb, hit)
        kb.button(text=texts.BTN_NOT_THIS, callback_data=AskCb(action="hs", ref=str(log_id)))
        kb.adjust(1)
        await message.answer(texts.ASK_CLARIFY, reply_markup=kb.as_markup())
        return
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_SEND_PROVINCE, callback_data=AskCb(action="hs", ref=str(log_id)))
    await message.answer(texts.ASK_NONE, reply_markup=kb.as_markup())


@router.callback_query(AskCb.filter(F.action == "e"))
async def open_entry(
    query: CallbackQuery, callback_data: AskCb, catalogue: Catalogue, bot_data: BotData
) -> None:
    body = _entry_reply(bot_data, catalogue, callback_data.ref)
    if body is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    await _send(query.message, body, None)


@router.callback_query(AskCb.filter(F.action == "c"))
async def open_criterion(query: CallbackQuery, callback_data: AskCb, catalogue: Catalogue) -> None:
    body = _criterion_reply(catalogue, callback_data.ref)
    if body is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    await _send(query.message, body, None)


@router.callback_query(AskCb.filter(F.action.in_({"up", "down"})))
async def feedback(query: CallbackQuery, callback_data: AskCb, session: AsyncSession) -> None:
    if not callback_data.ref.isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    helpful = callback_data.action == "up"
    async with session.begin():
        ok = await questions.set_feedback(
            session, int(callback_data.ref), telegram_id=query.from_user.id, helpful=helpful
        )
    if not ok:
        await query.answer(texts.FORBIDDEN_BUTTON, show_alert=True)
        return
    await query.answer(texts.FEEDBACK_THANKS_UP if helpful else texts.FEEDBACK_THANKS_DOWN)


@router.callback_query(AskCb.filter(F.action == "hs"))
async def to_province(query: CallbackQuery, callback_data: AskCb, session: AsyncSession) -> None:
    if not callback_data.ref.isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    async with session.begin():
        ok = await questions.mark_for_province(
            session, int(callback_data.ref), telegram_id=query.from_user.id
        )
    if not ok:
        await query.answer(texts.FORBIDDEN_BUTTON, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.ASK_RECORDED)
