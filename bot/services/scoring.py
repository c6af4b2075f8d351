"""The Score journey's data path (handlers/scoring): what one step reads and writes, in as few
Core statements as the step needs.

A step reads its unit's assessment and all its answers in **one** statement (with the name of
who locked it and whether the unit has an earlier year to offer evidence from); the result is
a :class:`Snapshot` of plain rows kept for the update (bot/db/readcache.py). The step's writes
(an answer, an evidence item, the evidence state, the explanation, each with its audit row)
are Core statements that update the snapshot in place, so that the progress shown after a
write is computed without reading back what was just written. The rules are those of
:mod:`bot.services.assessments`, which the rest of the bot uses; the audit rows are the same.

No SELECT before an UPDATE: an answer is updated only if it is still as the step read it (an
optimistic check on the audited columns); when another update changed it in between, the row
is read again inside the write's transaction, so the audit's "old" is always exact. A new
answer is an INSERT that yields to a concurrent one (ON CONFLICT DO NOTHING), then the same.

Evidence items are read only where shown (the evidence step, the read-only list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import direct
from bot.db.dialects import conflict_insert
from bot.db.models import Answer, Assessment, AuditLog, Evidence, Person
from bot.db.readcache import read_cache
from bot.errors import NotFound
from bot.services.assessments import (
    EVIDENCE_EXPLAINED,
    EVIDENCE_KINDS,
    EVIDENCE_MISSING,
    EVIDENCE_OK,
    EVIDENCE_PENDING,
    FILE_KINDS,
    LOCKED,
    MAX_TEXT,
    OPEN,
    AreaProgress,
    NoAnswer,
    Progress,
    WrongSet,
    _check_open,
    assigned_leaves,
    criterion,
    dumps_raw,
    preview,
    progress_from,
)
from bot.services.evidence import check_explanation, read_typed
from criteria.schema import CriteriaSet, Criterion, _memo
from criteria.scoring import RawInput

_ASSESSMENT: Table = Assessment.__table__  # type: ignore[assignment]
_ANSWER: Table = Answer.__table__  # type: ignore[assignment]
_EVIDENCE: Table = Evidence.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditLog.__table__  # type: ignore[assignment]
_PERSON: Table = Person.__table__  # type: ignore[assignment]


# --- rows --------------------------------------------------------------------------------------


@dataclass(slots=True)
class EvidenceItem:
    id: int
    kind: str
    text: str | None
    file_id: str | None
    file_name: str | None


class EvidenceAdded(NamedTuple):
    item: EvidenceItem
    total: int  # how many items the answer has now
    already: bool = False  # the answer's last item was this one: nothing was added


@dataclass(slots=True)
class AnswerRow:
    """An ``answer`` row as read (or as just written) in this update."""

    id: int
    code: str
    raw: str
    points: Decimal
    max: Decimal
    explanation: str
    not_applicable: bool
    excluded: bool
    evidence_status: str
    explanation_text: str | None
    returned_comment: str | None
    updated_at: datetime
    # The answer's evidence items in order; None until a step that shows them reads them.
    evidence: list[EvidenceItem] | None = None


@dataclass(slots=True)
class AssessmentRow:
    id: int
    unit_id: int
    set_id: str
    year: int
    status: str
    locked_at: datetime | None
    locked_by: int | None
    locker_name: str | None  # the display name of who locked it, when known
    has_earlier: bool  # the unit has an assessment of an earlier year (evidence to reuse)


@dataclass(slots=True)
class Snapshot:
    """A unit's assessment and answers for this update; writes through this module keep it
    current. ``answers`` by code."""

    assessment: AssessmentRow
    answers: dict[str, AnswerRow]
    _progress: dict[str | None, Progress] = field(default_factory=dict)

    def progress(self, cset: CriteriaSet, department: str | None) -> Progress:
        found = self._progress.get(department)
        if found is None:
            found = progress_of(cset, department, self.answers, self.assessment.status == LOCKED)
            self._progress[department] = found
        return found

    def _changed(self) -> None:
        self._progress.clear()


# --- reading -----------------------------------------------------------------------------------

_ANSWER_COLUMNS = (
    "id",
    "code",
    "raw",
    "points",
    "max",
    "explanation",
    "not_applicable",
    "excluded",
    "evidence_status",
    "explanation_text",
    "returned_comment",
    "updated_at",
)


@cache
def _snapshot_statement() -> Any:
    """The assessment of a unit and year, each answer on a row of its own (LEFT JOIN: one row
    with no answer when there is none), who locked it, and whether the unit has an earlier
    year. Built once with bound parameters: every scoring step runs it."""
    a, ans, p = _ASSESSMENT, _ANSWER, _PERSON
    earlier = a.alias("earlier")
    has_earlier = (
        exists()
        .where(earlier.c.unit_id == bindparam("unit_id"), earlier.c.year < bindparam("year"))
        .label("has_earlier")
    )
    return (
        select(
            a.c.id,
            a.c.set_id,
            a.c.status,
            a.c.locked_at,
            a.c.locked_by,
            p.c.display_name,
            has_earlier,
            *(ans.c[name] for name in _ANSWER_COLUMNS),
        )
        .select_from(
            a.outerjoin(ans, ans.c.assessment_id == a.c.id).outerjoin(
                p, p.c.telegram_id == a.c.locked_by
            )
        )
        .where(a.c.unit_id == bindparam("unit_id"), a.c.year == bindparam("year"))
    )


@cache
def _create_statement(dialect: str) -> Any:
    """The unit's assessment for a year, unless another update created it meanwhile."""
    insert_ = conflict_insert(dialect)
    a = _ASSESSMENT
    names = ("unit_id", "set_id", "year", "status", "created_at")
    stmt = insert_(a).values({n: bindparam(n, type_=a.c[n].type) for n in names})
    return stmt.on_conflict_do_nothing(index_elements=[a.c.unit_id, a.c.year])


# Run on the driver where it can (bot/db/direct.py).
_SNAPSHOT = direct.Statement(lambda _dialect: _snapshot_statement())
_CREATE = direct.Statement(_create_statement)


def _snapshot_from(rows: Sequence[Any], unit_id: int, year: int) -> Snapshot | None:
    if not rows:
        return None
    first = rows[0]
    assessment = AssessmentRow(
        id=first[0],
        unit_id=unit_id,
        set_id=first[1],
        year=year,
        status=first[2],
        locked_at=first[3],
        locked_by=first[4],
        locker_name=first[5],
        has_earlier=bool(first[6]),
    )
    answers: dict[str, AnswerRow] = {}
    for row in rows:
        if row[7] is not None:
            answers[row[8]] = AnswerRow(*row[7:])
    return Snapshot(assessment, answers)


def _key(unit_id: int, year: int) -> tuple[str, int, int]:
    return ("scoring", unit_id, year)


async def snapshot(
    session: AsyncSession, unit_id: int, cset: CriteriaSet, now: datetime
) -> Snapshot:
    """The unit's assessment on ``cset`` for the set's year with its answers, created (open)
    on first use: one statement, read once per update (until a write not made here)."""
    year = cset.year
    key = _key(unit_id, year)
    found: Snapshot | None = read_cache(session).get(key)
    if found is None:
        params = {"unit_id": unit_id, "year": year}
        rows = await direct.rows(session, _SNAPSHOT, params)
        found = _snapshot_from(rows, unit_id, year)
        if found is None:
            values = {
                "unit_id": unit_id,
                "set_id": cset.id,
                "year": year,
                "status": OPEN,
                "created_at": now,
            }
            await direct.execute(session, _CREATE, values)
            await direct.commit(session)
            rows = await direct.rows(session, _SNAPSHOT, params)
            found = _snapshot_from(rows, unit_id, year)
            if found is None:  # pragma: no cover - just inserted, never deleted
                raise NotFound("Không tạo được bản tự đánh giá.")
        read_cache(session)[key] = found  # (a write drops the memo: the one of now)
    if found.assessment.set_id != cset.id:
        raise WrongSet()
    return found


def _keep(session: AsyncSession, snap: Snapshot) -> None:
    """After this module's own write: the snapshot is current again (any write drops the
    update's memo, see bot/db/readcache.py)."""
    snap._changed()
    read_cache(session)[_key(snap.assessment.unit_id, snap.assessment.year)] = snap


@cache
def _evidence_statement() -> Any:
    e = _EVIDENCE
    return (
        select(e.c.id, e.c.kind, e.c.text, e.c.file_id, e.c.file_name)
        .where(e.c.answer_id == bindparam("answer_id"))
        .order_by(e.c.id)
    )


@cache
def _all_evidence_statement() -> Any:
    e, ans = _EVIDENCE, _ANSWER
    return (
        select(e.c.answer_id, e.c.id, e.c.kind, e.c.text, e.c.file_id, e.c.file_name)
        .join(ans, ans.c.id == e.c.answer_id)
        .where(ans.c.assessment_id == bindparam("assessment_id"))
        .order_by(e.c.id)
    )


async def evidence_of(session: AsyncSession, snap: Snapshot, code: str) -> list[EvidenceItem]:
    """The evidence items of the answer to ``code`` (none when not answered)."""
    ans = snap.answers.get(code)
    if ans is None:
        return []
    if ans.evidence is None:
        rows = await direct.rows(session, _EVIDENCE_OF, {"answer_id": ans.id})
        ans.evidence = [EvidenceItem(*row) for row in rows]
    return ans.evidence


async def all_evidence(session: AsyncSession, snap: Snapshot) -> None:
    """Read the evidence of every answer (the read-only list counts them): one statement."""
    if all(a.evidence is not None for a in snap.answers.values()):
        return
    by_id = {a.id: a for a in snap.answers.values()}
    items: dict[int, list[EvidenceItem]] = {a.id: [] for a in snap.answers.values()}
    rows = await direct.rows(session, _ALL_EVIDENCE, {"assessment_id": snap.assessment.id})
    for row in rows:
        if row[0] in items:
            items[row[0]].append(EvidenceItem(*row[1:]))
    for answer_id, found in items.items():
        by_id[answer_id].evidence = found


# --- progress ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a department's progress needs of the set, worked out once per set object."""

    codes: tuple[str, ...]
    # Per area with criteria of the department: code, title, its leaves, their maximum.
    areas: tuple[tuple[str, str, tuple[Criterion, ...], Decimal], ...]


def _plan(cset: CriteriaSet, department: str | None) -> _Plan:
    def build() -> dict[str | None, _Plan]:
        return {}

    plans = _memo(cset, "_scoring_plans_memo", build)
    found = plans.get(department)
    if found is None:
        leaves = assigned_leaves(cset, department)
        areas = []
        for area in cset.areas:
            in_area = tuple(c for c in leaves if c.area_code == area.code)
            if in_area:
                max_ = sum((c.max for c in in_area), Decimal(0))
                areas.append((area.code, area.title, in_area, max_))
        found = _Plan(tuple(c.code for c in leaves), tuple(areas))
        plans[department] = found
    return found


def leaves_of(cset: CriteriaSet, department: str | None) -> tuple[Criterion, ...]:
    """``assigned_leaves`` worked out once per set object and department."""

    def build() -> dict[str | None, tuple[Criterion, ...]]:
        return {}

    memo = _memo(cset, "_scoring_leaves_memo", build)
    found = memo.get(department)
    if found is None:
        found = memo[department] = tuple(assigned_leaves(cset, department))
    return found


def plan_codes(cset: CriteriaSet, department: str | None) -> frozenset[str]:
    """The codes of ``department``'s criteria, as a set (checking a button's code)."""

    def build() -> dict[str | None, frozenset[str]]:
        return {}

    memo = _memo(cset, "_scoring_codes_memo", build)
    found = memo.get(department)
    if found is None:
        found = memo[department] = frozenset(_plan(cset, department).codes)
    return found


def needs_evidence(ans: AnswerRow) -> bool:
    return ans.evidence_status in (EVIDENCE_PENDING, EVIDENCE_MISSING)


def progress_of(
    cset: CriteriaSet, department: str | None, found: Mapping[str, AnswerRow], locked: bool
) -> Progress:
    """What ``bot.services.assessments.progress`` says for a department (``summary`` left
    out: no scoring step shows it), from the plan of the set."""
    plan = _plan(cset, department)
    codes = plan.codes
    mine = {code: found[code] for code in codes if code in found}
    areas = []
    for code, title, in_area, max_ in plan.areas:
        done = [mine[c.code] for c in in_area if c.code in mine]
        areas.append(
            AreaProgress(
                code=code,
                title=title,
                scored=len(done),
                total=len(in_area),
                points=sum((Decimal(a.points) for a in done), Decimal(0)),
                max=max_ - sum((Decimal(a.max) for a in done if a.excluded), Decimal(0)),
            )
        )
    return progress_from(department, codes, mine, areas, locked=locked)


# --- writing -----------------------------------------------------------------------------------


@cache
def _audit_statement() -> Any:
    t = _AUDIT
    names = ("assessment_id", "code", "actor", "action", "old", "new", "created_at")
    return insert(t).values({n: bindparam(n, type_=t.c[n].type) for n in names})


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


async def _audit(
    session: AsyncSession,
    snap: Snapshot,
    *,
    code: str | None,
    actor: int,
    action: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    now: datetime,
) -> None:
    await direct.execute(
        session,
        _AUDIT_ROW,
        {
            "assessment_id": snap.assessment.id,
            "code": code,
            "actor": actor,
            "action": action,
            "old": _json(old),
            "new": _json(new),
            "created_at": now,
        },
    )


def _snapshot_json(ans: AnswerRow) -> dict[str, Any]:
    """As ``assessments._snapshot``: the audit's picture of an answer."""
    return {
        "raw": json.loads(ans.raw),
        "points": str(ans.points),
        "max": str(ans.max),
        "not_applicable": ans.not_applicable,
        "excluded": ans.excluded,
        "evidence_status": ans.evidence_status,
        "explanation_text": ans.explanation_text,
        "returned_comment": ans.returned_comment,
    }


# The columns an answer is checked against before it is updated without reading it again:
# every column read but the row's identity.
_GUARDED = tuple(c for c in _ANSWER_COLUMNS if c not in ("id", "code"))
_SET = (
    "raw",
    "points",
    "max",
    "explanation",
    "not_applicable",
    "excluded",
    "evidence_status",
    "explanation_text",
    "returned_comment",
    "author",
    "updated_at",
)


@cache
def _guarded_update_statement(columns: tuple[str, ...]) -> Any:
    """UPDATE the ``columns`` of an answer by id, only while it is still as it was read."""
    t = _ANSWER
    guard = [
        t.c[n].is_not_distinct_from(bindparam(f"was_{n}", type_=t.c[n].type)) for n in _GUARDED
    ]
    return (
        update(t)
        .where(t.c.id == bindparam("was_id"), and_(*guard))
        .values({n: bindparam(f"set_{n}", type_=t.c[n].type) for n in columns})
    )


@cache
def _update_statement(columns: tuple[str, ...]) -> Any:
    t = _ANSWER
    return (
        update(t)
        .where(t.c.id == bindparam("was_id"))
        .values({n: bindparam(f"set_{n}", type_=t.c[n].type) for n in columns})
    )


@cache
def _answer_statement() -> Any:
    t = _ANSWER
    return select(*(t.c[n] for n in _ANSWER_COLUMNS)).where(
        t.c.assessment_id == bindparam("assessment_id"), t.c.code == bindparam("code")
    )


@cache
def _insert_answer_statement(dialect: str) -> Any:
    insert_ = conflict_insert(dialect)
    t = _ANSWER
    names = ("assessment_id", "code", "department", "created_at", *_SET)
    stmt = insert_(t).values({n: bindparam(n, type_=t.c[n].type) for n in names})
    return stmt.on_conflict_do_nothing(index_elements=[t.c.assessment_id, t.c.code]).returning(
        t.c.id
    )


async def _reread(session: AsyncSession, snap: Snapshot, code: str) -> AnswerRow | None:
    params = {"assessment_id": snap.assessment.id, "code": code}
    found = await direct.rows(session, _ANSWER_ROW, params)
    return AnswerRow(*found[0]) if found else None


async def _update(
    session: AsyncSession, snap: Snapshot, seen: AnswerRow, changes: dict[str, Any]
) -> AnswerRow:
    """Apply ``changes`` to the answer ``seen``; returns the row as it was just before (read
    again in this transaction when another update had changed it)."""
    columns = tuple(sorted(changes))
    params = {f"set_{n}": v for n, v in changes.items()}
    params["was_id"] = seen.id
    for name in _GUARDED:
        params[f"was_{name}"] = getattr(seen, name)
    if await direct.execute(session, _statement(_guarded_update_statement, columns), params) == 1:
        return seen
    before = await _reread(session, snap, seen.code)
    if before is None:  # pragma: no cover - answers are never deleted
        raise NoAnswer()
    before.evidence = seen.evidence
    params = {f"set_{n}": v for n, v in changes.items()}
    params["was_id"] = before.id
    await direct.execute(session, _statement(_update_statement, columns), params)
    return before


def _answer_to_change(snap: Snapshot, code: str) -> AnswerRow:
    _check_open(snap.assessment)  # type: ignore[arg-type]
    found = snap.answers.get(code)
    if found is None:
        raise NoAnswer()
    return found


async def save_answer(
    session: AsyncSession,
    snap: Snapshot,
    *,
    cset: CriteriaSet,
    code: str,
    raw: RawInput,
    author: int,
    now: datetime,
) -> AnswerRow:
    """``assessments.save_answer`` on the snapshot: score ``raw`` and store it as the answer
    to ``code`` (replacing an earlier one; a returned answer saved again is no longer
    returned), audited. Refuses a locked assessment and an input the rule cannot score."""
    _check_open(snap.assessment)  # type: ignore[arg-type]
    if snap.assessment.set_id != cset.id:
        raise NotFound("Bản tự đánh giá này thuộc một bộ tiêu chí khác.")
    node = criterion(cset, code)
    result = preview(node, raw)
    changes: dict[str, Any] = {
        "raw": dumps_raw(raw),
        "points": result.points,
        "max": result.max,
        "explanation": result.explanation,
        "not_applicable": result.not_applicable,
        "excluded": result.excluded,
        "returned_comment": None,
        "author": author,
        "updated_at": now,
    }
    seen = snap.answers.get(code)
    before: AnswerRow | None = None
    if seen is None:
        values = {
            **changes,
            "assessment_id": snap.assessment.id,
            "code": code,
            "department": node.department,
            "created_at": now,
            "evidence_status": EVIDENCE_PENDING,
            "explanation_text": None,
        }
        inserted = await direct.rows(session, _INSERT_ANSWER, values)
        new_id = inserted[0][0] if inserted else None
        if new_id is not None:
            saved = AnswerRow(
                id=new_id,
                code=code,
                raw=changes["raw"],
                points=result.points,
                max=result.max,
                explanation=result.explanation,
                not_applicable=result.not_applicable,
                excluded=result.excluded,
                evidence_status=EVIDENCE_PENDING,
                explanation_text=None,
                returned_comment=None,
                updated_at=now,
                evidence=[],
            )
        else:  # another update saved it first: replace theirs, as before
            seen = await _reread(session, snap, code)
            if seen is None:  # pragma: no cover - the unique constraint says otherwise
                raise NoAnswer()
    if seen is not None:
        before = await _update(session, snap, seen, changes)
        saved = replace(
            before,
            **{k: v for k, v in changes.items() if k != "author"},
        )
    old = _snapshot_json(before) if before is not None else None
    await _audit(
        session,
        snap,
        code=code,
        actor=author,
        action="answer",
        old=old,
        new=_snapshot_json(saved),
        now=now,
    )
    snap.answers[code] = saved
    _keep(session, snap)
    return saved


@cache
def _insert_evidence_statement() -> Any:
    e = _EVIDENCE
    names = ("answer_id", "kind", "text", "file_id", "file_name", "author", "created_at")
    return insert(e).values({n: bindparam(n, type_=e.c[n].type) for n in names}).returning(e.c.id)


def kept_as(kind: str, text: str | None) -> tuple[str, str | None]:
    """The kind and text an evidence item sent as ``kind`` and ``text`` is kept as."""
    if kind not in FILE_KINDS:
        typed = read_typed(text or "")
        kind, text = typed.kind, typed.text
    return kind, (text or "").strip()[:MAX_TEXT] or None


async def add_evidence(
    session: AsyncSession,
    snap: Snapshot,
    *,
    code: str,
    kind: str,
    author: int,
    now: datetime,
    text: str | None = None,
    file_id: str | None = None,
    file_name: str | None = None,
    once: bool = False,
) -> EvidenceAdded:
    """``assessments.add_evidence`` on the snapshot; returns the item and how many the
    answer has now.

    With ``once``, typed evidence that the answer's last item already is (a repeated press:
    the item was committed but the step's move not written, e.g. Redis lost after the
    commit, see bot/storage.py step_transaction) is not added again: that item, ``already``.
    """
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"evidence kind must be one of {EVIDENCE_KINDS}, not {kind!r}")
    if kind in FILE_KINDS and not file_id:
        raise ValueError("a file evidence needs its file_id")
    kind, kept_text = kept_as(kind, text)
    if once and kind not in FILE_KINDS:
        items = await evidence_of(session, snap, code)
        if items and (items[-1].kind, items[-1].text) == (kind, kept_text):
            return EvidenceAdded(items[-1], len(items), already=True)
    seen = _answer_to_change(snap, code)
    values = {
        "answer_id": seen.id,
        "kind": kind,
        "text": kept_text,
        "file_id": file_id,
        "file_name": file_name,
        "author": author,
        "created_at": now,
    }
    (new_id,) = (await direct.rows(session, _INSERT_EVIDENCE, values))[0]
    item = EvidenceItem(new_id, kind, kept_text, file_id, file_name)
    changes: dict[str, Any] = {"evidence_status": EVIDENCE_OK, "updated_at": now}
    before = await _update(session, snap, seen, changes)
    await _audit(
        session,
        snap,
        code=code,
        actor=author,
        action="evidence",
        old={"evidence_status": before.evidence_status},
        new={
            "evidence_status": EVIDENCE_OK,
            "kind": kind,
            "text": kept_text,
            "file_id": file_id,
            "file_name": file_name,
        },
        now=now,
    )
    saved = replace(before, **changes)
    if before.evidence is not None:
        saved.evidence = [*before.evidence, item]
    else:
        saved.evidence = None
    snap.answers[code] = saved
    items = await evidence_of(session, snap, code)
    _keep(session, snap)
    return EvidenceAdded(item, len(items))


async def mark_evidence_later(
    session: AsyncSession, snap: Snapshot, *, code: str, author: int, now: datetime
) -> None:
    """``assessments.mark_evidence_later`` on the snapshot."""
    seen = _answer_to_change(snap, code)
    if seen.evidence_status == EVIDENCE_MISSING:
        return
    changes: dict[str, Any] = {"evidence_status": EVIDENCE_MISSING, "updated_at": now}
    before = await _update(session, snap, seen, changes)
    if before.evidence_status != EVIDENCE_MISSING:
        await _audit(
            session,
            snap,
            code=code,
            actor=author,
            action="evidence_later",
            old={"evidence_status": before.evidence_status},
            new={"evidence_status": EVIDENCE_MISSING},
            now=now,
        )
    snap.answers[code] = replace(before, **changes)
    _keep(session, snap)


async def set_explanation(
    session: AsyncSession, snap: Snapshot, *, code: str, text: str, author: int, now: datetime
) -> None:
    """``assessments.set_explanation`` on the snapshot."""
    cleaned = check_explanation(text)
    seen = _answer_to_change(snap, code)
    changes: dict[str, Any] = {
        "explanation_text": cleaned[:MAX_TEXT],
        "evidence_status": EVIDENCE_EXPLAINED,
        "updated_at": now,
    }
    before = await _update(session, snap, seen, changes)
    await _audit(
        session,
        snap,
        code=code,
        actor=author,
        action="explanation",
        old={
            "evidence_status": before.evidence_status,
            "explanation_text": before.explanation_text,
        },
        new={
            "evidence_status": EVIDENCE_EXPLAINED,
            "explanation_text": changes["explanation_text"],
        },
        now=now,
    )
    snap.answers[code] = replace(before, **changes)
    _keep(session, snap)


# --- the statements, run on the driver where they can (bot/db/direct.py) -------------------

_EVIDENCE_OF = direct.Statement(lambda _dialect: _evidence_statement())
_ALL_EVIDENCE = direct.Statement(lambda _dialect: _all_evidence_statement())
_AUDIT_ROW = direct.Statement(lambda _dialect: _audit_statement())
_ANSWER_ROW = direct.Statement(lambda _dialect: _answer_statement())
_INSERT_ANSWER = direct.Statement(_insert_answer_statement)
_INSERT_EVIDENCE = direct.Statement(lambda _dialect: _insert_evidence_statement())
_BY_COLUMNS: dict[tuple[Any, tuple[str, ...]], direct.Statement] = {}


def _statement(build: Any, columns: tuple[str, ...]) -> direct.Statement:
    """The UPDATE of ``columns`` built by ``build``, one Statement per set of columns."""
    found = _BY_COLUMNS.get((build, columns))
    if found is None:
        found = _BY_COLUMNS[(build, columns)] = direct.Statement(lambda _dialect: build(columns))
    return found
