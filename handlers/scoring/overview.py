"""Score journey: /chamdiem and the menu button, the overview, the criteria list and the list of
criteria still missing evidence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.errors import CchcError
from bot.services import scoring as store
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from criteria.schema import CriteriaSet
from criteria.scoring import format_points
from handlers.ask import send_long
from handlers.callbacks import MenuCb, ScoreCb
from handlers.scoring.keys import Keys, score_cb
from handlers.scoring.steps import (
    OTHERS_BUTTONS,
    PAGE,
    STAFF_ROUTER,
    Loaded,
    Scope,
    ScoringFlow,
    _line,
    _load,
    _overview,
    _resume,
    _scope,
    _set,
    _show_locked,
    _snapshot,
    _step_in_progress,
    register_view,
)
from handlers.texts import scoring as t

staff = STAFF_ROUTER  # one router for every step (see handlers/scoring/__init__.py)
others = Router(name=f"{__name__}.others")


def _overview_view(scope: Scope, loaded: Loaded) -> tuple[str, InlineKeyboardMarkup]:
    progress = loaded.progress
    areas = [(a.code, a.title, a.scored, a.total, a.points, a.max) for a in progress.areas]
    returned = [(c, loaded.answers[c].returned_comment or "") for c in progress.returned]
    text = t.overview(
        t.scope_name(scope.unit_name, scope.department_name),
        _line(progress),
        areas,
        progress.missing_evidence,
        returned,
        loaded.lock_notice(scope.tz),
    )
    if not progress.pending and not progress.locked:
        text += "\n\n" + t.ALL_DONE
    aid = scope.assessment_id
    kb = Keys()
    if progress.pending and not progress.locked:
        kb.button(text=t.BTN_CONTINUE, callback_data=score_cb(action="go", aid=aid))
    kb.button(text=t.BTN_PICK, callback_data=score_cb(action="pick", aid=aid))
    if progress.missing_evidence and not progress.locked:
        kb.button(text=t.BTN_MISSING, callback_data=score_cb(action="miss", aid=aid))
    if progress.locked:
        kb.button(text=t.BTN_READ_ONLY, callback_data=score_cb(action="ro", aid=aid))
    kb.adjust(1)
    return text, kb.as_markup()


def _overview_step(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    return _overview_view(scope, loaded)


register_view(_overview_step, ScoringFlow.waiting_choice)


# --- entry points ------------------------------------------------------------------------------


async def _begin(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
) -> None:
    cset = set_year.cset
    scope = await _scope(session, person, role, cset, settings.tz)
    if isinstance(scope, str):
        await message.answer(scope)
        return
    current = await state.get_state()
    data = await state.get_data()
    if data.get("aid") != scope.assessment_id:
        await _overview(message, state, session, cset, scope)
        return
    if scope.locked:
        # Not the editable-looking step: say it is locked, by whom and when (the step is kept
        # to resume once the coordinator reopens it).
        await _show_locked(message, state, session, cset, scope)
        return
    step = _step_in_progress(current, data, scope)
    if step is not None:
        await _resume(message, state, session, cset, scope, step)
        return
    await _overview(message, state, session, cset, scope)


@staff.message(Command("chamdiem"))
async def start_scoring(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
) -> None:
    await _begin(message, state, session, person, role, set_year, settings)


@staff.callback_query(MenuCb.filter(F.action == "score"))
async def menu_score(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        try:
            await _begin(query.message, state, session, person, role, set_year, settings)
        except CchcError as exc:  # answered already: a second answer would be dropped
            await query.message.answer(exc.user_message, parse_mode=None)


@others.message(Command("chamdiem"))
async def guest_scoring(message: Message) -> None:
    await message.answer(t.GUEST)


@others.callback_query(MenuCb.filter(F.action == "score"))
@OTHERS_BUTTONS.callback_query(ScoreCb.filter())
async def guest_button(query: CallbackQuery) -> None:
    await query.answer(t.GUEST, show_alert=True)


# --- lists -------------------------------------------------------------------------------------


async def _pick(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    page: int,
) -> None:
    loaded = await _load(session, scope, cset)
    leaves = store.leaves_of(cset, scope.department)
    pages = max(1, -(-len(leaves) // PAGE))
    page = min(max(page, 0), pages - 1)
    kb = Keys()
    aid = scope.assessment_id
    for node in leaves[page * PAGE : (page + 1) * PAGE]:
        ans = loaded.answers.get(node.code)
        if ans is None:
            mark, points = "⬜", None
        else:
            mark = "↩️" if ans.returned_comment else "✅"
            points = f"{format_points(Decimal(ans.points))}/{format_points(Decimal(ans.max))}"
            if ans.excluded:
                points = "không phát sinh"
        kb.button(
            text=t.pick_label(node.code, node.title, mark, points),
            callback_data=score_cb(action="open", aid=aid, code=node.code),
        )
    nav = 0
    if page > 0:
        kb.button(
            text=t.BTN_PREV_PAGE, callback_data=score_cb(action="pick", aid=aid, value=page - 1)
        )
        nav += 1
    if page < pages - 1:
        kb.button(
            text=t.BTN_NEXT_PAGE, callback_data=score_cb(action="pick", aid=aid, value=page + 1)
        )
        nav += 1
    kb.button(text=t.BTN_OVERVIEW, callback_data=score_cb(action="ov", aid=aid))
    shown = len(leaves[page * PAGE : (page + 1) * PAGE])
    kb.adjust(*([1] * shown), *([nav] if nav else []), 1)
    await _set(state, ScoringFlow.waiting_choice, aid=aid)
    await message.answer(
        f"{_line(loaded.progress)}\n\n{t.pick_title(page, pages)}", reply_markup=kb.as_markup()
    )


async def _missing(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
) -> None:
    loaded = await _load(session, scope, cset)
    aid = scope.assessment_id
    if not loaded.progress.missing_evidence:
        await _overview(message, state, session, cset, scope, prefix=t.NO_MISSING)
        return
    nodes = cset._codes()
    kb = Keys()
    for code in loaded.progress.missing_evidence:
        kb.button(
            text=t.pick_label(code, nodes[code].title, "📎", None),
            callback_data=score_cb(action="ev", aid=aid, code=code),
        )
    kb.button(text=t.BTN_OVERVIEW, callback_data=score_cb(action="ov", aid=aid))
    kb.adjust(1)
    await state.set_state(ScoringFlow.waiting_choice)
    await message.answer(
        f"{_line(loaded.progress)}\n\n{t.MISSING_TITLE}", reply_markup=kb.as_markup()
    )


async def _read_only(
    message: Message, session: AsyncSession, cset: CriteriaSet, scope: Scope
) -> None:
    """Every criterion of the scope as saved: points, how they were computed, evidence."""
    loaded = await _load(session, scope, cset)
    await store.all_evidence(session, await _snapshot(session, scope, cset))
    items = []
    for node in store.leaves_of(cset, scope.department):
        ans = loaded.answers.get(node.code)
        if ans is None:
            items.append(t.read_only_item(node.code, node.title, None, None, "", 0, None))
            continue
        items.append(
            t.read_only_item(
                node.code,
                node.title,
                Decimal(ans.points),
                Decimal(ans.max),
                ans.explanation,
                len(ans.evidence or ()),
                ans.explanation_text,
                excluded=ans.excluded,
            )
        )
    head = loaded.lock_notice(scope.tz) or ""
    await send_long(message, t.read_only(_line(loaded.progress), head, items), None)
