"""Score journey: the buttons (checked against the step they belong to, then acted on), going
back a step, a question asked mid-way, and anything unexpected."""

from __future__ import annotations

from dataclasses import replace

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.data import BotData
from bot.db.models import Assessment, Person
from bot.errors import CchcError
from bot.services import assessments as svc
from bot.services import scoring as store
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from bot.storage import step_transaction
from criteria.schema import CriteriaSet, SumRule
from handlers.ask import hits_keyboard, reply_body, send_long
from handlers.callbacks import ScoreCb
from handlers.scoring.confirm import _save
from handlers.scoring.evidence import _open_evidence, evidence_button
from handlers.scoring.input import _after_input, _button_input
from handlers.scoring.overview import _missing, _pick, _read_only
from handlers.scoring.steps import (
    _TEXT,
    BUTTON_STATES,
    INPUT_STATES,
    NAVIGATION,
    PART_BOUND,
    READ_ONLY,
    STAFF_BUTTONS,
    STAFF_ROUTER,
    STATES,
    STEP_STATES,
    Scope,
    ScoringFlow,
    _advance,
    _advance_set,
    _bad,
    _continue,
    _input_state,
    _open,
    _overview,
    _rule_at,
    _scope,
    _scope_or_say,
    _set,
    _show,
    _show_locked,
    _snapshot,
    _unexpected,
)
from handlers.texts import scoring as t
from knowledge.search import SearchIndex

staff = STAFF_ROUTER  # one router for every step (see handlers/scoring/__init__.py)


# --- buttons -----------------------------------------------------------------------------------


@STAFF_BUTTONS.callback_query(ScoreCb.filter())
async def on_button(
    query: CallbackQuery,
    callback_data: ScoreCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    clock: Clock,
    settings: Settings,
) -> None:
    cset = set_year.cset
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t.STALE, show_alert=True)
        return
    scope = await _scope(session, person, role, cset, settings.tz)
    if isinstance(scope, str):
        await query.answer(scope, show_alert=True)
        return
    cb = callback_data
    codes = store.plan_codes(cset, scope.department)
    if cb.aid != scope.assessment_id:
        # A button of the unit's own assessment of a past year (pressed after the yearly
        # rollover) says that year is closed; any other is not the scorer's.
        old = await session.get(Assessment, cb.aid)
        past = old is not None and old.unit_id == scope.unit_id and old.status == svc.CLOSED
        closed = svc.AssessmentClosed(old.year).user_message if past and old else None
        await query.answer(closed or t.FORBIDDEN, show_alert=True)
        return
    if cb.code and cb.code not in codes:
        await query.answer(t.FORBIDDEN, show_alert=True)
        return
    if scope.locked and cb.action not in READ_ONLY:
        # The one answer to this press is the lock notice; the overview follows as a message.
        await query.answer(t.LOCKED_ALERT, show_alert=True)
        await _show_locked(message, state, session, cset, scope)
        return
    current = await state.get_state()
    data = await state.get_data()
    if cb.action not in NAVIGATION:
        allowed = BUTTON_STATES.get(cb.action)
        fresh = (
            allowed is not None
            and current in allowed
            and data.get("aid") == scope.assessment_id
            and data.get("code") == cb.code
            and (cb.action not in PART_BOUND or int(data.get("part", 0)) == cb.part)
        )
        if not fresh:
            await query.answer(t.STALE, show_alert=True)
            return
    # The reads took no lock (SQLite begins a transaction at the first write; PostgreSQL reads
    # at READ COMMITTED): the step's writes and its FSM move commit them, once.
    await query.answer()
    try:
        await _act(message, cb, current, state, session, cset, scope, query.from_user.id, clock)
    except CchcError as exc:
        # The press is answered already (Telegram drops a second answer): say it as a message.
        # Locked between reading the scope and saving: the read-only overview, as above.
        if isinstance(exc, svc.AssessmentLocked):
            await _show_locked(message, state, session, cset, replace(scope, locked=True))
        else:
            await message.answer(exc.user_message, parse_mode=None)


async def _act(
    message: Message,
    cb: ScoreCb,
    current: str | None,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    user_id: int,
    clock: Clock,
) -> None:
    action = cb.action
    if action == "ov":
        await _overview(message, state, session, cset, scope)
    elif action == "go":
        await _continue(message, current, state, session, cset, scope)
    elif action == "pick":
        await _pick(message, state, session, cset, scope, cb.value)
    elif action == "miss":
        await _missing(message, state, session, cset, scope)
    elif action == "open":
        await _open(message, state, session, cset, scope, cb.code)
    elif action == "ro":
        await _read_only(message, session, cset, scope)
    elif action == "ev":
        await _open_evidence(message, state, session, cset, scope, cb.code)
    elif action in ("y", "n", "t", "z", "na"):
        raw = _button_input(cset, cb)
        try:
            await _after_input(message, state, session, cset, scope, raw)
        except svc.BadScoringInput as exc:
            await _bad(message, state, session, cset, scope, exc.user_message)
    elif action == "ok":
        await _save(message, state, session, cset, scope, user_id, clock)
    elif action == "re":
        await _open(message, state, session, cset, scope, cb.code)
    elif action == "none":
        await state.set_state(ScoringFlow.waiting_explanation)
        await _show(message, state, session, cset, scope)
    elif action == "late":
        snap = await _snapshot(session, scope, cset)
        # The flag and the move to the next criterion: one transaction, one commit.
        async with step_transaction(session):
            await store.mark_evidence_later(
                session, snap, code=cb.code, author=user_id, now=clock.now()
            )
            await _advance_set(state, session, cset, scope)
        await _show(message, state, session, cset, scope, prefix=t.evidence_later(cb.code))
    elif action in ("ek", "ex", "ee", "ed", "ru"):
        await evidence_button(
            message, action, cb.value, state, session, cset, scope, user_id, clock
        )
    elif action == "done":
        await _advance(message, state, session, cset, scope)
    elif action == "sk":
        data = await state.get_data()
        skipped = [c for c in data.get("skipped") or [] if c != cb.code] + [cb.code]
        await state.update_data(skipped=skipped)
        await _advance(message, state, session, cset, scope, prefix=t.skipped(cb.code))
    elif action == "bk":
        await _back(message, current, state, session, cset, scope)
    elif action == "ps":
        await _set(state, None, paused=current)
        await message.answer(t.PAUSED)
    elif action == "ask":
        await _set(state, ScoringFlow.waiting_question, ret=current)
        await message.answer(t.ASK_PROMPT)


async def _back(
    message: Message,
    current: str | None,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
) -> None:
    data = await state.get_data()
    code = data["code"]
    node = svc.criterion(cset, code, scope.department)
    part = int(data.get("part", 0))
    if current == ScoringFlow.waiting_denominator.state:
        await _set(state, ScoringFlow.waiting_ratio, num=None)
    elif current in INPUT_STATES and part > 0:
        await _set(
            state,
            _input_state(_rule_at(node, part - 1)),
            part=part - 1,
            parts=data.get("parts", [])[: part - 1],
            num=None,
        )
    elif current in INPUT_STATES:
        codes = store.leaves_of(cset, scope.department)
        index = [c.code for c in codes].index(code)
        if index == 0:
            await _overview(message, state, session, cset, scope)
        else:
            await _open(message, state, session, cset, scope, codes[index - 1].code)
        return
    elif current == ScoringFlow.waiting_confirmation.state:
        pending = data.get("pending") or {}
        if isinstance(node.rule, SumRule) and pending.get("kind") == "sum":
            last = len(node.rule.parts) - 1
            await _set(
                state,
                _input_state(_rule_at(node, last)),
                part=last,
                parts=data.get("parts", [])[:last],
                pending=None,
            )
        else:
            await _set(
                state, _input_state(_rule_at(node, 0)), part=0, parts=[], pending=None, num=None
            )
    elif current == ScoringFlow.waiting_evidence.state:
        await _open(message, state, session, cset, scope, code)
        return
    elif current == ScoringFlow.waiting_explanation.state:
        await state.set_state(ScoringFlow.waiting_evidence)
    await _show(message, state, session, cset, scope)


# --- a question mid-way, bad input -------------------------------------------------------------


@staff.message(ScoringFlow.waiting_question, _TEXT)
async def question_mid_way(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    set_index: SearchIndex,
    bot_data: BotData,
    settings: Settings,
) -> None:
    cset = set_year.cset
    # A question is answered even when the assessment was locked meanwhile (reading only).
    scope = await _scope_or_say(
        message, state, session, person, role, cset, settings.tz, allow_locked=True
    )
    if scope is None:
        return
    text = (message.text or "").strip()[:1000]
    result = set_index.search(text, top=4)
    body = reply_body(result, bot_data, cset)
    if body is not None:
        await send_long(message, body, None)
    elif result.decision == "clarify" and result.results:
        await message.answer(t.ASK_CLARIFY, reply_markup=hits_keyboard(result.results[:3]))
    else:
        await message.answer(t.ASK_NONE)
    if scope.locked:
        await _show_locked(message, state, session, cset, scope)
        return
    data = await state.get_data()
    back = data.get("ret")
    target = STATES[back] if back in STEP_STATES else ScoringFlow.waiting_choice
    await _set(state, target, ret=None)
    await _show(message, state, session, cset, scope, prefix=t.BACK_TO_STEP)


@staff.message(ScoringFlow.waiting_choice, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_yes_no, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_tier, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_confirmation, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_ratio, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_denominator, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_count, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_deductions, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_evidence, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_explanation, ~F.text.startswith("/"))
@staff.message(ScoringFlow.waiting_question, ~F.text.startswith("/"))
async def unexpected(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    settings: Settings,
) -> None:
    await _unexpected(message, state, session, person, role, set_year, settings.tz)
