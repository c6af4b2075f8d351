"""Shared step machinery of the Score journey (/chamdiem): the FSM states, who is scoring,
loading the assessment, the view registry, moving between steps and bad input.

The FSM data holds only ids, codes and the partial input, so a restart (or a pause of days)
resumes at the exact step. Each step module (overview, input, confirm, evidence, navigation)
registers the view of its states here and owns its handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Assessment, Evidence, Person, utcnow
from bot.errors import CchcError
from bot.services import assessments as svc
from bot.services import scoring as store
from bot.services.people import Role
from bot.services.years import SetYear
from bot.storage import set_step
from criteria.schema import (
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    TiersRule,
    YesNoRule,
    _memo,
)
from handlers.ask import send_long
from handlers.cards import criterion_card
from handlers.filters import STAFF, RoleFilter
from handlers.scoring.keys import Keys, score_cb
from handlers.texts import scoring as t

PAGE = 10
MAX_TEXT = 2000


def staff_router(name: str) -> Router:
    """The router of one step module, reachable by staff only."""
    router = Router(name=name)
    router.message.filter(RoleFilter(*STAFF))
    router.callback_query.filter(RoleFilter(*STAFF))
    return router


# Every step module registers its handlers on this one router (a router per module cost a
# traversal of each, with its role check, for every scoring update). Handlers are tried in
# the order the modules register them: navigation, whose catch-alls must come after every
# step's handlers, imports the other step modules before registering its own.
STAFF_ROUTER = staff_router("handlers.scoring.staff")

# The Score journey's buttons (``sc:`` callback data, which no other router takes) on a router
# of their own, tried right after the free-text question (handlers.routers): a press no longer
# walks the other journeys' callback filters first. Staff presses go to the step machinery,
# anyone else's to the guests' answer (handlers/scoring/overview.py), as on the journey's
# router.
BUTTONS_ROUTER = Router(name="handlers.scoring.buttons")
STAFF_BUTTONS = staff_router("handlers.scoring.buttons.staff")
OTHERS_BUTTONS = Router(name="handlers.scoring.buttons.others")
BUTTONS_ROUTER.include_routers(STAFF_BUTTONS, OTHERS_BUTTONS)


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
    "ek": {ScoringFlow.waiting_evidence.state},
    "ex": {ScoringFlow.waiting_evidence.state},
    "ee": {ScoringFlow.waiting_evidence.state},
    "ed": {ScoringFlow.waiting_evidence.state},
    "ru": {ScoringFlow.waiting_evidence.state},
    "bk": set(STEP_STATES),
    "sk": set(STEP_STATES),
    "ps": set(STEP_STATES),
    "ask": set(STEP_STATES),
}


PART_BOUND = {"y", "n", "t", "z"}


NAVIGATION = {"go", "pick", "miss", "open", "ev", "ov", "ro"}
# What a locked assessment still allows: looking. Any step button answers with the lock notice
# and leaves the step (kept for after reopening); free text then goes to the Ask journey.
READ_ONLY = {"ov", "pick", "ro"}


@dataclass(frozen=True)
class Scope:
    """Who is scoring: their unit's assessment and department (None: every department)."""

    assessment_id: int
    unit_name: str
    department: str | None
    department_name: str | None
    tz: tzinfo = UTC
    locked: bool = False  # as read when the update came in; the services check again
    unit_id: int = 0


# --- who, what, where --------------------------------------------------------------------------


async def _scope(
    session: AsyncSession, person: Person | None, role: Role, cset: CriteriaSet, tz: tzinfo
) -> Scope | str:
    """The scorer's scope, or the message saying why they cannot score. Reads the unit's
    assessment with its answers (one statement, kept for the update: :func:`_load`)."""
    if person is None or person.unit is None or person.unit_id is None:
        return t.NO_UNIT
    department: str | None = None
    if role is Role.OFFICER:
        if not person.department or not store.leaves_of(cset, person.department):
            return t.NO_DEPARTMENT if not person.department else t.NOTHING_ASSIGNED
        department = person.department
    snap = await store.snapshot(session, person.unit_id, cset, utcnow())
    assessment = snap.assessment
    name = cset.department_name(department) if department else None
    return Scope(
        assessment.id,
        person.unit.name,
        department,
        name,
        tz,
        assessment.status == svc.LOCKED,
        person.unit_id,
    )


@dataclass
class Loaded:
    assessment: store.AssessmentRow
    progress: svc.Progress
    answers: dict[str, store.AnswerRow]
    locked_by: str | None = None  # who locked it (a name), when locked
    # At the evidence step: last year's evidence for the criterion, offered to reuse.
    previous: list[Evidence] = field(default_factory=list)

    def lock_notice(self, tz: tzinfo) -> str | None:
        """Locked: by whom and when, and what the officer can still do; None when open."""
        if not self.progress.locked:
            return None
        return t.locked_notice(self.locked_by, self.assessment.locked_at, tz)


async def _snapshot(session: AsyncSession, scope: Scope, cset: CriteriaSet) -> store.Snapshot:
    return await store.snapshot(session, scope.unit_id, cset, utcnow())


async def _load(session: AsyncSession, scope: Scope, cset: CriteriaSet) -> Loaded:
    """The assessment, its answers and the scorer's progress: read once per update (with the
    scope) and kept current by the step's own writes (bot/services/scoring.py)."""
    snap = await _snapshot(session, scope, cset)
    if snap.assessment.id != scope.assessment_id:  # pragma: no cover - one per unit and year
        raise CchcError(t.NOT_STARTED)
    progress = snap.progress(cset, scope.department)
    locked_by = snap.assessment.locker_name if progress.locked else None
    return Loaded(snap.assessment, progress, snap.answers, locked_by)


def _line(progress: svc.Progress) -> str:
    return _progress_line(progress.scored, progress.total, progress.points, progress.max)


@lru_cache(maxsize=4096)
def _progress_line(scored: int, total: int, points: Decimal, maximum: Decimal) -> str:
    """The progress line, made once per figures (every step's reply starts with it)."""
    return t.progress_line(scored, total, points, maximum)


def card(cset: CriteriaSet, node: Criterion) -> str:
    """The criterion's card as the input step shows it, made once per set object and code."""

    def build() -> dict[str, str]:
        return {}

    cards = _memo(cset, "_scoring_cards_memo", build)
    found = cards.get(node.code)
    if found is None:
        found = cards[node.code] = criterion_card(cset, node, source=False)
    return found


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


def _nav(kb: Keys, aid: int, node: Criterion, part: int, *, na: bool = False) -> None:
    def cb(action: str) -> str:
        return score_cb(action=action, aid=aid, code=node.code, part=part)

    kb.button(text=t.BTN_BACK, callback_data=cb("bk"))
    kb.button(text=t.BTN_SKIP, callback_data=cb("sk"))
    if na and node.not_applicable is not None:
        kb.button(text=t.BTN_NA, callback_data=cb("na"))
    kb.button(text=t.BTN_ASK, callback_data=cb("ask"))
    kb.button(text=t.BTN_PAUSE, callback_data=cb("ps"))
    kb.button(text=t.BTN_OVERVIEW, callback_data=score_cb(action="ov", aid=aid))


def _rows(first: int, nav_count: int) -> list[int]:
    return [*([1] * first), *([2] * ((nav_count + 1) // 2))]


View = Callable[
    [CriteriaSet, Scope, Loaded, dict[str, Any], str], tuple[str, InlineKeyboardMarkup]
]
_VIEWS: dict[str, View] = {}


def register_view(view: View, *states: State) -> None:
    """``view`` renders the steps ``states``; the overview's view is the default."""
    for s in states:
        _VIEWS[str(s.state)] = view


def _view(
    state: str, cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    view = _VIEWS.get(state) or _VIEWS[str(ScoringFlow.waiting_choice.state)]
    return view(cset, scope, loaded, data, state)


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
    if current == ScoringFlow.waiting_confirmation.state and not data.get("pending"):
        # The data and the state are two storage writes: a process killed between them
        # (after "Đã lưu" cleared the pending answer) leaves the confirmation without its
        # answer. The answer is saved; ask for it again rather than fail on every resume.
        node = svc.criterion(cset, data.get("code") or "")
        target = _input_state(_rule_at(node, int(data.get("part") or 0)))
        await _set(state, target, pending=None)
        current = str(target.state)
    loaded = await _load(session, scope, cset)
    code = data.get("code")
    if current == ScoringFlow.waiting_evidence.state and code and code in loaded.answers:
        if not data.get("ev_pending") or data.get("ev_edit") is not None:
            # The list of items (not shown while a typed reference is read back).
            await store.evidence_of(session, await _snapshot(session, scope, cset), code)
        if loaded.assessment.has_earlier:  # no earlier year: nothing to offer, nothing to read
            assessment = await _assessment(session, scope)
            loaded.previous = await svc.previous_evidence(session, assessment, code)
    if current == ScoringFlow.waiting_evidence.state and code and code not in loaded.answers:
        # Same split: killed after moving on to the next criterion's data but before its
        # state, the evidence step names a criterion not answered yet. Ask its question.
        target = _input_state(_rule_at(svc.criterion(cset, code), 0))
        await _set(state, target, part=0, parts=[], pending=None)
        current, data = str(target.state), await state.get_data()
    text, markup = _view(current, cset, scope, loaded, data)
    await send_long(message, f"{prefix}\n\n{text}" if prefix else text, markup)


# --- moving around -----------------------------------------------------------------------------


async def _set(state: FSMContext, target: State | None, **changes: Any) -> None:
    """Move to ``target`` with ``changes`` to the data: one storage write (bot/storage.py)."""
    await set_step(state, target, {**await state.get_data(), **changes})


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
        ev_pending=None,
        ev_edit=None,
    )


async def _open_set(
    state: FSMContext, session: AsyncSession, cset: CriteriaSet, scope: Scope, code: str
) -> None:
    """Move to criterion ``code``'s first input (the overview when locked); shown later."""
    loaded = await _load(session, scope, cset)
    if loaded.progress.locked:
        await _set_fresh(state, ScoringFlow.waiting_choice, scope, None)
        return
    node = svc.criterion(cset, code, scope.department)
    await _set_fresh(state, _input_state(_rule_at(node, 0)), scope, code)


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
    await _open_set(state, session, cset, scope, code)
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


async def _advance_set(
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    *,
    from_start: bool = False,
) -> None:
    """Move on to the next criterion still to do after the current one (``from_start``: the
    first one still to do), or the overview when all is done (or the assessment is locked);
    shown later (so that a step's write and this move are one transaction, see
    :func:`bot.storage.step_transaction`)."""
    data = await state.get_data()
    loaded = await _load(session, scope, cset)
    progress = loaded.progress
    after = None if from_start else data.get("code")
    code = svc.next_code(progress.codes, progress.pending, after, data.get("skipped") or [])
    if code is None or progress.locked:
        await _set_fresh(state, ScoringFlow.waiting_choice, scope, None)
        return
    await _open_set(state, session, cset, scope, code)


async def _advance(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    *,
    prefix: str | None = None,
    from_start: bool = False,
) -> None:
    """On to the next criterion still to do (``from_start``: the first one), or the overview
    when all is done."""
    await _advance_set(state, session, cset, scope, from_start=from_start)
    await _show(message, state, session, cset, scope, prefix=prefix)


def _step_in_progress(current: str | None, data: dict[str, Any], scope: Scope) -> str | None:
    """The step the conversation is at on this assessment, to resume: the step itself, the
    one a question asked mid-way returns to, or the one paused (⏸, /huy, a lock); None when
    it is at no criterion's step (the overview, the lists, nothing)."""
    if data.get("aid") != scope.assessment_id or not data.get("code"):
        return None
    if current == ScoringFlow.waiting_question.state:
        current = data.get("ret")
    elif current is None:
        current = data.get("paused")
    return current if current in STEP_STATES else None


async def _resume(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    step: str,
) -> None:
    """Back at ``step`` (:func:`_step_in_progress`) with its input kept, said so."""
    # The step and the cleared markers in one write (a kill cannot split them).
    await _set(state, STATES[step], paused=None, ret=None)
    await _show(message, state, session, cset, scope, prefix=t.RESUMED)


async def _continue(
    message: Message,
    current: str | None,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
) -> None:
    """«▶️ Chấm tiếp» on an overview: back at the step in progress if there is one, else the
    first criterion still to do. The overview's button stays in the chat after the officer
    moved on (and is pressed again when its reply was lost): moving on from the step the
    conversation is at would leave that criterion unanswered behind, its input lost, and
    the officer would meet it again only after the last criterion."""
    step = _step_in_progress(current, await state.get_data(), scope)
    if step is not None:
        await _resume(message, state, session, cset, scope, step)
        return
    await _advance(message, state, session, cset, scope, from_start=True)


async def _bad(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    error: str,
) -> None:
    await _show(message, state, session, cset, scope, prefix=f"⚠️ {error}")


async def _assessment(session: AsyncSession, scope: Scope) -> Assessment:
    assessment = await svc.get(session, scope.assessment_id)
    if assessment is None:  # pragma: no cover - assessments are never deleted
        raise CchcError(t.NOT_STARTED)
    return assessment


# --- typed input and bad input -----------------------------------------------------------------

_TEXT = F.text & ~F.text.startswith("/")


async def _scope_or_say(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    cset: CriteriaSet,
    tz: tzinfo,
    *,
    allow_locked: bool = False,
) -> Scope | None:
    """The scope of a message typed at a step, or None after saying why it cannot be used
    (no scope, no step, or the assessment is locked: then the read-only overview)."""
    scope = await _scope(session, person, role, cset, tz)
    if isinstance(scope, str):
        await message.answer(scope)
        return None
    data = await state.get_data()
    if data.get("aid") != scope.assessment_id or not data.get("code"):
        await state.clear()
        await message.answer(t.NOT_STARTED)
        return None
    if scope.locked and not allow_locked:
        await _show_locked(message, state, session, cset, scope)
        return None
    return scope


async def _show_locked(
    message: Message, state: FSMContext, session: AsyncSession, cset: CriteriaSet, scope: Scope
) -> None:
    """The assessment is locked: leave the step (kept as the place to resume after it is
    reopened) and show the overview, which says who locked it and when."""
    current = await state.get_state()
    data = await state.get_data()
    if current == ScoringFlow.waiting_question.state:
        current = data.get("ret")
    if current in STEP_STATES and data.get("aid") == scope.assessment_id:
        await _set(state, None, paused=current, ret=None)
    else:
        await state.set_state(None)
    await _show(message, state, session, cset, scope)


async def _unexpected(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    tz: tzinfo,
) -> None:
    cset = set_year.cset
    current = await state.get_state()
    if current == ScoringFlow.waiting_choice.state:
        scope = await _scope(session, person, role, cset, tz)
        if isinstance(scope, str):
            await message.answer(scope)
            return
        await _show(message, state, session, cset, scope, prefix=f"⚠️ {t.USE_BUTTONS}")
        return
    scope_or_none = await _scope_or_say(message, state, session, person, role, cset, tz)
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
