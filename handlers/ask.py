"""Ask journey: free text outside another conversation is a question for the knowledge base."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.data import BotData
from bot.db.direct import transaction
from bot.db.models import Person
from bot.fastmodels import answer, button, keyboard
from bot.services import questions
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from criteria.loader import Catalogue
from criteria.schema import CriteriaSet, node_label
from handlers import texts
from handlers.callbacks import AskCb
from handlers.cards import criterion_card
from handlers.render import split_message
from knowledge.figures import estimate_for
from knowledge.schema import Entry
from knowledge.search import Hit, SearchIndex, SearchResult
from knowledge.text import has_words

router = Router(name=__name__)
# The free-text question alone: the first router of all (handlers.routers), since it takes
# only what no other router takes — a text that is no command from someone in no
# conversation (tests/handlers/test_routing.py keeps it so). Its buttons stay on ``router``,
# after the journeys, which may take a press in the middle of a conversation.
free_text = Router(name=f"{__name__}.free_text")

MAX_QUESTION = 1000


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Keyboards are built directly (no builder): a question's reply carries up to six buttons and
# aiogram's builder validated a callback model and copied every button on each call.


def ask_data(action: str, ref: str, q: int | None = None) -> str:
    """``AskCb(action=action, ref=ref, q=q).pack()``, formatted directly (the same checks;
    tests/handlers/test_ask.py compares both)."""
    sep = AskCb.__separator__
    if sep in action or sep in ref:
        raise ValueError(f"Separator symbol {sep!r} can not be used in {action!r}/{ref!r}")
    data = f"{AskCb.__prefix__}{sep}{action}{sep}{ref}"
    if q is not None:
        data = f"{data}{sep}{q}"
    if len(data.encode()) > 64:
        raise ValueError(f"Resulted callback data is too long! len({data!r}.encode()) > 64")
    return data


def _hit_button(hit: Hit, log_id: int | None = None) -> InlineKeyboardButton | None:
    """A button opening ``hit``; with ``log_id`` the pick is recorded on that question."""
    if hit.kind == "entry" and hit.entry_id:
        return button(_entry_label(hit.question), ask_data("e", hit.entry_id, log_id))
    if hit.criterion_codes:
        # The text is already "Tiêu chí 3.4.1: …" (or "Lĩnh vực 4: …").
        return button(_short(hit.question), ask_data("c", hit.criterion_codes[0], log_id))
    return None


@lru_cache(maxsize=4096)
def _entry_label(question: str) -> str:
    return _short(texts.level_words(question))


def _hit_rows(hits: list[Hit], log_id: int | None = None) -> list[list[InlineKeyboardButton]]:
    """One row per hit that has a button."""
    return [[b] for b in (_hit_button(h, log_id) for h in hits) if b is not None]


def _feedback_row(log_id: int) -> list[InlineKeyboardButton]:
    return [
        button(texts.BTN_UP, ask_data("up", str(log_id))),
        button(texts.BTN_DOWN, ask_data("down", str(log_id))),
    ]


def _one_button(text: str, data: str) -> InlineKeyboardMarkup:
    return keyboard([[button(text, data)]])


def _entry_reply(
    data: BotData, cset: CriteriaSet, entry_id: str, estimate: str | None = None
) -> str | None:
    """The answer of an entry of ``cset`` (None for an unknown entry or another set's)."""
    entry = data.by_id.get(entry_id)
    if entry is None or not entry.applies_to(cset.id):
        return None
    head, tail = _entry_parts(cset, entry)
    return f"{head}\n{estimate}\n\n{tail}" if estimate is not None else f"{head}\n{tail}"


def _entry_parts(cset: CriteriaSet, entry: Entry) -> tuple[str, str]:
    """The entry's answer before and after the place of an estimate line, made once per entry
    and set object (both are immutable; a reload makes new ones, which make their own)."""
    memo: dict[str, tuple[Entry, str, str]] = _memo_of(cset)
    found = memo.get(entry.id)
    if found is not None and found[0] is entry:
        return found[1], found[2]
    question, answer = texts.level_words(entry.question), texts.level_words(entry.answer)
    head = "\n".join([f"❓ <b>{_esc(question)}</b>", "", _esc(answer), ""])
    parts = [texts.source_line(entry.source)]
    if entry.escalate:
        parts += ["", texts.ASK_ESCALATE_HINT]
    for code in entry.criteria[:2]:
        node = cset.node(code)
        if node is not None:
            parts += ["", criterion_card(cset, node)]
    tail = "\n".join(parts)
    memo[entry.id] = (entry, head, tail)
    return head, tail


_MEMO = "_ask_entry_replies"


def _memo_of(cset: CriteriaSet) -> dict[str, Any]:
    """A dict kept on the set object for its own id only (``model_copy`` copies
    ``__dict__``: a copy gets its own), as criteria.schema memoises its walks."""
    held = cset.__dict__.get(_MEMO)
    if held is None or held[0] != id(cset):
        held = (id(cset), {})
        cset.__dict__[_MEMO] = held
    return held[1]


def _criterion_reply(cset: CriteriaSet, code: str, estimate: str | None = None) -> str | None:
    node = cset.node(code)
    if node is None:
        return None
    card = criterion_card(cset, node)
    return f"{estimate}\n\n{card}" if estimate is not None else card


def _estimate_line(question: str, result: SearchResult, cset: CriteriaSet) -> str | None:
    """The "🧮 Ước tính: …" line when the question's figures score the answer's one criterion."""
    best = result.best
    if best is None:
        return None
    found = estimate_for(question, result.decision, best.criterion_codes, cset.node)
    return f"🧮 {_esc(found.text)}" if found is not None else None


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


def _related(result: SearchResult, shown: Hit, index: SearchIndex) -> list[Hit]:
    """Up to three other hits, topped up with entries on the shown criterion."""
    related = [h for h in result.results if h.entry_id != shown.entry_id][:3]
    taken = {shown.entry_id, *(h.entry_id for h in related)}
    for entry in index.entries_for(shown.code) if shown.code else []:
        if len(related) >= 3:
            break
        hit = index.entry_hit(entry.id) if entry.id not in taken else None
        if hit is not None:
            related.append(hit)
            taken.add(entry.id)
    return related


def _answer_keyboard(
    result: SearchResult, shown: Hit, log_id: int | None, index: SearchIndex
) -> InlineKeyboardMarkup:
    rows = _hit_rows(_related(result, shown, index), log_id)
    if log_id is not None:
        rows.append(_feedback_row(log_id))
    return keyboard(rows)


async def _send(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    chunks = split_message(text)
    for i, chunk in enumerate(chunks):
        await answer(message, chunk, markup if i == len(chunks) - 1 else None)


# Shared with journeys that answer a question mid-conversation (the Score journey's "❓ Hỏi").


def reply_body(result: SearchResult, bot_data: BotData, cset: CriteriaSet) -> str | None:
    """The reply for an "answer" decision (the entry, or the criterion card); else None."""
    best = result.results[0] if result.results else None
    if result.decision != "answer" or best is None:
        return None
    estimate = _estimate_line(result.query, result, cset)
    if best.kind == "entry" and best.entry_id:
        return _entry_reply(bot_data, cset, best.entry_id, estimate)
    if not best.criterion_codes:
        return None
    return _criterion_reply(cset, best.criterion_codes[0], estimate)


def hit_body(hit: Hit, bot_data: BotData, cset: CriteriaSet) -> str | None:
    """The reply opening ``hit`` (an entry, or a criterion card), as its button would."""
    if hit.kind == "entry" and hit.entry_id:
        return _entry_reply(bot_data, cset, hit.entry_id)
    return _criterion_reply(cset, hit.criterion_codes[0]) if hit.criterion_codes else None


def hits_keyboard(hits: list[Hit]) -> InlineKeyboardMarkup:
    """One button per hit (an entry or a criterion), one per row."""
    return keyboard(_hit_rows(hits))


async def send_long(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Send ``text`` split below Telegram's limit, ``markup`` on the last part."""
    await _send(message, text, markup)


async def plain_text(message: Message, raw_state: str | None = None) -> bool:
    """A text that is no command, from someone in no conversation: ``StateFilter(None),
    F.text, ~F.text.startswith("/")`` in one filter (one call instead of three on the way of
    every question; tests/handlers/test_routing.py compares them)."""
    text = message.text
    if raw_state is not None or not text:
        return False
    return not text.startswith("/")


@free_text.message(plain_text)
async def question(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    set_index: SearchIndex,
    set_year: SetYear,
    bot_data: BotData,
    clock: Clock,
) -> None:
    text = (message.text or "").strip()
    if not has_words(text):  # emoji, "?", digits, invisible characters: not logged
        await message.answer(texts.NO_WORDS)
        return
    if len(text) > MAX_QUESTION:
        await message.answer(texts.QUESTION_TOO_LONG)
        return
    result = set_index.search(text, top=4)
    best = result.results[0] if result.results else None
    user_id = message.from_user.id if message.from_user else 0
    async with transaction(session):
        log_id = await questions.record(
            session,
            telegram_id=user_id,
            unit_id=person.unit_id if person else None,
            set_id=set_year.cset.id,
            text=text,
            decision=result.decision,
            entry_id=best.entry_id if best else None,
            criterion_code=best.criterion_codes[0] if best and best.criterion_codes else None,
            now=clock.now(),
        )
    if result.decision == "answer" and best is not None:
        estimate = _estimate_line(text, result, set_year.cset)
        body = (
            _entry_reply(bot_data, set_year.cset, best.entry_id, estimate)
            if best.kind == "entry" and best.entry_id
            else _criterion_reply(set_year.cset, best.criterion_codes[0], estimate)
        )
        if body is not None:
            await _send(message, body, _answer_keyboard(result, best, log_id, set_index))
            return
    if result.decision == "clarify" and result.results:
        rows = _hit_rows(result.results[:3], log_id)
        rows.append([button(texts.BTN_NOT_THIS, ask_data("hs", str(log_id)))])
        await answer(message, texts.ASK_CLARIFY, keyboard(rows))
        return
    await answer(
        message,
        texts.ASK_NONE,
        _one_button(texts.BTN_SEND_PROVINCE, ask_data("hs", str(log_id))),
    )


async def _picked(
    query: CallbackQuery,
    callback_data: AskCb,
    session: AsyncSession,
    clock: Clock,
    *,
    entry_id: str | None,
    criterion_code: str | None,
    opened: str,
    unit_id: int | None,
    set_id: str,
) -> InlineKeyboardMarkup | None:
    """Record a pick on the asker's own question; 👍/👎 for it, or None (a forged or someone
    else's: the answer still opens, nothing is recorded). An answer opened from a list
    (browse, related questions) is logged as a question of its own, so it gets 👍/👎 too."""
    question_id = callback_data.q
    async with session.begin():
        if question_id is None:
            question_id = await questions.record(
                session,
                telegram_id=query.from_user.id,
                unit_id=unit_id,
                set_id=set_id,
                text=opened,
                decision="answer",
                entry_id=entry_id,
                criterion_code=criterion_code,
                now=clock.now(),
            )
            ok = True
        else:
            ok = await questions.record_pick(
                session,
                question_id,
                telegram_id=query.from_user.id,
                entry_id=entry_id,
                criterion_code=criterion_code,
                now=clock.now(),
            )
    if not ok:
        return None
    return keyboard([_feedback_row(question_id)])


@router.callback_query(AskCb.filter(F.action == "e"))
async def open_entry(
    query: CallbackQuery,
    callback_data: AskCb,
    set_year: SetYear,
    bot_data: BotData,
    session: AsyncSession,
    clock: Clock,
    person: Person | None,
) -> None:
    body = _entry_reply(bot_data, set_year.cset, callback_data.ref)
    entry = bot_data.by_id.get(callback_data.ref)
    if body is None or entry is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    code = entry.criteria[0] if entry.criteria else None
    markup = await _picked(
        query,
        callback_data,
        session,
        clock,
        entry_id=entry.id,
        criterion_code=code,
        opened=entry.question,
        unit_id=person.unit_id if person is not None else None,
        set_id=set_year.cset.id,
    )
    await query.answer()
    await _send(query.message, body, markup)


@router.callback_query(AskCb.filter(F.action == "c"))
async def open_criterion(
    query: CallbackQuery,
    callback_data: AskCb,
    set_year: SetYear,
    session: AsyncSession,
    clock: Clock,
    person: Person | None,
) -> None:
    body = _criterion_reply(set_year.cset, callback_data.ref)
    if body is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    markup = await _picked(
        query,
        callback_data,
        session,
        clock,
        entry_id=None,
        criterion_code=callback_data.ref,
        opened=node_label(callback_data.ref),
        unit_id=person.unit_id if person is not None else None,
        set_id=set_year.cset.id,
    )
    await query.answer()
    await _send(query.message, body, markup)


@router.callback_query(AskCb.filter(F.action.in_({"up", "down"})))
async def feedback(
    query: CallbackQuery, callback_data: AskCb, session: AsyncSession, clock: Clock
) -> None:
    if not callback_data.ref.isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    helpful = callback_data.action == "up"
    async with session.begin():
        ok = await questions.set_feedback(
            session,
            int(callback_data.ref),
            telegram_id=query.from_user.id,
            helpful=helpful,
            now=clock.now(),
        )
    if not ok:
        await query.answer(texts.FORBIDDEN_BUTTON, show_alert=True)
        return
    await query.answer(texts.FEEDBACK_THANKS_UP if helpful else texts.FEEDBACK_THANKS_DOWN)


@router.callback_query(AskCb.filter(F.action == "hs"))
async def to_province(
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
    # The Escalate journey takes over: a draft ticket pre-filled from the logged question
    # (guests' questions go to the admins).
    from handlers.tickets import start_from_question

    await start_from_question(
        query, callback_data, session, state, role, catalogue, set_year, clock, settings
    )
