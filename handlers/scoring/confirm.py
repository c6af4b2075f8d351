"""Score journey: the confirmation step — the computed score, «💾 Lưu» saves at once."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services import assessments as svc
from criteria.schema import CriteriaSet, node_label
from criteria.scoring import RawInput
from handlers.callbacks import ScoreCb
from handlers.keyboards import InlineKeyboardBuilder
from handlers.scoring.steps import (
    Loaded,
    Scope,
    ScoringFlow,
    _assessment,
    _line,
    _nav,
    _set,
    _show,
    register_view,
)
from handlers.texts import scoring as t


def _pending_raw(data: dict[str, Any]) -> RawInput:
    return svc.decode_raw(data["pending"])


def _confirm_view(
    cset: CriteriaSet, scope: Scope, loaded: Loaded, data: dict[str, Any], state: str
) -> tuple[str, InlineKeyboardMarkup]:
    node = svc.criterion(cset, data["code"])
    result = svc.preview(node, _pending_raw(data))
    text = "\n".join(
        [
            _line(loaded.progress),
            "",
            f"📌 <b>{node_label(node.code)}</b>",
            t.confirm(result.points, result.max, result.explanation, result.excluded),
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


register_view(_confirm_view, ScoringFlow.waiting_confirmation)


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
        note = t.saved(saved.code, saved.points, saved.max, saved.excluded)
    skipped = [c for c in data.get("skipped") or [] if c != data["code"]]
    await _set(state, ScoringFlow.waiting_evidence, pending=None, parts=[], skipped=skipped)
    await _show(message, state, session, cset, scope, prefix=note)
