"""Score journey: the evidence step (documents, photos, links, references) and the explanation
when there is no evidence."""

from __future__ import annotations

import re
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Person
from bot.services import assessments as svc
from bot.services.people import Role
from bot.settings import Settings
from criteria.loader import Catalogue
from criteria.schema import CriteriaSet
from handlers.callbacks import ScoreCb
from handlers.scoring.steps import (
    _TEXT,
    MAX_TEXT,
    Loaded,
    Scope,
    ScoringFlow,
    _advance,
    _assessment,
    _bad,
    _line,
    _load,
    _nav,
    _overview,
    _scope_or_say,
    _set,
    _show,
    _unexpected,
    register_view,
    staff_router,
)
from handlers.texts import scoring as t

staff = staff_router(__name__)

_LINK = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


def _evidence_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
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
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    text = "\n".join(
        [_line(loaded.progress), "", f"📌 <b>Tiêu chí {node.code}</b>", t.EXPLANATION_PROMPT]
    )
    kb = InlineKeyboardBuilder()
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
    settings: Settings,
) -> None:
    cset = catalogue.current
    found = _evidence_of(message)
    if found is None:
        await _unexpected(message, state, session, person, role, catalogue, settings.tz)
        return
    scope = await _scope_or_say(message, state, session, person, role, cset, settings.tz)
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
    settings: Settings,
) -> None:
    cset = catalogue.current
    scope = await _scope_or_say(message, state, session, person, role, cset, settings.tz)
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
