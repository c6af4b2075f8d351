"""SQLAlchemy models. Table names are singular; every timestamp is an aware UTC datetime."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns aware UTC datetimes, on SQLite as on PostgreSQL.

    SQLite keeps no offset, so values are normalised to UTC and stored naive; naive values read
    back are UTC by construction. Naive values on the way in are refused: they are bugs.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime given for a UTC column: {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """Points stored exactly as given, on SQLite as on PostgreSQL: the Decimal's plain text.

    SQLite has no decimal type (a NUMERIC column goes through float: 16.875 became 16.88, 2.675
    became 2.67), so the value is kept as text. Only ``Decimal`` (or ``int``) goes in; a float,
    already rounded by the time it gets here, is refused, as is a non-finite value.
    """

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"points must be a finite Decimal, not {value!r}")
        text = format(value, "f")
        if len(text) > 64:
            raise ValueError(f"points too long to store exactly: {text[:20]}…")
        return text

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value))


# The C0 control characters but tab, line feed and carriage return: PostgreSQL refuses NUL in
# text, a spreadsheet cell refuses them all (openpyxl raises), and no reader wants them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Word's manual line break (vertical tab) and a form feed, pasted from a document: line breaks.
_BREAKS = {"\x0b": "\n", "\x0c": "\n"}


def printable(text: str) -> str:
    """``text`` without C0 control characters (a vertical tab or form feed becomes a line
    break; tab, line feed and carriage return stay)."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda found: _BREAKS.get(found.group(), ""), text)


class UserText(TypeDecorator[str]):
    """Text a person wrote or a file was named (a question, an explanation, evidence, a display
    name): stored :func:`printable`, and cut to the column's length when it has one (a file
    name of 300 characters would make PostgreSQL refuse the whole write). ``UserText()`` is a
    TEXT column, ``UserText(255)`` a VARCHAR(255)."""

    impl = Text
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__()
        self.length = length
        if length is not None:
            self.impl = String(length)  # type: ignore[assignment]

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = printable(value)
        if self.length is not None and len(value) > self.length:
            value = value[: self.length]
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}  # noqa: RUF012


class Unit(Base):
    """An administrative unit taking part in the assessment (a district or a commune).

    ``kind`` is its level ("huyen", "xa", …): the level a criteria set declares, so that the
    unit's assessment for a year uses the set opened for its level and that year.
    """

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(UserText(255))
    kind: Mapped[str] = mapped_column(String(16), default="huyen")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Unit(code={self.code!r})"


class Person(Base):
    """A Telegram user known to the bot, with the role and unit given by their invite."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(UserText(255), default="")
    role: Mapped[str] = mapped_column(String(16), default="guest")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # A department code of the criteria set ("TP"), or for contacts a provincial one ("STP").
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Eager ("selectin") because lazy loads are not possible under asyncio.
    unit: Mapped[Unit | None] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return f"Person(telegram_id={self.telegram_id!r}, role={self.role!r})"


class Invite(Base):
    """A one-time registration code bound to a role (and a unit or a department)."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    department: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit | None] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return f"Invite(code={self.code!r}, role={self.role!r})"


class FsmRecord(Base):
    """Conversation (FSM) state and data of one aiogram storage key."""

    __tablename__ = "fsm_record"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class QuestionLog(Base):
    """A question asked in the bot, with the decision taken and the asker's feedback.

    Unanswered questions, 👎 answers and questions meant for the province are listed for
    coordinators. Only the Telegram id is kept of the asker, to check feedback buttons.
    """

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    unit: Mapped[Unit | None] = relationship(lazy="selectin")
    text: Mapped[str] = mapped_column(UserText())
    decision: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    # The set the question was answered from: ``criterion_code`` is a code of this set.
    set_id: Mapped[str] = mapped_column(String(64))
    criterion_code: Mapped[str | None] = mapped_column(String(32))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    for_province: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a coordinator dealt with it in /cauhoi ("answered" from the knowledge base,
    # sent on as a "ticket", "dismissed"), or "noise" for a message without words.
    handled: Mapped[str | None] = mapped_column(String(16))
    handled_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- Escalate ------------------------------------------------------------------------------


class Ticket(Base):
    """A question sent to a provincial department (Sở), shown to people as ``#<id>``.

    ``due_from`` is when the response clock started (creation, reassignment or the officer's
    reply to a request for more information); ``route_count`` changes with every routing so
    that reminders of an earlier routing never block those of the next one. ``draft_key`` is
    the key of the draft it was sent from: a draft sent again (its end lost with a killed
    process) finds its ticket instead of making a second one.
    """

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(UserText())
    # The asker's set: ``criterion_code`` (and the routing by area) are of this set.
    set_id: Mapped[str] = mapped_column(String(64))
    criterion_code: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    asker_id: Mapped[int] = mapped_column(BigInteger, index=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    awaiting_info: Mapped[bool] = mapped_column(Boolean, default=False)
    attachment_id: Mapped[str | None] = mapped_column(String(255))
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    question_log_id: Mapped[int | None] = mapped_column(ForeignKey("question_log.id"))
    draft_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    answer: Mapped[str | None] = mapped_column(UserText())
    answered_by: Mapped[str | None] = mapped_column(UserText(255))
    reminder_level: Mapped[int] = mapped_column(default=0)
    route_count: Mapped[int] = mapped_column(default=1)
    due_from: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return f"Ticket(id={self.id!r}, status={self.status!r})"


class TicketEvent(Base):
    """One step of a ticket's history (created, reassigned, answer, resolved, reopened …)."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    department: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(UserText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketFollower(Base):
    """An officer who asked the same question and follows another unit's ticket."""

    __tablename__ = "ticket_follower"
    __table_args__ = (UniqueConstraint("ticket_id", "telegram_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RulingSuggestion(Base):
    """An answered ticket proposed as a knowledge-base entry; approved ones are searched."""

    __tablename__ = "ruling_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    question: Mapped[str] = mapped_column(UserText())
    answer: Mapped[str] = mapped_column(UserText())
    set_id: Mapped[str] = mapped_column(String(64))
    criterion_code: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None]


# --- Deadlines: calendar edits, reminder claims and the outbox -------------------------------


class UnitDeadline(Base):
    """A unit's own calendar entry: a new deadline, or a changed date of a set's step.

    ``step_id`` is the id of the set's calendar step it changes, or a fresh id for a deadline
    the coordinator added; ``removed`` hides an added deadline (rows are kept for the audit).
    """

    __tablename__ = "unit_deadline"
    __table_args__ = (UniqueConstraint("unit_id", "set_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    set_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(UserText())
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    added: Mapped[bool] = mapped_column(Boolean, default=False)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeadlineAudit(Base):
    """Who added, changed or removed a unit deadline, when, and the values before and after."""

    __tablename__ = "deadline_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    set_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSent(Base):
    """A reminder claimed for one person, deadline and step: the row is the "at most once".

    ``deadline_key`` names the set, the step and its end date (a moved date is a new deadline
    with its own schedule); ``step`` is the days-before offset or ``digest-YYYYMMDD``.
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("person_id", "deadline_key", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    deadline_key: Mapped[str] = mapped_column(String(160))
    step: Mapped[str] = mapped_column(String(32))
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message to deliver: persisted first, then claimed and sent by the outbox job.

    status: pending → sending (claimed by one process) → sent | failed | blocked. A claim is a
    lease: ``lease_until`` is renewed by the sender's heartbeat while it sends; once it has
    expired (a dead process) any sender may return the row to pending and claim it.
    ``dedup_key`` makes enqueueing the same message twice a no-op.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(32), default="message")
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"OutboxMessage(id={self.id!r}, chat_id={self.chat_id!r}, status={self.status!r})"


class ProcessedUpdate(Base):
    """An update already taken by one bot process: Telegram may deliver an update again
    (webhook retries, another process behind the same address); the first insert wins.

    Rows older than a day are worth nothing (Telegram keeps updates 24 hours) and are pruned.
    """

    __tablename__ = "processed_update"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(index=True)


# --- Score ---------------------------------------------------------------------------------


class AssessmentYear(Base):
    """An assessment year opened for one level: from then on the units of that level are
    assessed on ``set_id`` for ``year`` and their earlier assessments are closed (read-only).

    A level without a row uses the set chosen by the catalogue (see ``bot.services.years``).
    """

    __tablename__ = "assessment_year"

    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    set_id: Mapped[str] = mapped_column(String(64))
    opened_by: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class LevelChoice(Base):
    """The level a guest (no unit) chose to ask and browse at; remembered across /huy."""

    __tablename__ = "level_choice"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    level: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assessment(Base):
    """One unit's self-assessment for one year against one criteria set.

    ``status`` is "open", "locked" (submitted by the coordinator, may be reopened) or "closed"
    (a past year after the rollover: read-only for good). Answers, their evidence, the audit
    and the extras belong to the assessment and so to its set: their codes are ``set_id``'s.
    """

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    set_id: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    locked_at: Mapped[datetime | None]
    locked_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Assessment(unit_id={self.unit_id!r}, set_id={self.set_id!r})"


class Answer(Base):
    """The answer to one self-scored criterion: the typed input, its score and evidence state.

    ``raw`` is the JSON of the scoring input; ``evidence_status`` is "pending" (not yet
    asked), "ok", "missing" (to be added later) or "explained" (a giải trình instead).
    """

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("assessment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    code: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(UserText())
    points: Mapped[Decimal] = mapped_column(ExactDecimal())
    max: Mapped[Decimal] = mapped_column(ExactDecimal())
    explanation: Mapped[str] = mapped_column(UserText())
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence_status: Mapped[str] = mapped_column(String(16), default="pending")
    explanation_text: Mapped[str | None] = mapped_column(UserText())
    returned_comment: Mapped[str | None] = mapped_column(UserText())
    author: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    evidence: Mapped[list[Evidence]] = relationship(
        lazy="selectin", order_by="Evidence.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"Answer(code={self.code!r}, points={self.points!r})"


class Evidence(Base):
    """One evidence item (tài liệu kiểm chứng): a document reference, a file or a link."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str | None] = mapped_column(UserText())
    file_id: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(UserText(255))
    author: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who changed what in an assessment, and when: old and new values as JSON text."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(UserText())
    new: Mapped[str | None] = mapped_column(UserText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Assessment extras ---------------------------------------------------------------------


class AssessmentExtra(Base):
    """A figure the coordinator enters for the whole assessment, outside the criteria.

    ``kind`` is "bonus" or "penalty" (``count``: occurrences claimed of the set's item
    ``code``) or "survey" (``points``: what the province announced for survey criterion
    ``code``). Changes are audited in ``audit_log``.
    """

    __tablename__ = "assessment_extra"
    __table_args__ = (UniqueConstraint("assessment_id", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(64))
    count: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    updated_by: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
