"""Score journey: the evidence step (documents, photos, links, references) and the explanation
when there is no evidence."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Evidence, Person
from bot.errors import CchcError
from bot.services import assessments as svc
from bot.services import scoring as store
from bot.services.evidence import read_typed
from bot.services.people import Role
from bot.services.years import SetYear
from bot.settings import Settings
from bot.storage import step_transaction
from criteria.schema import CriteriaSet, node_label
from handlers.scoring.keys import Keys, score_cb
from handlers.scoring.steps import (
    _TEXT,
    MAX_TEXT,
    STAFF_ROUTER,
    Loaded,
    Scope,
    ScoringFlow,
    _advance_set,
    _assessment,
    _bad,
    _line,
    _load,
    _nav,
    _overview,
    _scope_or_say,
    _set,
    _show,
    _snapshot,
    _unexpected,
    register_view,
)
from handlers.texts import scoring as t

staff = STAFF_ROUTER  # one router for every step (see handlers/scoring/__init__.py)


def _evidence_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    ans = loaded.answers.get(node.code)
    items = list(ans.evidence or ()) if ans is not None else []
    aid = scope.assessment_id
    kb = Keys()
    pending = data.get("ev_pending")
    editing = _editing(items, data.get("ev_edit"))
    if pending:
        # A typed document reference, read back to be confirmed before it is kept.
        typed = read_typed(pending)
        body = t.evidence_preview(
            typed.doc_type, typed.number, typed.issued, typed.text, editing is not None
        )
        kb.button(text=t.BTN_KEEP, callback_data=score_cb(action="ek", aid=aid, code=node.code))
        kb.button(text=t.BTN_RETYPE, callback_data=score_cb(action="ex", aid=aid, code=node.code))
        _nav(kb, aid, node, 0)
        kb.adjust(2, 2, 2, 1)
        return "\n".join([_line(loaded.progress), "", body]), kb.as_markup()
    listed = [(i + 1, item.kind, _label(item)) for i, item in enumerate(items)]
    body = t.evidence_prompt(node.code, node.evidence, listed)
    if editing is not None:
        body += "\n\n" + t.evidence_editing(items.index(editing) + 1, _label(editing))
    for n, item in enumerate(items, start=1):
        if item.kind not in svc.FILE_KINDS:
            kb.button(
                text=f"✏️ {n}",
                callback_data=score_cb(action="ee", aid=aid, code=node.code, value=item.id),
            )
        kb.button(
            text=f"🗑 {n}",
            callback_data=score_cb(action="ed", aid=aid, code=node.code, value=item.id),
        )
    per_item = [2 if item.kind not in svc.FILE_KINDS else 1 for item in items]
    if loaded.previous and editing is None:
        # Last year's references for the same criterion: offered, never copied unasked.
        body += "\n\n" + t.previous_evidence(
            [(n, _label(item)) for n, item in enumerate(loaded.previous, start=1)]
        )
        for n, before in enumerate(loaded.previous, start=1):
            kb.button(
                text=t.btn_reuse(n),
                callback_data=score_cb(action="ru", aid=aid, code=node.code, value=before.id),
            )
        per_item.append(min(len(loaded.previous), 4))
    kb.button(
        text=t.BTN_NO_EVIDENCE, callback_data=score_cb(action="none", aid=aid, code=node.code)
    )
    kb.button(text=t.BTN_LATER, callback_data=score_cb(action="late", aid=aid, code=node.code))
    kb.button(text=t.BTN_DONE, callback_data=score_cb(action="done", aid=aid, code=node.code))
    _nav(kb, aid, node, 0)
    kb.adjust(*per_item, 2, 1, 2, 2, 1)
    return "\n".join([_line(loaded.progress), "", body]), kb.as_markup()


def _label(item: Evidence | store.EvidenceItem) -> str:
    if item.kind in svc.FILE_KINDS:
        return item.file_name or item.text or "tệp"
    return item.text or ""


def _editing(items: list[store.EvidenceItem], evidence_id: object) -> store.EvidenceItem | None:
    return next((i for i in items if i.id == evidence_id), None)


def _explanation_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    text = "\n".join(
        [_line(loaded.progress), "", f"📌 <b>{node_label(node.code)}</b>", t.EXPLANATION_PROMPT]
    )
    kb = Keys()
    _nav(kb, scope.assessment_id, node, 0)
    kb.adjust(2, 2, 1)
    return text, kb.as_markup()


register_view(_evidence_view, ScoringFlow.waiting_evidence)
register_view(_explanation_view, ScoringFlow.waiting_explanation)


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
        await message.answer(t.not_scored_yet(code))
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
        ev_pending=None,
        ev_edit=None,
    )
    await _show(message, state, session, cset, scope)


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
    return "text", text, None, None


# Commands pass on to their journeys, as at every other step.
@staff.message(ScoringFlow.waiting_evidence, _TEXT | F.document | F.photo)
async def evidence_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    clock: Clock,
    settings: Settings,
) -> None:
    cset = set_year.cset
    found = _evidence_of(message)
    if found is None:
        await _unexpected(message, state, session, person, role, set_year, settings.tz)
        return
    scope = await _scope_or_say(message, state, session, person, role, cset, settings.tz)
    if scope is None:
        return
    kind, text, file_id, file_name = found
    if text and len(text) > MAX_TEXT:
        await _bad(message, state, session, cset, scope, t.TOO_LONG)
        return
    data = await state.get_data()
    if kind not in svc.FILE_KINDS:
        try:
            typed = read_typed(text or "")
        except svc.EvidenceRefused as exc:
            await _bad(message, state, session, cset, scope, exc.user_message)
            return
        if typed.kind == "text":
            # A document reference (or a description): read back first, kept once confirmed.
            await state.update_data(ev_pending=typed.text)
            await _show(message, state, session, cset, scope)
            return
        text = typed.text
    user_id = message.from_user.id if message.from_user else 0
    if data.get("ev_edit") is not None and kind not in svc.FILE_KINDS:
        await _keep(message, state, session, cset, scope, text or "", user_id, clock)
        return
    await _store(
        message, state, session, cset, scope, user_id, clock, kind, text, file_id, file_name
    )


async def _store(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    user_id: int,
    clock: Clock,
    kind: str,
    text: str | None,
    file_id: str | None = None,
    file_name: str | None = None,
    *,
    once: bool = False,
) -> None:
    code = (await state.get_data())["code"]
    snap = await _snapshot(session, scope, cset)
    try:
        # The item and the step's cleared input: one transaction, one commit.
        async with step_transaction(session):
            item, count, _ = await store.add_evidence(
                session,
                snap,
                code=code,
                kind=kind,
                text=text,
                file_id=file_id,
                file_name=file_name,
                author=user_id,
                now=clock.now(),
                once=once,
            )
            kind = item.kind
            await state.update_data(ev_pending=None, ev_edit=None)
    except svc.EvidenceRefused as exc:
        await _bad(message, state, session, cset, scope, exc.user_message)
        return
    what = file_name if kind in svc.FILE_KINDS else (item.text or "")
    # A photo is announced as a file ("tệp") like before; it is stored as "photo" to be sent back.
    shown = "file" if kind == "photo" else kind
    await _show(
        message, state, session, cset, scope, prefix=t.evidence_added(shown, what or "", count)
    )


async def _keep(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    text: str,
    user_id: int,
    clock: Clock,
) -> None:
    """Keep typed evidence ``text``: a new item, or the replacement of the one being edited."""
    data = await state.get_data()
    editing = data.get("ev_edit")
    if editing is None:
        # A repeated press (its item kept, the step's move lost) keeps nothing twice.
        await _store(message, state, session, cset, scope, user_id, clock, "text", text, once=True)
        return
    try:
        async with step_transaction(session):
            assessment = await _assessment(session, scope)
            item = await svc.edit_evidence(
                session,
                assessment=assessment,
                code=data["code"],
                evidence_id=int(editing),
                text=text,
                author=user_id,
                now=clock.now(),
            )
            shown = item.text or ""
    except svc.EvidenceRefused as exc:
        await _bad(message, state, session, cset, scope, exc.user_message)
        return
    await state.update_data(ev_pending=None, ev_edit=None)
    await _show(message, state, session, cset, scope, prefix=t.evidence_edited(shown))


async def evidence_button(
    message: Message,
    action: str,
    value: int,
    state: FSMContext,
    session: AsyncSession,
    cset: CriteriaSet,
    scope: Scope,
    user_id: int,
    clock: Clock,
) -> None:
    """The evidence list's buttons: keep the previewed item (``ek``), type it again (``ex``),
    edit (``ee``) or remove (``ed``) item ``value``, reuse last year's item ``value`` (``ru``)."""
    data = await state.get_data()
    if action == "ek":
        pending = data.get("ev_pending")
        if pending:
            await _keep(message, state, session, cset, scope, pending, user_id, clock)
        else:
            await _show(message, state, session, cset, scope)
    elif action == "ex":
        await state.update_data(ev_pending=None)
        await _show(message, state, session, cset, scope, prefix=t.EVIDENCE_RETYPE)
    elif action == "ee":
        await state.update_data(ev_edit=value, ev_pending=None)
        await _show(message, state, session, cset, scope)
    elif action == "ru":
        try:
            async with step_transaction(session):
                assessment = await _assessment(session, scope)
                item = await svc.reuse_evidence(
                    session,
                    assessment=assessment,
                    code=data["code"],
                    evidence_id=value,
                    author=user_id,
                    now=clock.now(),
                )
                label = _label(item)
        except CchcError as exc:
            await _bad(message, state, session, cset, scope, exc.user_message)
            return
        await _show(message, state, session, cset, scope, prefix=t.evidence_reused(label))
    elif action == "ed":
        async with step_transaction(session):
            assessment = await _assessment(session, scope)
            before = await svc.answer(session, assessment.id, data["code"])
            gone = next((e for e in before.evidence if e.id == value), None) if before else None
            label = _label(gone) if gone is not None else ""
            await svc.remove_evidence(
                session,
                assessment=assessment,
                code=data["code"],
                evidence_id=value,
                author=user_id,
                now=clock.now(),
            )
        if data.get("ev_edit") == value:
            await state.update_data(ev_edit=None)
        await _show(message, state, session, cset, scope, prefix=t.evidence_removed(label))


@staff.message(ScoringFlow.waiting_explanation, _TEXT)
async def explanation_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person | None,
    role: Role,
    set_year: SetYear,
    clock: Clock,
    settings: Settings,
) -> None:
    cset = set_year.cset
    scope = await _scope_or_say(message, state, session, person, role, cset, settings.tz)
    if scope is None:
        return
    text = (message.text or "").strip()
    if len(text) > MAX_TEXT:
        await _bad(message, state, session, cset, scope, t.TOO_LONG)
        return
    code = (await state.get_data())["code"]
    user_id = message.from_user.id if message.from_user else 0
    snap = await _snapshot(session, scope, cset)
    try:
        # The explanation and the move to the next criterion: one transaction, one commit.
        async with step_transaction(session):
            await store.set_explanation(
                session, snap, code=code, text=text, author=user_id, now=clock.now()
            )
            await _advance_set(state, session, cset, scope)
    except svc.EvidenceRefused as exc:
        await _bad(message, state, session, cset, scope, exc.user_message)
        return
    await _show(message, state, session, cset, scope, prefix=t.EXPLANATION_SAVED)
