"""Score journey: the confirmation step — the computed score, «💾 Lưu» saves at once."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services import assessments as svc
from bot.services import scoring as store
from bot.storage import step_transaction
from criteria.schema import CriteriaSet, node_label
from criteria.scoring import RawInput
from handlers.scoring.keys import Keys, score_cb
from handlers.scoring.steps import (
    Loaded,
    Scope,
    ScoringFlow,
    _line,
    _nav,
    _set,
    _show,
    _snapshot,
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
    kb = Keys()
    part = int(data.get("part", 0))
    kb.button(
        text=t.BTN_SAVE,
        callback_data=score_cb(action="ok", aid=scope.assessment_id, code=node.code),
    )
    kb.button(
        text=t.BTN_AGAIN,
        callback_data=score_cb(action="re", aid=scope.assessment_id, code=node.code),
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
    snap = await _snapshot(session, scope, cset)
    skipped = [c for c in data.get("skipped") or [] if c != data["code"]]
    # The answer and the move to its evidence step: one transaction, one commit.
    async with step_transaction(session):
        saved = await store.save_answer(
            session,
            snap,
            cset=cset,
            code=data["code"],
            raw=raw,
            author=user_id,
            now=clock.now(),
        )
        await _set(state, ScoringFlow.waiting_evidence, pending=None, parts=[], skipped=skipped)
    note = t.saved(saved.code, saved.points, saved.max, saved.excluded)
    await _show(message, state, session, cset, scope, prefix=note)
