"""The Score journey (/chamdiem): a guided conversation through the criteria of one's department.

Overview → criterion by criterion: the card, the input in the rule's own form, the computed
score to confirm ("Lưu" saves at once), then evidence. The FSM data holds only ids, codes and
the partial input, so a restart (or a pause of days) resumes at the exact step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.data import BotData
from bot.db.models import Answer, Assessment, Person
from bot.errors import CchcError
from bot.services import assessments as svc
from bot.services.people import Role
from criteria.loader import Catalogue
from criteria.schema import (
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    TiersRule,
    YesNoRule,
)
from criteria.scoring import (
    CountInput,
    DeductionInput,
    NotApplicableInput,
    RatioInput,
    RawInput,
    ScoringInputError,
    SumInput,
    TierInput,
    YesNoInput,
    format_points,
    parse_count,
    parse_number,
    parse_ratio,
)
from handlers.ask import hits_keyboard, reply_body, send_long
from handlers.callbacks import MenuCb, ScoreCb
from handlers.cards import criterion_card
from handlers.filters import STAFF, RoleFilter
from handlers.texts import scoring as t
from knowledge.search import SearchIndex

router = Router(name=__name__)
staff = Router(name=f"{__name__}.staff")
staff.message.filter(RoleFilter(*STAFF))
staff.callback_query.filter(RoleFilter(*STAFF))
others = Router(name=f"{__name__}.others")
router.include_routers(staff, others)

PAGE = 10
MAX_TEXT = 2000
_LINK = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


class ScoringFlow(StatesGroup):
    waiting_choice = State()
    waiting_yes_no = State()
    waiting_tier = State()
    waiting_ratio = State()
    waiting_denominator = State()
    waiting_count = State()
    waiting_deductions = State()
    waiting_confirmation = State()
    waiting_evidence = State()
    waiting_explanation = State()
    waiting_question = State()


INPUT_STATES = {
    s.state
    for s in (
        ScoringFlow.waiting_yes_no,
        ScoringFlow.waiting_tier,
        ScoringFlow.waiting_ratio,
        ScoringFlow.waiting_denominator,
        ScoringFlow.waiting_count,
        ScoringFlow.waiting_deductions,
    )
}
STEP_STATES = INPUT_STATES | {
    s.state
    for s in (
        ScoringFlow.waiting_confirmation,
        ScoringFlow.waiting_evidence,
        ScoringFlow.waiting_explanation,
    )
}
STATES = {s.state: s for s in ScoringFlow.__states__}

# Which state a step-bound button belongs to; navigation buttons work from any state.
BUTTON_STATES: dict[str, set[str | None]] = {
    "y": {ScoringFlow.waiting_yes_no.state},
    "n": {ScoringFlow.waiting_yes_no.state},
    "t": {ScoringFlow.waiting_tier.state},
    "z": {ScoringFlow.waiting_deductions.state},
    "na": set(INPUT_STATES),
    "ok": {ScoringFlow.waiting_confirmation.state},
    "re": {ScoringFlow.waiting_confirmation.state},
    "none": {ScoringFlow.waiting_evidence.state},
    "late": {ScoringFlow.waiting_evidence.state},
    "done": {ScoringFlow.waiting_evidence.state},
    "bk": set(STEP_STATES),
    "sk": set(STEP_STATES),
    "ps": set(STEP_STATES),
    "ask": set(STEP_STATES),
}
PART_BOUND = {"y", "n", "t", "z"}
NAVIGATION = {"go", "pick", "miss", "open", "ev", "ov"}


@dataclass(frozen=True)
class Scope:
    """Who is scoring: their unit's assessment and department (None: every department)."""

    assessment_id: int
    unit_name: str
    department: str | None
    department_name: str | None


# --- who, what, where --------------------------------------------------------------------------


async def _scope(
    session: AsyncSession, person: Person | None, role: Role, cset: CriteriaSet
) -> Scope | str:
    """The scorer's scope, or the message saying why they cannot score."""
    if person is None or person.unit is None or person.unit_id is None:
        return t.NO_UNIT
    department: str | None = None
    if role is Role.OFFICER:
        if not person.department or not svc.assigned_leaves(cset, person.department):
            return t.NO_DEPARTMENT if not person.department else t.NOTHING_ASSIGNED
        department = person.department
    async with session.begin():
        assessment = await svc.get_or_create(session, person.unit_id, cset)
        aid = assessment.id
    name = cset.department_name(department) if department else None
    return Scope(aid, person.unit.name, department, name)


@dataclass
class Loaded:
    assessment: Assessment
    progress: svc.Progress
    answers: dict[str, Answer]


async def _load(session: AsyncSession, scope: Scope, cset: CriteriaSet) -> Loaded:
    async with session.begin():
        assessment = await svc.get(session, scope.assessment_id)
        if assessment is None:  # pragma: no cover - assessments are never deleted
            raise CchcError(t.NOT_STARTED)
        found = await svc.answers(session, assessment.id)
        progress = await svc.progress(session, assessment, cset, scope.department)
    return Loaded(assessment, progress, found)


def _line(progress: svc.Progress) -> str:
    return t.progress_line(progress.scored, progress.total, progress.points, progress.max)


def _rule_at(node: Criterion, part: int) -> object:
    if isinstance(node.rule, SumRule):
        return node.rule.parts[min(part, len(node.rule.parts) - 1)].rule
    return node.rule


def _input_state(rule: object) -> State:
    if isinstance(rule, YesNoRule):
        return ScoringFlow.waiting_yes_no
    if isinstance(rule, TiersRule):
        return ScoringFlow.waiting_tier
    if isinstance(rule, RatioRule):
        return ScoringFlow.waiting_ratio
    if isinstance(rule, CountRule):
        return ScoringFlow.waiting_count
    if isinstance(rule, DeductionRule):
        return ScoringFlow.waiting_deductions
    raise CchcError("Tiêu chí này không tự chấm được.")


# --- rendering ---------------------------------------------------------------------------------


def _nav(
    kb: InlineKeyboardBuilder, aid: int, node: Criterion, part: int, *, na: bool = False
) -> None:
    def cb(action: str) -> ScoreCb:
        return ScoreCb(action=action, aid=aid, code=node.code, part=part)

    kb.button(text=t.BTN_BACK, callback_data=cb("bk"))
    kb.button(text=t.BTN_SKIP, callback_data=cb("sk"))
    if na and node.not_applicable is not None:
        kb.button(text=t.BTN_NA, callback_data=cb("na"))
    kb.button(text=t.BTN_ASK, callback_data=cb("ask"))
    kb.button(text=t.BTN_PAUSE, callback_data=cb("ps"))
    kb.button(text=t.BTN_OVERVIEW, callback_data=ScoreCb(action="ov", aid=aid))


def _rows(first: int, nav_count: int) -> list[int]:
    return [*([1] * first), *([2] * ((nav_count + 1) // 2))]


def _input_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    code = data["code"]
    node = svc.criterion(cset, code)
    part = int(data.get("part", 0))
    rule = _rule_at(node, part)
    aid = scope.assessment_id
    lines = [_line(loaded.progress), "", criterion_card(cset, node, source=False), ""]
    ans = loaded.answers.get(code)
    if ans is not None and part == 0 and state != ScoringFlow.waiting_denominator.state:
        if ans.returned_comment:
            lines += [t.returned_note(ans.returned_comment)]
        lines += [t.current_value(Decimal(ans.points), Decimal(ans.max), ans.explanation), ""]
    if isinstance(node.rule, SumRule):
        spec = node.rule.parts[part]
        lines.append(t.part_head(part, len(node.rule.parts), spec.label, spec.max))
    kb = InlineKeyboardBuilder()
    first = 0

    def cb(action: str, value: int = 0) -> ScoreCb:
        return ScoreCb(action=action, aid=aid, code=code, part=part, value=value)

    if isinstance(rule, YesNoRule):
        lines.append(t.yes_no_prompt(rule.question))
        kb.button(text=t.yes_button(rule.if_yes), callback_data=cb("y"))
        kb.button(text=t.no_button(rule.if_no), callback_data=cb("n"))
        first = 2
    elif isinstance(rule, TiersRule):
        lines.append(t.tier_prompt(rule.question))
        for i, tier in enumerate(rule.tiers):
            kb.button(text=t.tier_button(tier.label, tier.points), callback_data=cb("t", i))
        first = len(rule.tiers)
    elif isinstance(rule, RatioRule):
        if state == ScoringFlow.waiting_denominator.state:
            lines.append(t.denominator_prompt(Decimal(data["num"]), rule.denominator))
        else:
            zero = (
                (rule.when_zero_label or f"không có {rule.denominator}")
                if (rule.when_zero is not None)
                else None
            )
            lines.append(t.ratio_prompt(rule.numerator, rule.denominator, zero))
    elif isinstance(rule, CountRule):
        lines.append(t.count_prompt(rule.unit))
    elif isinstance(rule, DeductionRule):
        lines.append(t.deductions_prompt(rule.unit, rule.zero_if))
        if rule.zero_if:
            kb.button(text=t.zero_if_button(rule.zero_if), callback_data=cb("z"))
            first = 1
    _nav(kb, aid, node, part, na=True)
    nav = 5 + (1 if node.not_applicable is not None else 0)
    if first == 2 and isinstance(rule, YesNoRule):
        kb.adjust(2, *_rows(0, nav))
    else:
        kb.adjust(*_rows(first, nav))
    return "\n".join(lines), kb.as_markup()


def _pending_raw(data: dict[str, Any]) -> RawInput:
    return svc.decode_raw(data["pending"])


def _confirm_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    result = svc.preview(node, _pending_raw(data))
    text = "\n".join(
        [
            _line(loaded.progress),
            "",
            f"📌 <b>Tiêu chí {node.code}</b>",
            t.confirm(result.points, result.max, result.explanation),
        ]
    )
    kb = InlineKeyboardBuilder()
    part = int(data.get("part", 0))
    kb.button(
        text=t.BTN_SAVE,
        callback_data=ScoreCb(action="ok", aid=scope.assessment_id, code=node.code),
    )
    kb.button(
        text=t.BTN_AGAIN,
        callback_data=ScoreCb(action="re", aid=scope.assessment_id, code=node.code),
    )
    _nav(kb, scope.assessment_id, node, part)
    kb.adjust(2, 2, 2, 1)
    return text, kb.as_markup()


def _evidence_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    ans = loaded.answers.get(node.code)
    have = len(ans.evidence) if ans is not None else 0
    text = "\n".join(
        [_line(loaded.progress), "", t.evidence_prompt(node.code, node.evidence, have)]
    )
    kb = InlineKeyboardBuilder()
    aid = scope.assessment_id
    kb.button(
        text=t.BTN_NO_EVIDENCE, callback_data=ScoreCb(action="none", aid=aid, code=node.code)
    )
    kb.button(text=t.BTN_LATER, callback_data=ScoreCb(action="late", aid=aid, code=node.code))
    kb.button(text=t.BTN_DONE, callback_data=ScoreCb(action="done", aid=aid, code=node.code))
    _nav(kb, aid, node, 0)
    kb.adjust(2, 1, 2, 2, 1)
    return text, kb.as_markup()


def _explanation_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    text = "\n".join(
        [_line(loaded.progress), "", f"📌 <b>Tiêu chí {node.code}</b>", t.EXPLANATION_PROMPT]
    )
    kb = InlineKeyboardBuilder()
    _nav(kb, scope.assessment_id, node, 0)
    kb.adjust(2, 2, 1)
    return text, kb.as_markup()


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
        progress.locked,
    )
    if not progress.pending and not progress.locked:
        text += "\n\n" + t.ALL_DONE
    aid = scope.assessment_id
    kb = InlineKeyboardBuilder()
    if progress.pending and not progress.locked:
        kb.button(text=t.BTN_CONTINUE, callback_data=ScoreCb(action="go", aid=aid))
    kb.button(text=t.BTN_PICK, callback_data=ScoreCb(action="pick", aid=aid))
    if progress.missing_evidence and not progress.locked:
        kb.button(text=t.BTN_MISSING, callback_data=ScoreCb(action="miss", aid=aid))
    kb.adjust(1)
    return text, kb.as_markup()


def _view(
    state: str, cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    if state in INPUT_STATES:
        return _input_view(cset, scope, loaded, data, state)
    if state == ScoringFlow.waiting_confirmation.state:
        return _confirm_view(cset, scope, loaded, data)
    if state == ScoringFlow.waiting_evidence.state:
        return _evidence_view(cset, scope, loaded, data)
    if state == ScoringFlow.waiting_explanation.state:
        return _explanation_view(cset, scope, loaded, data)
    return _overview_view(scope, loaded)


async def _show(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    *,
    prefix: str | None = None,
) -> None:
    """Show the current step (as the FSM says) with the progress line."""
    current = await state.get_state() or str(ScoringFlow.waiting_choice.state)
    data = await state.get_data()
    loaded = await _load(session, scope, cset)
    text, markup = _view(current, cset, scope, loaded, data)
    await send_long(message, f"{prefix}\n\n{text}" if prefix else text, markup)


# --- moving around -----------------------------------------------------------------------------


async def _set(state: FSMContext, target: State, **changes: Any) -> None:
    await state.update_data(**changes)
    await state.set_state(target)


async def _set_fresh(state: FSMContext, target: State, scope: Scope, code: str | None) -> None:
    """Enter ``target`` on criterion ``code`` (None: the overview) with no step input left."""
    await _set(
        state,
        target,
        aid=scope.assessment_id,
        code=code,
        part=0,
        parts=[],
        num=None,
        pending=None,
        paused=None,
        ret=None,
    )


async def _open(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    code: str,
    *,
    prefix: str | None = None,
) -> None:
    """Start (or redo) criterion ``code`` at its first input."""
    loaded = await _load(session, scope, cset)
    if loaded.progress.locked:
        await _overview(message, state, session, cset, scope)
        return
    node = svc.criterion(cset, code, scope.department)
    await _set_fresh(state, _input_state(_rule_at(node, 0)), scope, code)
    await _show(message, state, session, cset, scope, prefix=prefix)


async def _overview(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    *,
    prefix: str | None = None,
) -> None:
    await _set_fresh(state, ScoringFlow.waiting_choice, scope, None)
    await _show(message, state, session, cset, scope, prefix=prefix)


async def _advance(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    *,
    prefix: str | None = None,
) -> None:
    """On to the next criterion still to do, or the overview when all is done."""
    data = await state.get_data()
    loaded = await _load(session, scope, cset)
    progress = loaded.progress
    code = svc.next_code(
        progress.codes, progress.pending, data.get("code"), data.get("skipped") or []
    )
    if code is None or progress.locked:
        await _overview(message, state, session, cset, scope, prefix=prefix)
        return
    await _open(message, state, session, cset, scope, code, prefix=prefix)


async def _after_input(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    raw: RawInput,
) -> None:
    """One answer (or one part of it) typed or pressed: validate, then go on or confirm.

    A bad answer raises ``BadScoringInput`` before anything changes.
    """
    data = await state.get_data()
    node = svc.criterion(cset, data["code"], scope.department)
    part = int(data.get("part", 0))
    if isinstance(node.rule, SumRule) and not isinstance(raw, NotApplicableInput):
        svc.preview(svc.part_criterion(node, part), raw)
        parts = [*data.get("parts", [])[:part], svc.encode_raw(raw)]
        if len(parts) < len(node.rule.parts):
            await _set(
                state, _input_state(_rule_at(node, part + 1)), part=part + 1, parts=parts, num=None
            )
            await _show(message, state, session, cset, scope)
            return
        leaves = [svc.decode_raw(p) for p in parts]
        raw = SumInput(
            tuple(x for x in leaves if not isinstance(x, SumInput | NotApplicableInput))
        )
        svc.preview(node, raw)
        await _set(
            state, ScoringFlow.waiting_confirmation, parts=parts, pending=svc.encode_raw(raw)
        )
    else:
        svc.preview(node, raw)
        await _set(state, ScoringFlow.waiting_confirmation, pending=svc.encode_raw(raw), num=None)
    await _show(message, state, session, cset, scope)


async def _bad(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    error: str,
) -> None:
    await _show(message, state, session, cset, scope, prefix=f"⚠️ {error}")


# --- entry points ------------------------------------------------------------------------------


async def _begin(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    cset = catalogue.current
    scope = await _scope(session, person, role, cset)
    if isinstance(scope, str):
        await message.answer(scope)
        return
    current = await state.get_state()
    data = await state.get_data()
    if data.get("aid") != scope.assessment_id:
        await _overview(message, state, session, cset, scope)
        return
    if current == ScoringFlow.waiting_question.state and data.get("ret") in STEP_STATES:
        current = data["ret"]
        await state.set_state(STATES[current])
    elif current is None and data.get("paused") in STEP_STATES:
        current = data["paused"]
        await state.set_state(STATES[current])
    if current in STEP_STATES and data.get("code"):
        await state.update_data(paused=None, ret=None)
        await _show(message, state, session, cset, scope, prefix=t.RESUMED)
        return
    await _overview(message, state, session, cset, scope)


@staff.message(Command("chamdiem"))
async def start_scoring(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    await _begin(message, state, session, person, role, catalogue)


@staff.callback_query(MenuCb.filter(F.action == "score"))
async def menu_score(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _begin(query.message, state, session, person, role, catalogue)


@others.message(Command("chamdiem"))
async def guest_scoring(message: Message) -> None:
    await message.answer(t.GUEST)


@others.callback_query(MenuCb.filter(F.action == "score"))
@others.callback_query(ScoreCb.filter())
async def guest_button(query: CallbackQuery) -> None:
    await query.answer(t.GUEST, show_alert=True)


# --- buttons -----------------------------------------------------------------------------------


@staff.callback_query(ScoreCb.filter())
async def on_button(
    query: CallbackQuery,
    callback_data: ScoreCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
) -> None:
    cset = catalogue.current
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t.STALE, show_alert=True)
        return
    scope = await _scope(session, person, role, cset)
    if isinstance(scope, str):
        await query.answer(scope, show_alert=True)
        return
    cb = callback_data
    codes = {c.code for c in svc.assigned_leaves(cset, scope.department)}
    if cb.aid != scope.assessment_id or (cb.code and cb.code not in codes):
        await query.answer(t.FORBIDDEN, show_alert=True)
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
    await query.answer()
    await _act(message, cb, current, state, session, cset, scope, query.from_user.id, clock)


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
        await _advance(message, state, session, cset, scope)
    elif action == "pick":
        await _pick(message, state, session, cset, scope, cb.value)
    elif action == "miss":
        await _missing(message, state, session, cset, scope)
    elif action == "open":
        await _open(message, state, session, cset, scope, cb.code)
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
        async with session.begin():
            assessment = await _assessment(session, scope)
            await svc.mark_evidence_later(
                session, assessment=assessment, code=cb.code, author=user_id, now=clock.now()
            )
        await _advance(message, state, session, cset, scope, prefix=t.EVIDENCE_LATER)
    elif action == "done":
        await _advance(message, state, session, cset, scope)
    elif action == "sk":
        data = await state.get_data()
        skipped = [c for c in data.get("skipped") or [] if c != cb.code] + [cb.code]
        await state.update_data(skipped=skipped)
        await _advance(message, state, session, cset, scope, prefix=t.SKIPPED)
    elif action == "bk":
        await _back(message, current, state, session, cset, scope)
    elif action == "ps":
        await state.update_data(paused=current)
        await state.set_state(None)
        await message.answer(t.PAUSED)
    elif action == "ask":
        await state.update_data(ret=current)
        await state.set_state(ScoringFlow.waiting_question)
        await message.answer(t.ASK_PROMPT)


def _button_input(cset: CriteriaSet, cb: ScoreCb) -> RawInput:
    if cb.action == "na":
        return NotApplicableInput()
    if cb.action in ("y", "n"):
        return YesNoInput(cb.action == "y")
    if cb.action == "t":
        try:
            return TierInput(cb.value)
        except ScoringInputError as exc:
            raise svc.BadScoringInput(exc.message) from exc
    return DeductionInput(0, zero=True)


async def _assessment(session: AsyncSession, scope: Scope) -> Assessment:
    assessment = await svc.get(session, scope.assessment_id)
    if assessment is None:  # pragma: no cover - assessments are never deleted
        raise CchcError(t.NOT_STARTED)
    return assessment


async def _save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    user_id: int,
    clock: Clock,
) -> None:
    data = await state.get_data()
    raw = _pending_raw(data)
    async with session.begin():
        assessment = await _assessment(session, scope)
        saved = await svc.save_answer(
            session,
            assessment=assessment,
            cset=cset,
            code=data["code"],
            raw=raw,
            author=user_id,
            now=clock.now(),
        )
        note = t.saved(saved.code, saved.points, saved.max)
    skipped = [c for c in data.get("skipped") or [] if c != data["code"]]
    await _set(state, ScoringFlow.waiting_evidence, pending=None, parts=[], skipped=skipped)
    await _show(message, state, session, cset, scope, prefix=note)


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
        codes = list(svc.assigned_leaves(cset, scope.department))
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


async def _pick(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    page: int,
) -> None:
    loaded = await _load(session, scope, cset)
    leaves = svc.assigned_leaves(cset, scope.department)
    pages = max(1, -(-len(leaves) // PAGE))
    page = min(max(page, 0), pages - 1)
    kb = InlineKeyboardBuilder()
    aid = scope.assessment_id
    for node in leaves[page * PAGE : (page + 1) * PAGE]:
        ans = loaded.answers.get(node.code)
        if ans is None:
            mark, points = "⬜", None
        else:
            mark = "↩️" if ans.returned_comment else "✅"
            points = f"{format_points(Decimal(ans.points))}/{format_points(Decimal(ans.max))}"
        kb.button(
            text=t.pick_label(node.code, node.title, mark, points),
            callback_data=ScoreCb(action="open", aid=aid, code=node.code),
        )
    nav = 0
    if page > 0:
        kb.button(
            text=t.BTN_PREV_PAGE, callback_data=ScoreCb(action="pick", aid=aid, value=page - 1)
        )
        nav += 1
    if page < pages - 1:
        kb.button(
            text=t.BTN_NEXT_PAGE, callback_data=ScoreCb(action="pick", aid=aid, value=page + 1)
        )
        nav += 1
    kb.button(text=t.BTN_OVERVIEW, callback_data=ScoreCb(action="ov", aid=aid))
    shown = len(leaves[page * PAGE : (page + 1) * PAGE])
    kb.adjust(*([1] * shown), *([nav] if nav else []), 1)
    await state.set_state(ScoringFlow.waiting_choice)
    await state.update_data(aid=aid)
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
    nodes = cset.by_code()
    kb = InlineKeyboardBuilder()
    for code in loaded.progress.missing_evidence:
        kb.button(
            text=t.pick_label(code, nodes[code].title, "📎", None),
            callback_data=ScoreCb(action="ev", aid=aid, code=code),
        )
    kb.button(text=t.BTN_OVERVIEW, callback_data=ScoreCb(action="ov", aid=aid))
    kb.adjust(1)
    await state.set_state(ScoringFlow.waiting_choice)
    await message.answer(
        f"{_line(loaded.progress)}\n\n{t.MISSING_TITLE}", reply_markup=kb.as_markup()
    )


async def _open_evidence(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    code: str,
) -> None:
    loaded = await _load(session, scope, cset)
    if code not in loaded.answers:
        await message.answer(t.NOT_SCORED_YET)
        return
    if loaded.progress.locked:
        await _overview(message, state, session, cset, scope)
        return
    await _set(
        state,
        ScoringFlow.waiting_evidence,
        aid=scope.assessment_id,
        code=code,
        part=0,
        parts=[],
        num=None,
        pending=None,
    )
    await _show(message, state, session, cset, scope)


# --- typed input -------------------------------------------------------------------------------

_TEXT = F.text & ~F.text.startswith("/")


async def _scope_or_say(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    cset: CriteriaSet,
) -> Scope | None:
    scope = await _scope(session, person, role, cset)
    if isinstance(scope, str):
        await message.answer(scope)
        return None
    data = await state.get_data()
    if data.get("aid") != scope.assessment_id or not data.get("code"):
        await state.clear()
        await message.answer(t.NOT_STARTED)
        return None
    return scope


@staff.message(ScoringFlow.waiting_ratio, _TEXT)
@staff.message(ScoringFlow.waiting_denominator, _TEXT)
@staff.message(ScoringFlow.waiting_count, _TEXT)
@staff.message(ScoringFlow.waiting_deductions, _TEXT)
async def typed_number(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    cset = catalogue.current
    scope = await _scope_or_say(message, state, session, person, role, cset)
    if scope is None:
        return
    current = await state.get_state()
    data = await state.get_data()
    text = (message.text or "").strip()
    raw: RawInput
    try:
        if current == ScoringFlow.waiting_ratio.state:
            if "/" not in text and len(text.split()) == 1:
                numerator = parse_number(text)
                await _set(state, ScoringFlow.waiting_denominator, num=str(numerator))
                await _show(message, state, session, cset, scope)
                return
            num, den = parse_ratio(text)
            raw = RatioInput(num, den)
        elif current == ScoringFlow.waiting_denominator.state:
            raw = RatioInput(Decimal(data["num"]), parse_number(text))
        elif current == ScoringFlow.waiting_count.state:
            raw = CountInput(parse_count(text))
        else:
            raw = DeductionInput(parse_count(text))
        await _after_input(message, state, session, cset, scope, raw)
    except ScoringInputError as exc:
        await _bad(message, state, session, cset, scope, exc.message)
    except svc.BadScoringInput as exc:
        await _bad(message, state, session, cset, scope, exc.user_message)


def _evidence_of(message: Message) -> tuple[str, str | None, str | None, str | None] | None:
    """(kind, text, file_id, file_name) of an evidence message, or None."""
    if message.document is not None:
        doc = message.document
        return "file", message.caption, doc.file_id, doc.file_name or "tep"
    if message.photo:
        photo = message.photo[-1]
        return "photo", message.caption, photo.file_id, f"anh-{photo.file_unique_id}.jpg"
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        return None
    return ("link" if _LINK.match(text) else "text"), text, None, None


@staff.message(ScoringFlow.waiting_evidence, F.text | F.document | F.photo)
async def evidence_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
) -> None:
    cset = catalogue.current
    found = _evidence_of(message)
    if found is None:
        await _unexpected(message, state, session, person, role, catalogue)
        return
    scope = await _scope_or_say(message, state, session, person, role, cset)
    if scope is None:
        return
    kind, text, file_id, file_name = found
    if text and len(text) > MAX_TEXT:
        await _bad(message, state, session, cset, scope, t.TOO_LONG)
        return
    code = (await state.get_data())["code"]
    user_id = message.from_user.id if message.from_user else 0
    async with session.begin():
        assessment = await _assessment(session, scope)
        await svc.add_evidence(
            session,
            assessment=assessment,
            code=code,
            kind=kind,
            text=text,
            file_id=file_id,
            file_name=file_name,
            author=user_id,
            now=clock.now(),
        )
        count = len((await svc.answers(session, assessment.id))[code].evidence)
    what = file_name if kind in svc.FILE_KINDS else (text or "")
    # A photo is announced as a file ("tệp") like before; it is stored as "photo" to be sent back.
    shown = "file" if kind == "photo" else kind
    await _show(
        message, state, session, cset, scope, prefix=t.evidence_added(shown, what or "", count)
    )


@staff.message(ScoringFlow.waiting_explanation, _TEXT)
async def explanation_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
) -> None:
    cset = catalogue.current
    scope = await _scope_or_say(message, state, session, person, role, cset)
    if scope is None:
        return
    text = (message.text or "").strip()
    if len(text) > MAX_TEXT:
        await _bad(message, state, session, cset, scope, t.TOO_LONG)
        return
    code = (await state.get_data())["code"]
    user_id = message.from_user.id if message.from_user else 0
    async with session.begin():
        assessment = await _assessment(session, scope)
        await svc.set_explanation(
            session, assessment=assessment, code=code, text=text, author=user_id, now=clock.now()
        )
    await _advance(message, state, session, cset, scope, prefix=t.EXPLANATION_SAVED)


@staff.message(ScoringFlow.waiting_question, _TEXT)
async def question_mid_way(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    index: SearchIndex,
    bot_data: BotData,
) -> None:
    cset = catalogue.current
    scope = await _scope_or_say(message, state, session, person, role, cset)
    if scope is None:
        return
    text = (message.text or "").strip()[:1000]
    result = index.search(text, top=4)
    body = reply_body(result, bot_data, catalogue)
    if body is not None:
        await send_long(message, body, None)
    elif result.decision == "clarify" and result.results:
        await message.answer(t.ASK_CLARIFY, reply_markup=hits_keyboard(result.results[:3]))
    else:
        await message.answer(t.ASK_NONE)
    data = await state.get_data()
    back = data.get("ret")
    if back in STEP_STATES:
        await state.set_state(STATES[back])
    else:
        await state.set_state(ScoringFlow.waiting_choice)
    await state.update_data(ret=None)
    await _show(message, state, session, cset, scope, prefix=t.BACK_TO_STEP)


# --- bad input -------------------------------------------------------------------------------


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
    catalogue: Catalogue,
) -> None:
    await _unexpected(message, state, session, person, role, catalogue)


async def _unexpected(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
) -> None:
    cset = catalogue.current
    current = await state.get_state()
    if current == ScoringFlow.waiting_choice.state:
        scope = await _scope(session, person, role, cset)
        if isinstance(scope, str):
            await message.answer(scope)
            return
        await _show(message, state, session, cset, scope, prefix=f"⚠️ {t.USE_BUTTONS}")
        return
    scope_or_none = await _scope_or_say(message, state, session, person, role, cset)
    if scope_or_none is None:
        return
    buttons = current in (
        ScoringFlow.waiting_yes_no.state,
        ScoringFlow.waiting_tier.state,
        ScoringFlow.waiting_confirmation.state,
    )
    if current == ScoringFlow.waiting_question.state:
        await message.answer(t.NOT_TEXT)
        return
    error = t.USE_BUTTONS if buttons and message.text else t.NOT_TEXT
    if buttons and not message.text:
        error = t.USE_BUTTONS
    await _bad(message, state, session, cset, scope_or_none, error)
