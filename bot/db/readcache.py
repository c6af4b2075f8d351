"""A per-session memo of derived reads (an assessment's answers and progress), dropped by
any write of that session.

One update is one session (bot/middleware.py); a scoring step used to read the same answers
two or three times (the step, the view after moving on, the overview). Whatever is memoised
here is forgotten as soon as the session flushes, executes an INSERT, UPDATE or DELETE, or
rolls back — a write run on the driver (bot/db/direct.py) forgets it too — except the
bookkeeping writes that cannot change it (FSM records, update claims,
the question log) — so a read after a write always goes to the database.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

_KEY = "cchc_read_cache"
# Tables whose writes leave every memoised read valid.
BOOKKEEPING = frozenset({"fsm_record", "processed_update", "question_log"})

_installed = False


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_KEY, None)


def forget(session: AsyncSession) -> None:
    """Drop the memo (a write made outside the ORM: bot/db/direct.py)."""
    session.sync_session.info.pop(_KEY, None)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in BOOKKEEPING:
        return
    _forget(state.session)


def _install() -> None:
    """Listen on every Session once (done at first use, not at import)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _forget)
    event.listen(Session, "after_rollback", _forget)
    event.listen(Session, "after_soft_rollback", _forget)
    event.listen(Session, "do_orm_execute", _on_execute)
    _installed = True


def read_cache(session: AsyncSession) -> dict[Hashable, Any]:
    """The session's memo: valid until the session's next write."""
    _install()
    cache: dict[Hashable, Any] = session.sync_session.info.setdefault(_KEY, {})
    return cache
