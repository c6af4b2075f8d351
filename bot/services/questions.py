"""The log of questions asked in the bot; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import QuestionLog, utcnow


async def record(
    session: AsyncSession,
    *,
    telegram_id: int,
    unit_id: int | None,
    text: str,
    decision: str,
    entry_id: str | None,
    criterion_code: str | None,
) -> int:
    row = QuestionLog(
        telegram_id=telegram_id,
        unit_id=unit_id,
        text=text,
        decision=decision,
        entry_id=entry_id,
        criterion_code=criterion_code,
        for_province=False,
    )
    session.add(row)
    await session.flush()
    return row.id


async def set_feedback(
    session: AsyncSession, question_id: int, *, telegram_id: int, helpful: bool
) -> bool:
    """Store 👍/👎 on the asker's own question; False if it is not theirs (a forged button)."""
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id == question_id, QuestionLog.telegram_id == telegram_id)
        .values(helpful=helpful, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_for_province(session: AsyncSession, question_id: int, *, telegram_id: int) -> bool:
    """Flag the asker's own question as one to send to the province."""
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id == question_id, QuestionLog.telegram_id == telegram_id)
        .values(for_province=True, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get(session: AsyncSession, question_id: int) -> QuestionLog | None:
    return await session.get(QuestionLog, question_id)


async def list_unresolved(
    session: AsyncSession, *, unit_id: int | None = None, limit: int = 20
) -> Sequence[QuestionLog]:
    """Questions without an answer, judged wrong (👎) or meant for the province, newest first."""
    query = select(QuestionLog).where(
        or_(
            QuestionLog.decision == "none",
            QuestionLog.helpful.is_(False),
            QuestionLog.for_province.is_(True),
        )
    )
    if unit_id is not None:
        query = query.where(QuestionLog.unit_id == unit_id)
    query = query.order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()
