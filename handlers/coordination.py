"""Phòng Nội vụ's consolidation (/tiendo): progress of every department, any answer, return
it with a comment, lock and reopen, the chart and the export files.

Every button names a unit by id; it is checked against the coordinator's own unit (admins
may open any), so forged callback data shows an alert and changes nothing. A unit is
assessed on the set of its level for the year (bot.services.years); a button naming a past
year (``y``) opens that year's closed assessment on its own set, to view and export only.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import export
from bot.chart import area_chart
from bot.clock import Clock
from bot.db.models import Answer, Assessment, Person, Unit
from bot.errors import CchcError
from bot.services import assessments as svc
from bot.services import outbox, people, years
from bot.services.people import Role
from bot.settings import Settings
from criteria.loader import Catalogue
from criteria.schema import CriteriaSet, Criterion
from criteria.scoring import ScoringInputError, format_points, parse_number
from handlers.callbacks import CoordCb, EvidenceCb, ExtraCb
from handlers.filters import COORDINATORS, RoleFilter
from handlers.keyboards import InlineKeyboardBuilder
from handlers.texts import coordination as texts

router = Router(name=__name__)
router.message.filter(RoleFilter(*COORDINATORS))
router.callback_query.filter(RoleFilter(*COORDINATORS))

MAX_COMMENT = 1000
UNITS_SHOWN = 40


class ReturnFlow(StatesGroup):
    waiting_return_comment = State()


class ExtrasFlow(StatesGroup):
    waiting_survey_points = State()


# --- access ----------------------------------------------------------------------------------


async def _allowed_unit(
    session: AsyncSession, person: Person | None, role: Role, unit_id: int
) -> Unit | None:
    """The unit named by a button, if this user may act on it: admins any, others their own."""
    if role is Role.ADMIN:
        return await people.get_unit_by_id(session, unit_id)
    if person is None or person.unit is None or person.unit.id != unit_id:
        return None
    return person.unit


async def _button_unit(
    query: CallbackQuery, session: AsyncSession, person: Person | None, role: Role, unit_id: int
) -> Unit | None:
    """The unit a button names, or None after telling the user they may not act on it."""
    unit = await _allowed_unit(session, person, role, unit_id)
    await session.commit()
    if unit is None:
        await query.answer(
            texts.FORBIDDEN if role is not Role.ADMIN else texts.STALE, show_alert=True
        )
    return unit


# --- views -----------------------------------------------------------------------------------


def _cb(unit: Unit, action: str, dep: str = "", code: str = "", y: int = 0) -> str:
    return CoordCb(action=action, unit=unit.id, dep=dep, code=code, y=y).pack()


async def _unit_year(
    session: AsyncSession, catalogue: Catalogue, unit: Unit, year: int = 0
) -> tuple[CriteriaSet, bool] | None:
    """The set a button of ``unit`` names and whether it is a past (closed) year: ``year`` 0
    is the unit's current year; another year only if the unit was assessed then (None
    otherwise: a stale or forged button)."""
    try:
        return await years.unit_year_set(session, catalogue, unit, year)
    except (years.YearRefused, years.UnknownSet):
        return None


async def _past_years(session: AsyncSession, unit: Unit, current: int) -> list[int]:
    return [a.year for a in await svc.for_unit(session, unit.id) if a.year != current]


async def _overview(
    session: AsyncSession,
    unit: Unit,
    cset: CriteriaSet,
    settings: Settings,
    role: Role,
    past: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    # Every button names the year it was made for: after the yearly rollover an old button
    # acts on that (now closed) year, never on the new one.
    y = cset.year
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        others = [] if past else await _past_years(session, unit, cset.year)
        total = await svc.progress(session, assessment, cset, None)
        per_department = [
            (dep.code, dep.name, await svc.progress(session, assessment, cset, dep.code))
            for dep in cset.departments
        ]
        locked_at = assessment.locked_at
        entered = await svc.extras(session, assessment, cset)
    lines = []
    kb = InlineKeyboardBuilder()
    for code, name, p in per_department:
        if not p.total:
            continue
        lines.append(
            texts.department_line(
                name, p.scored, p.total, p.points, p.max, len(p.missing_evidence), len(p.returned)
            )
        )
        kb.button(
            text=f"{name} · {p.scored}/{p.total}", callback_data=_cb(unit, "dep", code, y=y)
        )
    summary = total.summary
    assert summary is not None  # progress() always summarises
    text = texts.overview(
        unit=unit.name,
        set_title=texts.set_caption(cset.title, cset.year),
        status=(
            texts.closed_line(cset.year)
            if assessment.status == svc.CLOSED
            else texts.status_line(total.locked, locked_at, settings.tz)
        ),
        departments=lines,
        scored=total.scored,
        total=total.total,
        points=total.points,
        maximum=total.max,
        missing=len(total.missing_evidence),
        index=summary.index,
        band=summary.band,
        note=texts.index_note(
            summary.bonus,
            summary.penalty,
            len(entered.survey),
            len(svc.survey_criteria(cset)),
        ),
    )
    kb.button(text=texts.BTN_CHART, callback_data=_cb(unit, "ch", y=y))
    kb.button(text=texts.BTN_XLSX, callback_data=_cb(unit, "xx", y=y))
    kb.button(text=texts.BTN_CSV, callback_data=_cb(unit, "xc", y=y))
    sizes = [1] * sum(1 for _, _, p in per_department if p.total) + [3]
    if past:
        kb.button(text=texts.BTN_CURRENT_YEAR, callback_data=_cb(unit, "ov"))
        sizes.append(1)
    else:
        if total.locked:
            kb.button(text=texts.BTN_REOPEN, callback_data=_cb(unit, "op", y=y))
        else:
            kb.button(text=texts.BTN_LOCK, callback_data=_cb(unit, "lk", y=y))
        kb.button(text=texts.BTN_EXTRAS, callback_data=ExtraCb(action="ls", unit=unit.id).pack())
        sizes += [1, 1]
        for year in others:
            kb.button(text=texts.btn_past_year(year), callback_data=_cb(unit, "ov", y=year))
            sizes.append(1)
    if role is Role.ADMIN:
        kb.button(text=texts.BTN_UNITS, callback_data=_cb(unit, "units"))
        sizes.append(1)
    kb.adjust(*sizes)
    return text, kb.as_markup()


def _icon(answer: Answer | None) -> str:
    if answer is None:
        return texts.ICON_UNSCORED
    if answer.returned_comment:
        return texts.ICON_RETURNED
    if svc.needs_evidence(answer):
        return texts.ICON_MISSING
    return texts.ICON_OK


async def _department(
    session: AsyncSession, unit: Unit, cset: CriteriaSet, dep: str, y: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        p = await svc.progress(session, assessment, cset, dep)
        found = await svc.answers(session, assessment.id)
    leaves = svc.assigned_leaves(cset, dep)
    items = []
    kb = InlineKeyboardBuilder()
    for node in leaves:
        ans = found.get(node.code)
        shown = (
            "chưa chấm"
            if ans is None
            else f"{format_points(ans.points)}/{format_points(ans.max)} điểm"
        )
        items.append((_icon(ans), node.code, node.title, shown))
        if ans is not None:
            kb.button(text=node.code, callback_data=_cb(unit, "ans", dep, node.code, y))
    scored_buttons = sum(1 for n in leaves if n.code in found)
    kb.button(text=texts.BTN_BACK_OVERVIEW, callback_data=_cb(unit, "ov", y=y))
    kb.adjust(*([4] * ((scored_buttons + 3) // 4)), 1)
    summary = (
        f"{texts.bar(p.scored, p.total)} {p.scored}/{p.total} tiêu chí · "
        f"{format_points(p.points)}/{format_points(p.max)} điểm"
    )
    return texts.department_view(cset.department_name(dep), unit.name, items, summary), (
        kb.as_markup()
    )


async def _answer(
    session: AsyncSession,
    unit: Unit,
    cset: CriteriaSet,
    settings: Settings,
    code: str,
    y: int = 0,
) -> tuple[str, InlineKeyboardMarkup] | None:
    node = svc.criterion(cset, code)
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        ans = await svc.answer(session, assessment.id, code)
        if ans is None:
            return None
        author = await people.get_person(session, ans.author)
        locked = assessment.status in (svc.LOCKED, svc.CLOSED)
        stored = export.stored_answer(ans)
        files = [(e.id, e.file_name or "", svc.is_photo(e)) for e in svc.files_of(ans)]
        view = texts.answer_view(
            code=code,
            title=node.title,
            department=cset.department_name(ans.department or node.department),
            points=stored.points,
            maximum=stored.max,
            explanation=ans.explanation,
            evidence=[e for e in stored.evidence],
            evidence_status=ans.evidence_status,
            justification=ans.explanation_text,
            returned_comment=ans.returned_comment,
            author=author.display_name if author and author.display_name else str(ans.author),
            updated=export.local_time(ans.updated_at, settings.tz),
        )
    dep = node.department or ""
    kb = InlineKeyboardBuilder()
    for i, (evidence_id, name, photo) in enumerate(files, start=1):
        kb.button(
            text=texts.evidence_button(i, name, photo),
            callback_data=EvidenceCb(unit=unit.id, id=evidence_id).pack(),
        )
    if not locked:
        kb.button(text=texts.BTN_RETURN, callback_data=_cb(unit, "ret", dep, code, cset.year))
    kb.button(text=texts.BTN_BACK_DEPARTMENT, callback_data=_cb(unit, "dep", dep, y=y))
    kb.button(text=texts.BTN_BACK_OVERVIEW, callback_data=_cb(unit, "ov", y=y))
    kb.adjust(1)
    return view, kb.as_markup()


async def _units(session: AsyncSession) -> tuple[str, InlineKeyboardMarkup] | None:
    async with session.begin():
        units = await people.list_units(session)
    if not units:
        return None
    kb = InlineKeyboardBuilder()
    for unit in units[:UNITS_SHOWN]:
        kb.button(text=unit.name, callback_data=_cb(unit, "ov"))
    kb.adjust(1)
    return texts.CHOOSE_UNIT, kb.as_markup()


async def _show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message the button belongs to; a new message if it cannot be edited."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc):
            await query.message.answer(text, reply_markup=markup)


# --- /tiendo ---------------------------------------------------------------------------------


@router.message(Command("tiendo"))
async def show_progress(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
    state: FSMContext,
) -> None:
    await state.clear()
    if role is Role.ADMIN:
        units = await _units(session)
        if units is None:
            await message.answer(texts.NO_UNITS)
            return
        await message.answer(units[0], reply_markup=units[1])
        return
    if person is None or person.unit is None:
        await message.answer(texts.NEEDS_UNIT)
        return
    async with session.begin():
        current = await years.unit_set_year(session, catalogue, person.unit)
    text, markup = await _overview(session, person.unit, current.cset, settings, role)
    await message.answer(text, reply_markup=markup)


@router.callback_query(CoordCb.filter())
async def on_button(
    query: CallbackQuery,
    callback_data: CoordCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    settings: Settings,
    clock: Clock,
    state: FSMContext,
) -> None:
    unit = await _button_unit(query, session, person, role, callback_data.unit)
    if unit is None:
        return
    async with session.begin():
        found = await _unit_year(session, catalogue, unit, callback_data.y)
    if found is None:
        await query.answer(texts.STALE, show_alert=True)
        return
    cset, past = found
    y = cset.year
    action, dep, code = callback_data.action, callback_data.dep, callback_data.code
    if past and action not in ("ov", "dep", "ans", "ch", "xx", "xc"):
        await query.answer(svc.AssessmentClosed(cset.year).user_message, show_alert=True)
        return
    if action in ("dep", "ret", "ans") and not svc.assigned_leaves(cset, dep):
        await query.answer(texts.STALE, show_alert=True)
        return
    if action in ("ans", "ret") and code not in {c.code for c in svc.assigned_leaves(cset, dep)}:
        await query.answer(texts.STALE, show_alert=True)
        return

    if action == "ov":
        await query.answer()
        await _show(query, *await _overview(session, unit, cset, settings, role, past))
    elif action == "units" and role is Role.ADMIN:
        await query.answer()
        units = await _units(session)
        if units is not None:
            await _show(query, *units)
    elif action == "dep":
        await query.answer()
        await _show(query, *await _department(session, unit, cset, dep, y))
    elif action == "ans":
        view = await _answer(session, unit, cset, settings, code, y)
        if view is None:
            await query.answer(texts.NO_ANSWER, show_alert=True)
            return
        await query.answer()
        await _show(query, *view)
    elif action == "ret":
        await _ask_comment(query, session, unit, cset, code, state)
    elif action == "lk":
        await _confirm_lock(query, session, unit, cset)
    elif action == "lky":
        await _lock_or_reopen(query, session, unit, cset, settings, role, clock, lock=True)
    elif action == "op":
        await _lock_or_reopen(query, session, unit, cset, settings, role, clock, lock=False)
    elif action == "ch":
        await _chart(query, session, unit, cset)
    elif action in ("xx", "xc"):
        await _export(
            query, session, unit, cset, settings, clock, "xlsx" if action == "xx" else "csv"
        )
    else:
        await query.answer(texts.STALE, show_alert=True)


# --- return with a comment -------------------------------------------------------------------


async def _ask_comment(
    query: CallbackQuery,
    session: AsyncSession,
    unit: Unit,
    cset: CriteriaSet,
    code: str,
    state: FSMContext,
) -> None:
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        ans = await svc.answer(session, assessment.id, code)
        locked = assessment.status == svc.LOCKED
    if ans is None:
        await query.answer(texts.NO_ANSWER, show_alert=True)
        return
    if locked:
        await query.answer(texts.LOCKED_NO_RETURN, show_alert=True)
        return
    node = svc.criterion(cset, code)
    await state.set_state(ReturnFlow.waiting_return_comment)
    await state.update_data(unit=unit.id, code=code, set=cset.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.ask_comment(code, node.title, cset.department_name(node.department))
        )


@router.message(ReturnFlow.waiting_return_comment, F.text, ~F.text.startswith("/"))
async def comment_given(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
    state: FSMContext,
) -> None:
    comment = (message.text or "").strip()
    if len(comment) > MAX_COMMENT:
        await message.answer(texts.COMMENT_TOO_LONG)
        return
    data = await state.get_data()
    unit = await _allowed_unit(session, person, role, int(data.get("unit", 0)))
    cset = (await years.unit_set_year(session, catalogue, unit)).cset if unit else None
    await session.commit()
    code = str(data.get("code", ""))
    if cset is None or cset.id != data.get("set"):  # the unit moved to another set meanwhile
        await state.clear()
        await message.answer(texts.STALE)
        return
    if unit is None or code not in {c.code for c in svc.self_scored(cset)}:
        await state.clear()
        await message.answer(texts.STALE)
        return
    node = svc.criterion(cset, code)
    actor = message.from_user.id if message.from_user else 0
    now = clock.now()
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        ans = await svc.return_answer(
            session, assessment=assessment, code=code, actor=actor, comment=comment, now=now
        )
        department = ans.department or node.department
        officers = await people.list_people(
            session, role=Role.OFFICER, unit_code=unit.code, department=department
        )
        notice = texts.officer_notice(code, node.title, unit.name, comment)
        for officer in officers:
            await outbox.enqueue(session, chat_id=officer.telegram_id, text=notice, now=now)
        notified = len(officers)
    await state.clear()
    await message.answer(texts.returned(code, cset.department_name(department), notified))


@router.message(ReturnFlow.waiting_return_comment)
async def comment_expected(message: Message) -> None:
    await message.answer(texts.COMMENT_EXPECTED)


# --- lock and reopen -------------------------------------------------------------------------


async def _confirm_lock(
    query: CallbackQuery, session: AsyncSession, unit: Unit, cset: CriteriaSet
) -> None:
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        p = await svc.progress(session, assessment, cset, None)
    if p.locked:
        await query.answer(texts.ALREADY_LOCKED, show_alert=True)
        return
    await query.answer()
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_LOCK_CONFIRM, callback_data=_cb(unit, "lky", y=cset.year))
    kb.button(text=texts.BTN_LOCK_CANCEL, callback_data=_cb(unit, "ov"))
    kb.adjust(1)
    await _show(
        query,
        texts.confirm_lock(unit.name, len(p.pending), len(p.missing_evidence)),
        kb.as_markup(),
    )


async def _set_lock(
    session: AsyncSession, unit: Unit, cset: CriteriaSet, actor: int, clock: Clock, lock: bool
) -> bool:
    """Lock or reopen; False when it already was so (nothing changed)."""
    async with session.begin():
        assessment: Assessment = await svc.get_or_create(session, unit.id, cset)
        if (assessment.status == svc.LOCKED) == lock:
            return False
        if lock:
            return await svc.lock(session, assessment, actor, clock.now())
        return await svc.reopen(session, assessment, actor, clock.now())


async def _lock_or_reopen(
    query: CallbackQuery,
    session: AsyncSession,
    unit: Unit,
    cset: CriteriaSet,
    settings: Settings,
    role: Role,
    clock: Clock,
    *,
    lock: bool,
) -> None:
    if not await _set_lock(session, unit, cset, query.from_user.id, clock, lock=lock):
        await query.answer(texts.ALREADY_LOCKED if lock else texts.ALREADY_OPEN, show_alert=True)
        return
    await query.answer()
    await _show(query, *await _overview(session, unit, cset, settings, role))
    if isinstance(query.message, Message):
        done = texts.locked if lock else texts.reopened
        await query.message.answer(done(unit.name))


# --- chart and files -------------------------------------------------------------------------


async def _chart(
    query: CallbackQuery, session: AsyncSession, unit: Unit, cset: CriteriaSet
) -> None:
    await query.answer(texts.PREPARING)
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        p = await svc.progress(session, assessment, cset, None)
    summary = p.summary
    assert summary is not None
    png = await asyncio.to_thread(
        area_chart,
        export.area_chart_rows(summary),
        title=texts.chart_title(unit.name),
        subtitle=texts.chart_subtitle(summary.self_points, summary.self_max, summary.index),
    )
    if isinstance(query.message, Message):
        await query.message.answer_photo(
            BufferedInputFile(png, filename=f"cchc-{unit.code}.png"),
            caption=texts.chart_caption(unit.name),
        )


async def _export(
    query: CallbackQuery,
    session: AsyncSession,
    unit: Unit,
    cset: CriteriaSet,
    settings: Settings,
    clock: Clock,
    fmt: str,
) -> None:
    await query.answer(texts.PREPARING)
    async with session.begin():
        data = await export.load(session, unit, cset, settings.tz, clock.now())
    content = await asyncio.to_thread(export.render, data, fmt, settings.export_csv_dialect)
    if isinstance(query.message, Message):
        await query.message.answer_document(
            BufferedInputFile(content, filename=export.filename(unit.code, cset, fmt, data.year)),
            caption=texts.export_caption(unit.name, fmt, data.summary.scored, data.summary.total)
            + texts.export_set_line(cset.title, data.year or cset.year),
        )


# --- bonus, penalty and survey results -------------------------------------------------------

ExtraRow = tuple[str, str, Decimal, bool, int]


def _extra_cb(unit: Unit, action: str, kind: str = "", code: str = "", value: int = 0) -> str:
    return ExtraCb(action=action, unit=unit.id, kind=kind, code=code, value=value).pack()


async def _extras_view(
    session: AsyncSession, unit: Unit, cset: CriteriaSet
) -> tuple[str, InlineKeyboardMarkup]:
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        entered = await svc.extras(session, assessment, cset)
        summary = (await svc.progress(session, assessment, cset, None)).summary
        locked = assessment.status == svc.LOCKED
    assert summary is not None
    kb = InlineKeyboardBuilder()
    rows: dict[str, list[ExtraRow]] = {}
    for kind, counts, icon in (
        (svc.BONUS, entered.bonus, "➕"),
        (svc.PENALTY, entered.penalty, "➖"),
    ):
        rows[kind] = []
        for i, item in enumerate(svc.bonus_items(cset, kind), start=1):
            count = counts.get(item.code, 0)
            rows[kind].append((item.code, item.title, item.points, item.per_occurrence, count))
            kb.button(text=f"{icon} {i}", callback_data=_extra_cb(unit, "it", kind, item.code))
    survey = []
    for node in svc.survey_criteria(cset):
        survey.append((node.code, node.title, node.max, entered.survey.get(node.code)))
        kb.button(
            text=f"📋 {node.code}", callback_data=_extra_cb(unit, "it", svc.SURVEY, node.code)
        )
    kb.button(text=texts.BTN_BACK_OVERVIEW, callback_data=_cb(unit, "ov"))
    kb.adjust(4)
    text = texts.extras_view(
        unit=unit.name,
        bonus=rows[svc.BONUS],
        penalty=rows[svc.PENALTY],
        survey=survey,
        bonus_points=summary.bonus,
        bonus_cap=cset.bonus.cap if cset.bonus else None,
        penalty_points=summary.penalty,
        penalty_cap=cset.penalty.cap if cset.penalty else None,
        index=summary.index,
        band=summary.band,
        locked=locked,
    )
    return text, kb.as_markup()


async def _extras_state(
    session: AsyncSession, unit: Unit, cset: CriteriaSet
) -> tuple[bool, svc.Extras]:
    async with session.begin():
        assessment = await svc.get_or_create(session, unit.id, cset)
        return assessment.status == svc.LOCKED, await svc.extras(session, assessment, cset)


@router.callback_query(ExtraCb.filter())
async def on_extra(
    query: CallbackQuery,
    callback_data: ExtraCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
    state: FSMContext,
) -> None:
    unit = await _button_unit(query, session, person, role, callback_data.unit)
    if unit is None:
        return
    async with session.begin():
        cset = (await years.unit_set_year(session, catalogue, unit)).cset
    action, kind, code = callback_data.action, callback_data.kind, callback_data.code
    if action == "ls":
        await query.answer()
        await _show(query, *await _extras_view(session, unit, cset))
        return
    try:
        item = svc.extra_item(cset, kind, code)
    except svc.UnknownExtra:
        await query.answer(texts.EXTRA_STALE, show_alert=True)
        return
    locked, entered = await _extras_state(session, unit, cset)
    if locked and action in ("it", "set", "clr"):
        await query.answer(texts.EXTRAS_LOCKED, show_alert=True)
        return
    if action == "it" and isinstance(item, Criterion):
        await state.set_state(ExtrasFlow.waiting_survey_points)
        await state.update_data(unit=unit.id, code=item.code, set=cset.id)
        kb = InlineKeyboardBuilder()
        if item.code in entered.survey:
            kb.button(
                text=texts.BTN_CLEAR_SURVEY, callback_data=_extra_cb(unit, "clr", kind, code)
            )
        kb.button(text=texts.BTN_BACK_EXTRAS, callback_data=_extra_cb(unit, "ls"))
        kb.adjust(1)
        await query.answer()
        await _show(
            query,
            texts.ask_survey(item.code, item.title, item.max, entered.survey.get(item.code)),
            kb.as_markup(),
        )
    elif action == "it" and not isinstance(item, Criterion):
        counts = entered.bonus if kind == svc.BONUS else entered.penalty
        kb = InlineKeyboardBuilder()
        if item.per_occurrence:
            for n in range(4):
                kb.button(text=str(n), callback_data=_extra_cb(unit, "set", kind, code, n))
        else:
            kb.button(text=texts.BTN_YES, callback_data=_extra_cb(unit, "set", kind, code, 1))
            kb.button(text=texts.BTN_NO, callback_data=_extra_cb(unit, "set", kind, code, 0))
        kb.button(text=texts.BTN_BACK_EXTRAS, callback_data=_extra_cb(unit, "ls"))
        kb.adjust(4 if item.per_occurrence else 2, 1)
        await query.answer()
        await _show(
            query,
            texts.extra_item_view(
                kind=kind,
                title=item.title,
                points=item.points,
                per_occurrence=item.per_occurrence,
                count=counts.get(item.code, 0),
            ),
            kb.as_markup(),
        )
    elif action in ("set", "clr"):
        try:
            async with session.begin():
                assessment = await svc.get_or_create(session, unit.id, cset)
                if action == "set":
                    await svc.set_extra_count(
                        session,
                        assessment=assessment,
                        cset=cset,
                        kind=kind,
                        code=code,
                        count=callback_data.value,
                        actor=query.from_user.id,
                        now=clock.now(),
                    )
                else:
                    await svc.set_survey_points(
                        session,
                        assessment=assessment,
                        cset=cset,
                        code=code,
                        points=None,
                        actor=query.from_user.id,
                        now=clock.now(),
                    )
        except CchcError as exc:
            await query.answer(exc.user_message, show_alert=True)
            return
        if action == "clr":
            await state.clear()
        await query.answer()
        await _show(query, *await _extras_view(session, unit, cset))
    else:
        await query.answer(texts.STALE, show_alert=True)


@router.message(ExtrasFlow.waiting_survey_points, F.text, ~F.text.startswith("/"))
async def survey_points_given(
    message: Message,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    catalogue: Catalogue,
    clock: Clock,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    unit = await _allowed_unit(session, person, role, int(data.get("unit", 0)))
    cset = (await years.unit_set_year(session, catalogue, unit)).cset if unit else None
    await session.commit()
    if cset is None:
        await state.clear()
        await message.answer(texts.STALE)
        return
    try:
        node = svc.extra_item(cset, svc.SURVEY, str(data.get("code", "")))
    except svc.UnknownExtra:
        node = None
    if unit is None or not isinstance(node, Criterion) or data.get("set") != cset.id:
        await state.clear()
        await message.answer(texts.STALE)
        return
    try:
        points = parse_number(message.text or "")
    except ScoringInputError as exc:
        await message.answer(texts.bad_survey(exc.message, node.max))
        return
    try:
        async with session.begin():
            assessment = await svc.get_or_create(session, unit.id, cset)
            await svc.set_survey_points(
                session,
                assessment=assessment,
                cset=cset,
                code=node.code,
                points=points,
                actor=message.from_user.id if message.from_user else 0,
                now=clock.now(),
            )
    except svc.AssessmentLocked:
        await state.clear()
        await message.answer(texts.EXTRAS_LOCKED)
        return
    except CchcError as exc:
        await message.answer(texts.bad_survey(exc.user_message, node.max))
        return
    await state.clear()
    await message.answer(texts.survey_saved(node.code, points))
    text, markup = await _extras_view(session, unit, cset)
    await message.answer(text, reply_markup=markup)


@router.message(ExtrasFlow.waiting_survey_points)
async def survey_points_expected(message: Message) -> None:
    await message.answer(texts.SURVEY_EXPECTED)


# --- evidence files --------------------------------------------------------------------------


@router.callback_query(EvidenceCb.filter())
async def send_evidence(
    query: CallbackQuery,
    callback_data: EvidenceCb,
    session: AsyncSession,
    person: Person | None,
    role: Role,
) -> None:
    unit = await _allowed_unit(session, person, role, callback_data.unit)
    found = None
    if unit is not None:
        found = await svc.unit_evidence_file(session, callback_data.id, unit.id)
    await session.commit()
    item, code = found if found is not None else (None, "")
    if item is None or item.file_id is None:
        await query.answer(texts.EVIDENCE_FORBIDDEN, show_alert=True)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    name = item.file_name or ""
    caption = texts.evidence_caption(code, name)
    try:
        if svc.is_photo(item):
            await query.message.answer_photo(item.file_id, caption=caption)
        else:
            await query.message.answer_document(item.file_id, caption=caption)
    except TelegramBadRequest:
        await query.message.answer(texts.EVIDENCE_UNAVAILABLE)
