"""Score journey: the input step — the card, then the input in the rule's own form (a button or
a typed figure), part by part for a two-part criterion, then on to the confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services import assessments as svc
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from criteria.schema import (
    CountRule,
    CriteriaSet,
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
    parse_count,
    parse_number,
    parse_ratio,
)
from handlers.callbacks import ScoreCb
from handlers.scoring.keys import Keys, score_cb
from handlers.scoring.steps import (
    _TEXT,
    INPUT_STATES,
    STAFF_ROUTER,
    Loaded,
    Scope,
    ScoringFlow,
    _bad,
    _input_state,
    _line,
    _nav,
    _rows,
    _rule_at,
    _scope_or_say,
    _set,
    _show,
    card,
    register_view,
)
from handlers.texts import scoring as t

staff = STAFF_ROUTER  # one router for every step (see handlers/scoring/__init__.py)


def _input_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    code = data["code"]
    node = svc.criterion(cset, code)
    part = int(data.get("part", 0))
    rule = _rule_at(node, part)
    aid = scope.assessment_id
    lines = [_line(loaded.progress), "", card(cset, node), ""]
    ans = loaded.answers.get(code)
    if ans is not None and part == 0 and state != ScoringFlow.waiting_denominator.state:
        if ans.returned_comment:
            lines += [t.returned_note(ans.returned_comment)]
        lines += [
            t.current_value(Decimal(ans.points), Decimal(ans.max), ans.explanation, ans.excluded),
            "",
        ]
    if isinstance(node.rule, SumRule):
        spec = node.rule.parts[part]
        lines.append(t.part_head(part, len(node.rule.parts), spec.label, spec.max))
    kb = Keys()
    first = 0

    def cb(action: str, value: int = 0) -> str:
        return score_cb(action=action, aid=aid, code=code, part=part, value=value)

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


register_view(_input_view, *(s for s in ScoringFlow.__states__ if s.state in INPUT_STATES))


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
    set_year: SetYear,
    settings: Settings,
) -> None:
    cset = set_year.cset
    scope = await _scope_or_say(message, state, session, person, role, cset, settings.tz)
    if scope is None:
        return
    current = await state.get_state()
    data = await state.get_data()
    text = (message.text or "").strip()
    raw: RawInput
    try:
        if current == ScoringFlow.waiting_ratio.state:
            if "/" not in text:
                # One number (spaces group thousands: "1 234" is 1234, as at every other
                # step), then the denominator; two numbers only when they cannot be one.
                try:
                    numerator = parse_number(text)
                except ScoringInputError:
                    if len(text.split()) == 1 or "%" in text:
                        raise
                else:
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
