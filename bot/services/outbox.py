"""The outbox: messages are stored first, then delivered by a sender within Telegram's limits.

Any journey that must deliver a message outside the reply to an update (reminders, ticket
deliveries) calls :func:`enqueue` inside its own transaction; the message is then sent by the
outbox job of whichever bot process claims it first. Delivery guarantees:

* a row is claimed with a conditional UPDATE (``status='pending'`` → ``'sending'`` with a
  claim token), so two processes on one database never send the same row;
* a claim is a lease: ``lease_until`` is :data:`LEASE` ahead and the sender's heartbeat
  renews it every :data:`HEARTBEAT` while it delivers the batch; a row whose lease expired
  (a killed process) is returned to ``pending`` by any sender and claimed again within
  seconds. A sender that finds a row no longer its own (its lease was lost) does not send it;
* a row is marked ``sent`` right after Telegram accepted it (the only window in which a
  message could go twice is a crash between Telegram's answer and that UPDATE);
* a global rate (``OUTBOX_RATE`` per second) and one message per second per chat; a 429 pauses
  the sender for ``retry_after`` and the message is retried; network and server errors are
  retried with exponential backoff; a user who blocked the bot is marked inactive and their
  unit's coordinators are told (through the outbox too).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from bot.clock import Clock
from bot.db.dialects import conflict_insert
from bot.db.models import OutboxMessage, Person
from bot.messages import split_message
from bot.services.people import Role, get_person, set_active

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
LOST = "lost"  # not a stored status: the row's lease went to another sender

LEASE = timedelta(seconds=15)
HEARTBEAT = 5.0  # seconds between two renewals of a batch's lease
# Claims made before leases existed (no lease_until) expire the old way.
STALE_CLAIM = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(minutes=10)
MAX_RETRY_AFTER_PER_CLAIM = 5
PER_CHAT_INTERVAL = 1.05  # a little over 1 s: arrival jitter must not make it < 1 s


async def insert_or_ignore(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any]
) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None on a unique clash.

    The conflict does not abort the caller's transaction (no exception, no savepoint), on
    SQLite as on PostgreSQL; this is how "at most once" is claimed in the database.
    """
    dialect = session.get_bind().dialect.name
    table: Table = model.__table__  # type: ignore[assignment]
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - the two supported
        raise RuntimeError(f"unsupported database {dialect}")
    stmt = conflict_insert(dialect)(table).values(**values).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(table.c.id))
    return result.scalar_one_or_none()


async def insert_many_or_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    returning: str,
    chunk: int = 500,
) -> set[Any]:
    """Multi-row INSERT … ON CONFLICT DO NOTHING; the ``returning`` values of new rows."""
    table: Table = model.__table__  # type: ignore[assignment]
    insert = conflict_insert(session.get_bind().dialect.name)
    out: set[Any] = set()
    # executemany with RETURNING: SQLAlchemy batches it into multi-row statements
    # ("insertmanyvalues") with one cached compilation.
    stmt = insert(table).on_conflict_do_nothing().returning(table.c[returning])
    for start in range(0, len(rows), chunk):
        result = await session.execute(stmt, list(rows[start : start + chunk]))
        out.update(result.scalars().all())
    return out


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    dedup_key: str | None = None,
    kind: str = "message",
    not_before: datetime | None = None,
    now: datetime,
) -> OutboxMessage | None:
    """Store a message for delivery; None when ``dedup_key`` was already used (nothing stored).

    ``text`` is Telegram HTML (the bot's default parse mode); ``reply_markup`` a JSON-able dict
    such as ``InlineKeyboardMarkup.model_dump(exclude_none=True)``. The caller commits.

    A text longer than one message (a Sở's long answer relayed with the question) is stored
    as several rows, in order, split as replies are (``bot.messages.split_message``), the
    buttons on the last; the first row, which holds ``dedup_key``, is returned, the others'
    keys derived from it ("#2", "#3" …).
    """
    parts = split_message(text)
    first: int | None = None
    for number, part in enumerate(parts, start=1):
        key = dedup_key if number == 1 or dedup_key is None else f"{dedup_key}#{number}"
        new_id = await insert_or_ignore(
            session,
            OutboxMessage,
            {
                "chat_id": chat_id,
                "text": part,
                "reply_markup": reply_markup if number == len(parts) else None,
                "kind": kind,
                "dedup_key": key,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": not_before or now,
                "created_at": now,
            },
        )
        if new_id is None:
            if number == 1:
                return None
            continue
        first = first or new_id
    assert first is not None
    return await session.get(OutboxMessage, first)


async def recover_stale(session: AsyncSession, *, now: datetime) -> int:
    """Return claims whose lease expired (a killed sender) to ``pending``."""
    expired = or_(
        OutboxMessage.lease_until < now,
        and_(OutboxMessage.lease_until.is_(None), OutboxMessage.claimed_at < now - STALE_CLAIM),
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, expired)
        .values(status=PENDING, claimed_by=None, claimed_at=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim(
    session: AsyncSession,
    *,
    limit: int,
    now: datetime,
    token: str | None = None,
    lease: timedelta = LEASE,
) -> Sequence[OutboxMessage]:
    """Atomically claim up to ``limit`` due messages for this sender, oldest first.

    The ``status = 'pending'`` condition is re-checked by the UPDATE itself, so a row another
    process claimed in between is simply not ours (row lock on PostgreSQL, write lock on SQLite).
    """
    token = token or uuid.uuid4().hex
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == PENDING)
        .values(status=SENDING, claimed_by=token, claimed_at=now, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.claimed_by == token, OutboxMessage.status == SENDING)
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return rows.scalars().all()


async def renew(
    session: AsyncSession, *, token: str, now: datetime, lease: timedelta = LEASE
) -> set[int]:
    """Extend the lease of the rows still claimed under ``token``; their ids."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claimed_by == token, OutboxMessage.status == SENDING)
        .values(lease_until=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars().all())


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … seconds after the n-th failed attempt, at most :data:`BACKOFF_CAP`."""
    return min(timedelta(seconds=2 ** max(1, attempts)), BACKOFF_CAP)


class RateLimiter:
    """Global pacing plus a minimum interval per chat (monotonic time).

    Send slots are spaced ``1/rate`` apart, and whatever the event loop's delays, no more than
    ``rate`` sends leave within any one second (a sliding window of actual send times), so a
    stall never turns into a burst. :meth:`pause` (after a 429) holds every send back.
    """

    def __init__(
        self,
        rate: float,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / rate
        self.per_second = max(1, int(rate))
        self.per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._next = 0.0
        self._sent: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def wait_chat(self, chat_id: int) -> None:
        delay = self._chat_next.get(chat_id, 0.0) - self._monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def acquire(self, chat_id: int) -> None:
        await self.wait_chat(chat_id)
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._sent and now - self._sent[0] >= 1.0:
                    self._sent.popleft()
                wait = self._next - now
                if len(self._sent) >= self.per_second:
                    wait = max(wait, self._sent[0] + 1.0 - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._sent.append(now)
            self._next = max(self._next + self.interval, now)
        self._chat_next[chat_id] = now + self.per_chat_interval
        if len(self._chat_next) > 10_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, self._monotonic() + seconds)


@dataclass
class SenderStats:
    sent: int = 0
    retry_after: int = 0
    network_errors: int = 0
    failed: int = 0
    blocked: int = 0
    errors: list[str] = field(default_factory=list)


BlockedText = Callable[[Person], str]


class OutboxSender:
    """Claims due outbox rows and delivers them; one per bot process (see :func:`run`)."""

    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        rate: float,
        blocked_text: BlockedText,
        batch: int | None = None,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        lease: timedelta = LEASE,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.clock = clock
        self.limiter = RateLimiter(rate, per_chat_interval)
        self.blocked_text = blocked_text
        # About two seconds of sending per claim: short claims, little left behind on a crash.
        self.batch = batch or max(1, int(rate * 2))
        self.lease = lease
        self.heartbeat = heartbeat
        self.stats = SenderStats()
        # Rows of the current batch whose lease this sender lost (another sender took them).
        self._lost: set[int] = set()

    async def run_once(self) -> int:
        """Claim one batch of due messages and deliver it; returns how many were claimed."""
        now = self.clock.now()
        token = uuid.uuid4().hex
        async with self.session_factory() as session, session.begin():
            recovered = await recover_stale(session, now=now)
            rows = await claim(session, limit=self.batch, now=now, token=token, lease=self.lease)
        if recovered:
            log.warning("Outbox: %d claims with an expired lease returned to pending", recovered)
        if not rows:
            return 0
        by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_chat[row.chat_id].append(row)
        self._lost = set()
        beat = asyncio.create_task(self._heartbeat(token, {row.id for row in rows}))
        try:
            await asyncio.gather(
                *(self._deliver_chat(chat_rows) for chat_rows in by_chat.values())
            )
        finally:
            beat.cancel()
            with suppress(asyncio.CancelledError):
                await beat
        return len(rows)

    async def _heartbeat(self, token: str, claimed: set[int]) -> None:
        """Renew the batch's lease until it is delivered; note rows it no longer holds."""
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                async with self.session_factory() as session, session.begin():
                    held = await renew(
                        session, token=token, now=self.clock.now(), lease=self.lease
                    )
            except Exception:  # the database is away: try again at the next beat
                log.warning("Outbox: lease renewal failed", exc_info=True)
                continue
            self._lost |= claimed - held
            claimed = held

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set, polling every ``idle`` seconds when nothing is due."""
        while not stop.is_set():
            if await self.run_once():
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle)
            except TimeoutError:
                pass

    async def _deliver_chat(self, rows: list[OutboxMessage]) -> None:
        for index, row in enumerate(rows):
            outcome = await self._deliver(row)
            if outcome == BLOCKED:
                # Nothing more reaches this chat; the rest of its rows share the fate.
                for other in rows[index + 1 :]:
                    await self._finish(other, BLOCKED, error="blocked earlier in this batch")
                return

    async def _deliver(self, row: OutboxMessage) -> str:
        markup = (
            InlineKeyboardMarkup.model_validate(row.reply_markup) if row.reply_markup else None
        )
        for _ in range(MAX_RETRY_AFTER_PER_CLAIM):
            await self.limiter.acquire(row.chat_id)
            if row.id in self._lost:
                log.warning("Outbox: lease of message %s lost; left to its new sender", row.id)
                return LOST
            try:
                await self.bot.send_message(row.chat_id, row.text, reply_markup=markup)
            except TelegramRetryAfter as exc:
                self.stats.retry_after += 1
                log.warning("Outbox: 429, pausing %s s", exc.retry_after)
                self.limiter.pause(exc.retry_after)
                continue
            except TelegramForbiddenError as exc:
                self.stats.blocked += 1
                await self._blocked(row, str(exc))
                return BLOCKED
            except (TelegramNetworkError, TelegramServerError) as exc:
                self.stats.network_errors += 1
                return await self._retry_later(row, str(exc))
            except TelegramBadRequest as exc:
                self.stats.failed += 1
                log.warning("Outbox: message %s refused: %s", row.id, exc.message)
                await self._finish(row, FAILED, error=exc.message)
                return FAILED
            self.stats.sent += 1
            await self._finish(row, SENT)
            return SENT
        return await self._retry_later(row, "flood control", count_attempt=False)

    async def _finish(self, row: OutboxMessage, status: str, error: str | None = None) -> None:
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == row.claimed_by)
                .values(
                    status=status,
                    attempts=OutboxMessage.attempts + 1,
                    sent_at=now if status == SENT else None,
                    last_error=error,
                )
                .execution_options(synchronize_session=False)
            )

    async def _retry_later(
        self, row: OutboxMessage, error: str, count_attempt: bool = True
    ) -> str:
        attempts = row.attempts + (1 if count_attempt else 0)
        now = self.clock.now()
        status = FAILED if attempts >= MAX_ATTEMPTS else PENDING
        if status == FAILED:
            self.stats.failed += 1
        log.warning("Outbox: message %s not sent (%s), attempt %d", row.id, error, attempts)
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == row.claimed_by)
                .values(
                    status=status,
                    attempts=attempts,
                    next_attempt_at=now + backoff(attempts) if count_attempt else now,
                    claimed_by=None,
                    claimed_at=None,
                    last_error=error[:500],
                )
                .execution_options(synchronize_session=False)
            )
        return status

    async def _blocked(self, row: OutboxMessage, error: str) -> None:
        """Mark the row and the person; tell the unit's coordinators once per person."""
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == row.claimed_by)
                .values(status=BLOCKED, attempts=OutboxMessage.attempts + 1, last_error=error)
                .execution_options(synchronize_session=False)
            )
            person = await get_person(session, row.chat_id)
            if person is None or not person.active:
                return
            await set_active(session, person.telegram_id, False)
            if person.unit_id is None:
                return
            coordinators = await session.execute(
                select(Person).where(
                    Person.unit_id == person.unit_id,
                    Person.role == Role.COORDINATOR.value,
                    Person.active.is_(True),
                    Person.id != person.id,
                )
            )
            text = self.blocked_text(person)
            stamp = now.strftime("%Y%m%d%H%M")
            for coordinator in coordinators.scalars():
                await enqueue(
                    session,
                    chat_id=coordinator.telegram_id,
                    text=text,
                    kind="blocked_notice",
                    dedup_key=f"blocked:{person.telegram_id}:{coordinator.telegram_id}:{stamp}",
                    now=now,
                )
        log.info("Outbox: chat %s blocked the bot; person marked inactive", row.chat_id)
