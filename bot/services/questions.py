"""The log of questions asked in the bot; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import direct
from bot.db.models import QuestionLog, utcnow


async def record(
    session: AsyncSession,
    *,
    telegram_id: int,
    unit_id: int | None,
    set_id: str,
    text: str,
    decision: str,
    entry_id: str | None,
    criterion_code: str | None,
    now: datetime | None = None,
) -> int:
    """Log a question answered from ``set_id`` (``criterion_code`` is one of its codes);
    returns its id. One INSERT … RETURNING, in the caller's transaction
    (:func:`bot.db.direct.transaction`)."""
    stamp = now or utcnow()
    found = await direct.rows(
        session,
        _RECORD,
        {
            "telegram_id": telegram_id,
            "unit_id": unit_id,
            "set_id": set_id,
            "text": text,
            "decision": decision,
            "entry_id": entry_id,
            "criterion_code": criterion_code,
            "for_province": False,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    return int(found[0][0])


_RECORDED = (
    "telegram_id",
    "unit_id",
    "set_id",
    "text",
    "decision",
    "entry_id",
    "criterion_code",
    "for_province",
    "created_at",
    "updated_at",
)


@cache
def _record_statement() -> Any:
    """Built once (a question is logged on every question), with bound parameters."""
    table: Table = QuestionLog.__table__  # type: ignore[assignment]
    values = {name: bindparam(name, type_=table.c[name].type) for name in _RECORDED}
    return insert(table).values(values).returning(table.c.id)


# Run on the driver where it can (bot/db/direct.py); the caller commits with its transaction.
_RECORD = direct.Statement(lambda _dialect: _record_statement())


async def set_feedback(
    session: AsyncSession,
    question_id: int,
    *,
    telegram_id: int,
    helpful: bool,
    now: datetime | None = None,
) -> bool:
    """Store 👍/👎 on the asker's own question; False if it is not theirs (a forged button)."""
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id == question_id, QuestionLog.telegram_id == telegram_id)
        .values(helpful=helpful, updated_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_pick(
    session: AsyncSession,
    question_id: int,
    *,
    telegram_id: int,
    entry_id: str | None,
    criterion_code: str | None,
    now: datetime | None = None,
) -> bool:
    """Store the entry (or criterion) the asker chose among the offered ones on their own
    question; False if it is not theirs (a forged or foreign button) — nothing changes."""
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id == question_id, QuestionLog.telegram_id == telegram_id)
        .values(entry_id=entry_id, criterion_code=criterion_code, updated_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_for_province(
    session: AsyncSession, question_id: int, *, telegram_id: int, now: datetime | None = None
) -> bool:
    """Flag the asker's own question as one to send to the province."""
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id == question_id, QuestionLog.telegram_id == telegram_id)
        .values(for_province=True, updated_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get(session: AsyncSession, question_id: int) -> QuestionLog | None:
    return await session.get(QuestionLog, question_id)


def _unresolved() -> ColumnElement[bool]:
    return and_(
        QuestionLog.handled.is_(None),
        or_(
            QuestionLog.decision == "none",
            QuestionLog.helpful.is_(False),
            QuestionLog.for_province.is_(True),
        ),
    )


HANDLED = ("answered", "ticket", "dismissed")


async def for_reviewer(
    session: AsyncSession, question_id: int, *, unit_id: int | None
) -> QuestionLog | None:
    """The question if a reviewer of ``unit_id`` (None: an admin, every unit) may act on it
    and nobody dealt with it yet."""
    row = await session.get(QuestionLog, question_id)
    if row is None or row.handled is not None:
        return None
    if unit_id is not None and row.unit_id != unit_id:
        return None
    return row


async def mark_handled(
    session: AsyncSession, question_id: int, *, how: str, by: int, now: datetime | None = None
) -> bool:
    """Record how a reviewer dealt with the question; False if someone already did."""
    if how not in HANDLED:
        raise ValueError(f"unknown way to handle a question: {how!r}")
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id == question_id, QuestionLog.handled.is_(None))
        .values(handled=how, handled_by=by, updated_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_unresolved(
    session: AsyncSession, *, unit_id: int | None = None, limit: int = 20, offset: int = 0
) -> Sequence[QuestionLog]:
    """Questions without an answer, judged wrong (👎) or meant for the province, that nobody
    dealt with yet, newest first.

    ``unit_id`` None lists every unit's (and guests') questions.
    """
    query = select(QuestionLog).where(_unresolved())
    if unit_id is not None:
        query = query.where(QuestionLog.unit_id == unit_id)
    query = query.order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc())
    query = query.limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()


async def count_unresolved(session: AsyncSession, *, unit_id: int | None = None) -> int:
    """How many questions :func:`list_unresolved` would list without a limit."""
    query = select(func.count()).select_from(QuestionLog).where(_unresolved())
    if unit_id is not None:
        query = query.where(QuestionLog.unit_id == unit_id)
    return int(await session.scalar(query) or 0)
