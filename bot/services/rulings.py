"""Rulings: answered tickets suggested as knowledge-base entries, reviewed by coordinators.

Approved rulings are knowledge entries kept in the database (id ``hs-<n>``); they are
searched together with the curated YAML entries and exported as YAML for the curated files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data import BotData
from bot.db.models import RulingSuggestion, Ticket
from bot.errors import CchcError, NotFound
from knowledge.schema import Entry
from knowledge.search import SearchIndex

if TYPE_CHECKING:
    from bot.background import JobContext

log = logging.getLogger(__name__)

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
ENTRY_PREFIX = "hs-"
TAG = "tra-loi-cua-so"


class RulingNotFound(NotFound):
    user_message = "Không tìm thấy đề xuất này."


class RulingReviewed(CchcError):
    user_message = "Đề xuất này đã được xem xét rồi."


def source_text(department_name: str, when: datetime, tz: ZoneInfo) -> str:
    """The source line of a ruling: "Trả lời của Sở Tư pháp ngày 03/11/2026"."""
    return f"Trả lời của {department_name} ngày {when.astimezone(tz):%d/%m/%Y}"


async def suggest(
    session: AsyncSession,
    ticket: Ticket,
    *,
    source: str,
    now: datetime,
    question: str | None = None,
) -> RulingSuggestion:
    """Suggest the ticket's answer to ``question`` (its own question by default) as an entry.

    A pending suggestion of the same ticket and question is updated; the answer to a
    follow-up is a suggestion of its own, so it never replaces the answer to the original
    question."""
    if ticket.answer is None:
        raise CchcError("Phiếu chưa có câu trả lời.")
    question = question or ticket.question
    found = await session.execute(
        select(RulingSuggestion).where(
            RulingSuggestion.ticket_id == ticket.id,
            RulingSuggestion.status == PENDING,
            RulingSuggestion.question == question,
        )
    )
    row = found.scalars().first()
    if row is None:
        row = RulingSuggestion(ticket_id=ticket.id, status=PENDING, created_at=now)
        session.add(row)
    row.question = question
    row.answer = ticket.answer
    row.set_id = ticket.set_id
    row.criterion_code = ticket.criterion_code
    row.source = source[:255]
    await session.flush()
    return row


async def pending(session: AsyncSession, *, limit: int = 20) -> Sequence[RulingSuggestion]:
    found = await session.execute(
        select(RulingSuggestion)
        .where(RulingSuggestion.status == PENDING)
        .order_by(RulingSuggestion.id)
        .limit(limit)
    )
    return found.scalars().all()


async def get(session: AsyncSession, ruling_id: int) -> RulingSuggestion:
    row = await session.get(RulingSuggestion, ruling_id)
    if row is None:
        raise RulingNotFound()
    return row


async def review(
    session: AsyncSession,
    ruling_id: int,
    *,
    approve: bool,
    reviewer: int,
    now: datetime,
    answer: str | None = None,
    question: str | None = None,
) -> RulingSuggestion:
    """Approve (optionally with an edited answer or question) or reject a pending ruling."""
    row = await get(session, ruling_id)
    if row.status != PENDING:
        raise RulingReviewed()
    if answer is not None and answer.strip():
        row.answer = answer.strip()
    if question is not None and question.strip():
        row.question = question.strip()
    row.status = APPROVED if approve else REJECTED
    row.reviewed_by = reviewer
    row.reviewed_at = now
    await session.flush()
    return row


def as_entry(row: RulingSuggestion) -> Entry:
    return Entry(
        id=f"{ENTRY_PREFIX}{row.id}",
        question=row.question,
        answer=row.answer,
        criteria=(row.criterion_code,) if row.criterion_code else (),
        # Its code is a code of the asker's set: the ruling is searched in that set only.
        sets=(row.set_id,),
        source=row.source,
        tags=(TAG,),
    )


async def approved_entries(session: AsyncSession) -> list[Entry]:
    """Every approved ruling as a knowledge entry, oldest first."""
    found = await session.execute(
        select(RulingSuggestion)
        .where(RulingSuggestion.status == APPROVED)
        .order_by(RulingSuggestion.id)
    )
    return [as_entry(row) for row in found.scalars()]


def export_yaml(entries: Sequence[Entry]) -> str:
    """Entries in the curated knowledge-file format (a YAML list of entries)."""
    docs = []
    for entry in entries:
        doc: dict[str, object] = {"id": entry.id, "question": entry.question}
        if entry.alternatives:
            doc["alternatives"] = list(entry.alternatives)
        doc["answer"] = entry.answer
        if entry.criteria:
            doc["criteria"] = list(entry.criteria)
        if entry.sets:
            doc["sets"] = list(entry.sets)
        doc["source"] = entry.source
        if entry.tags:
            doc["tags"] = list(entry.tags)
        docs.append(doc)
    return yaml.safe_dump(docs, allow_unicode=True, sort_keys=False, width=100)


async def refresh_index(index: SearchIndex, data: BotData, session: AsyncSession) -> int:
    """Rebuild ``index`` in place with the curated entries plus the approved rulings, and
    make the rulings known to ``data.by_id`` (answers are rendered from it).

    The index and data objects are shared by every handler (injected by the dispatcher and
    captured by polling), so the rebuilt state is moved into them rather than replacing the
    objects. The build runs in a thread; the swap is one synchronous step on the event loop.
    Returns the number of rulings indexed.
    """
    extra = await approved_entries(session)
    fresh = await asyncio.to_thread(data.index, None, extra)
    index.replace_with(fresh)
    # The other sets' indexes in use (commune units beside district ones) take them in too.
    data.rulings[:] = extra
    for set_id, other in list(data.set_indexes.items()):
        other.replace_with(await asyncio.to_thread(data.index, set_id, extra))
    curated = {e.id for e in data.entries}
    for entry_id in [k for k in data.by_id if k.startswith(ENTRY_PREFIX) and k not in curated]:
        del data.by_id[entry_id]
    data.by_id.update((e.id, e) for e in extra if e.id not in curated)
    return len(extra)


# --- Keeping every process's index current ------------------------------------------------

REFRESH_INTERVAL = 30.0  # seconds between checks of the approved rulings
Version = tuple[int, int]  # (how many approved rulings, the highest approved id)


async def approved_version(session: AsyncSession) -> Version:
    """A cheap fingerprint of the approved rulings in the database.

    Approved rulings are never edited (only pending ones are reviewed) and ids only grow, so
    the count and the highest id change whenever one is approved or removed."""
    found = await session.execute(
        select(func.count(RulingSuggestion.id), func.max(RulingSuggestion.id)).where(
            RulingSuggestion.status == APPROVED
        )
    )
    count, highest = found.one()
    return int(count or 0), int(highest or 0)


def loaded_version(data: BotData) -> Version:
    """The same fingerprint of the rulings this process has loaded into ``data.by_id``."""
    curated = {e.id for e in data.entries}
    ids = [
        int(key.removeprefix(ENTRY_PREFIX))
        for key in data.by_id
        if key.startswith(ENTRY_PREFIX)
        and key not in curated
        and key.removeprefix(ENTRY_PREFIX).isdigit()
    ]
    return len(ids), max(ids, default=0)


async def refresh_if_changed(index: SearchIndex, data: BotData, session: AsyncSession) -> bool:
    """Refresh ``index`` when the approved rulings differ from those loaded (e.g. another bot
    process approved one); True if it was refreshed.

    Comparing with what is loaded rather than with the last check means the approving
    process does not rebuild twice, and an out-of-order swap heals at the next check."""
    if await approved_version(session) == loaded_version(data):
        return False
    await refresh_index(index, data, session)
    return True


async def refresh_job(ctx: JobContext) -> None:
    """Every :data:`REFRESH_INTERVAL` seconds, take in rulings approved by other processes."""
    if ctx.index is None or ctx.bot_data is None:
        log.warning("Rulings refresh job: no search index in the job context; not running")
        return
    while not ctx.stop.is_set():
        async with ctx.session_factory() as session:
            refreshed = await refresh_if_changed(ctx.index, ctx.bot_data, session)
        if refreshed:
            log.info("Search index: approved rulings changed in the database; refreshed")
        try:
            await asyncio.wait_for(ctx.stop.wait(), timeout=REFRESH_INTERVAL)
        except TimeoutError:
            pass
