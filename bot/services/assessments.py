"""Assessments: one per unit and year, on the set of the unit's level for that year (see
``bot.services.years``); answers scored and saved the moment they are confirmed, with their
evidence and an audit trail of every change.

Services take an ``AsyncSession`` and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, Assessment, AssessmentExtra, AuditLog, Evidence
from bot.errors import CchcError, NotAllowed, NotFound
from bot.services.evidence import EvidenceRefused as EvidenceRefused  # for the handlers
from bot.services.evidence import check_explanation, read_typed
from criteria.schema import BonusItem, CriteriaSet, Criterion, SumRule
from criteria.scoring import (
    CountInput,
    DeductionInput,
    LeafInput,
    NotApplicableInput,
    RatioInput,
    RawInput,
    ScoreResult,
    ScoringInputError,
    SumInput,
    Summary,
    TierInput,
    YesNoInput,
    checked_decimal,
    format_points,
    score,
    summarise,
)

OPEN = "open"
LOCKED = "locked"
CLOSED = "closed"  # a past year after the rollover (bot.services.years): read-only for good

EVIDENCE_OK = "ok"
EVIDENCE_MISSING = "missing"
EVIDENCE_EXPLAINED = "explained"
EVIDENCE_PENDING = "pending"
EVIDENCE_KINDS = ("text", "file", "photo", "link")
# Kinds that carry a Telegram file_id ("file" rows older than "photo" may hold photos too).
FILE_KINDS = ("file", "photo")

MAX_TEXT = 2000


class AssessmentLocked(CchcError):
    user_message = (
        "Bản tự đánh giá của đơn vị đã được Phòng Nội vụ khóa để nộp; không thể sửa nữa. "
        "Nếu cần sửa, hãy đề nghị Phòng Nội vụ mở lại."
    )


class AssessmentClosed(CchcError):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"Năm đánh giá {year} đã khép lại khi chuyển sang năm mới: kết quả năm {year} "
            "chỉ để xem và xuất tệp, không sửa được nữa."
        )


class WrongSet(NotFound):
    user_message = (
        "Nút bấm này thuộc bộ tiêu chí khác với bộ đơn vị bạn đang dùng; "
        "hãy mở lại từ /chamdiem hoặc /tiendo."
    )


class NotAssigned(NotAllowed):
    user_message = "Tiêu chí này không được giao cho phòng của bạn."


class UnknownCriterion(NotFound):
    user_message = "Không có tiêu chí tự chấm với mã này trong bộ tiêu chí đang dùng."


class NoAnswer(NotFound):
    user_message = "Tiêu chí này chưa được chấm điểm."


class BadScoringInput(CchcError):
    """A ``ScoringInputError`` of the engine, as an application error."""


# --- raw input (de)serialisation -------------------------------------------------------------


def encode_raw(raw: RawInput) -> dict[str, Any]:
    """The JSON-able form of a scoring input: ``{"kind": ..., values...}``."""
    if isinstance(raw, YesNoInput):
        return {"kind": "yes_no", "value": raw.value}
    if isinstance(raw, TierInput):
        return {"kind": "tier", "index": raw.index}
    if isinstance(raw, RatioInput):
        return {
            "kind": "ratio",
            "numerator": str(raw.numerator),
            "denominator": str(raw.denominator),
        }
    if isinstance(raw, CountInput):
        return {"kind": "count", "count": raw.count}
    if isinstance(raw, DeductionInput):
        return {"kind": "deductions", "count": raw.count, "zero": raw.zero}
    if isinstance(raw, NotApplicableInput):
        return {"kind": "not_applicable"}
    if isinstance(raw, SumInput):
        return {"kind": "sum", "parts": [encode_raw(p) for p in raw.parts]}
    raise TypeError(f"not a scoring input: {raw!r}")


def _leaf(raw: RawInput) -> LeafInput:
    if isinstance(raw, SumInput | NotApplicableInput):
        raise ScoringInputError("Câu trả lời không đúng dạng của tiêu chí này.")
    return raw


def decode_raw(data: dict[str, Any]) -> RawInput:
    """The scoring input from its JSON form; a malformed one raises ``ScoringInputError``."""
    try:
        kind = data["kind"]
        if kind == "yes_no" and isinstance(data["value"], bool):
            return YesNoInput(data["value"])
        if kind == "tier":
            return TierInput(data["index"])
        if kind == "ratio":
            return RatioInput(Decimal(data["numerator"]), Decimal(data["denominator"]))
        if kind == "count":
            return CountInput(data["count"])
        if kind == "deductions":
            return DeductionInput(data["count"], bool(data.get("zero", False)))
        if kind == "not_applicable":
            return NotApplicableInput()
        if kind == "sum":
            return SumInput(tuple(_leaf(decode_raw(p)) for p in data["parts"]))
    except (KeyError, TypeError, ArithmeticError, ValueError) as exc:
        raise ScoringInputError("Câu trả lời không đúng dạng của tiêu chí này.") from exc
    raise ScoringInputError("Câu trả lời không đúng dạng của tiêu chí này.")


def dumps_raw(raw: RawInput) -> str:
    return json.dumps(encode_raw(raw), ensure_ascii=False, sort_keys=True)


def loads_raw(text: str) -> RawInput:
    return decode_raw(json.loads(text))


# --- criteria of a department ------------------------------------------------------------------


def self_scored(cset: CriteriaSet) -> list[Criterion]:
    """Every self-scored leaf of the set, in the set's order."""
    return [c for c in cset.leaves() if not c.is_survey and c.rule is not None]


def assigned_leaves(cset: CriteriaSet, department: str | None) -> list[Criterion]:
    """Self-scored leaves whose responsible department is ``department``; all when None."""
    leaves = self_scored(cset)
    if department is None:
        return leaves
    return [c for c in leaves if c.department == department]


def criterion(cset: CriteriaSet, code: str, department: str | None = None) -> Criterion:
    """The self-scored leaf ``code``, checked to be assigned to ``department`` (None: any)."""
    node = cset.node(code)
    if node is None or node.children or node.is_survey or node.rule is None:
        raise UnknownCriterion()
    if department is not None and node.department != department:
        raise NotAssigned()
    return node


def part_criterion(node: Criterion, index: int) -> Criterion:
    """Part ``index`` of a sum rule as a criterion of its own, to score a part on its own."""
    if not isinstance(node.rule, SumRule) or not 0 <= index < len(node.rule.parts):
        raise ScoringInputError("Câu trả lời không đúng dạng của tiêu chí này.")
    part = node.rule.parts[index]
    return Criterion(code=node.code, title=part.label, max=part.max, rule=part.rule)


def preview(node: Criterion, raw: RawInput) -> ScoreResult:
    """The score the answer would get (the engine's message on a bad answer)."""
    try:
        return score(node, raw)
    except ScoringInputError as exc:
        raise BadScoringInput(exc.message) from exc


# --- records ---------------------------------------------------------------------------------


async def get(session: AsyncSession, assessment_id: int) -> Assessment | None:
    return await session.get(Assessment, assessment_id)


async def find(
    session: AsyncSession, unit_id: int, cset: CriteriaSet, year: int | None = None
) -> Assessment | None:
    """The unit's assessment for ``year`` (default: the set's year), if it is on ``cset``."""
    result = await session.execute(
        select(Assessment).where(
            Assessment.unit_id == unit_id, Assessment.year == (year or cset.year)
        )
    )
    found = result.scalar_one_or_none()
    if found is not None and found.set_id != cset.id:
        raise WrongSet()
    return found


async def for_unit(session: AsyncSession, unit_id: int) -> list[Assessment]:
    """Every assessment of the unit, the latest year first."""
    result = await session.execute(
        select(Assessment).where(Assessment.unit_id == unit_id).order_by(Assessment.year.desc())
    )
    return list(result.scalars().all())


async def get_or_create(
    session: AsyncSession, unit_id: int, cset: CriteriaSet, year: int | None = None
) -> Assessment:
    """The unit's assessment for ``year`` (default: the set's year) on ``cset``, created
    (open) on first use."""
    year = year or cset.year
    found = await find(session, unit_id, cset, year)
    if found is not None:
        return found
    assessment = Assessment(unit_id=unit_id, set_id=cset.id, year=year, status=OPEN)
    try:
        async with session.begin_nested():
            session.add(assessment)
            await session.flush()
    except IntegrityError:
        # Another update created it at the same moment: use theirs.
        found = await find(session, unit_id, cset, year)
        if found is None:  # pragma: no cover - the unique constraint says otherwise
            raise
        return found
    return assessment


@cache
def _answers_statement() -> Select[Answer]:
    """Built once with a bound parameter: every scoring step runs it."""
    return select(Answer).where(Answer.assessment_id == bindparam("assessment_id"))


async def answers(session: AsyncSession, assessment_id: int) -> dict[str, Answer]:
    params = {"assessment_id": assessment_id}
    result = await session.execute(_answers_statement(), params)
    return {a.code: a for a in result.scalars().all()}


async def answer(session: AsyncSession, assessment_id: int, code: str) -> Answer | None:
    result = await session.execute(
        select(Answer).where(Answer.assessment_id == assessment_id, Answer.code == code)
    )
    return result.scalar_one_or_none()


def _snapshot(ans: Answer) -> dict[str, Any]:
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


def _audit(
    session: AsyncSession,
    assessment: Assessment,
    *,
    code: str | None,
    actor: int,
    action: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    now: datetime,
) -> None:
    session.add(
        AuditLog(
            assessment_id=assessment.id,
            code=code,
            actor=actor,
            action=action,
            old=None if old is None else json.dumps(old, ensure_ascii=False, sort_keys=True),
            new=None if new is None else json.dumps(new, ensure_ascii=False, sort_keys=True),
            created_at=now,
        )
    )


def _check_open(assessment: Assessment) -> None:
    if assessment.status == CLOSED:
        raise AssessmentClosed(assessment.year)
    if assessment.status == LOCKED:
        raise AssessmentLocked()


async def save_answer(
    session: AsyncSession,
    *,
    assessment: Assessment,
    cset: CriteriaSet,
    code: str,
    raw: RawInput,
    author: int,
    now: datetime,
) -> Answer:
    """Score ``raw`` and store it as the answer to ``code`` (replacing an earlier one).

    Refuses a locked assessment (``AssessmentLocked``) and an answer the rule cannot score
    (``BadScoringInput``). A returned answer saved again is no longer returned.
    """
    _check_open(assessment)
    if assessment.set_id != cset.id:
        raise NotFound("Bản tự đánh giá này thuộc một bộ tiêu chí khác.")
    node = criterion(cset, code)
    result = preview(node, raw)
    existing = await answer(session, assessment.id, code)
    old = _snapshot(existing) if existing is not None else None
    if existing is None:
        existing = Answer(
            assessment_id=assessment.id,
            code=code,
            department=node.department,
            evidence_status=EVIDENCE_PENDING,
            created_at=now,
        )
        session.add(existing)
        existing.evidence = []
    existing.raw = dumps_raw(raw)
    existing.points = result.points
    existing.max = result.max
    existing.explanation = result.explanation
    existing.not_applicable = result.not_applicable
    existing.excluded = result.excluded
    existing.returned_comment = None
    existing.author = author
    existing.updated_at = now
    await session.flush()
    _audit(
        session,
        assessment,
        code=code,
        actor=author,
        action="answer",
        old=old,
        new=_snapshot(existing),
        now=now,
    )
    return existing


async def _answer_for_update(session: AsyncSession, assessment: Assessment, code: str) -> Answer:
    _check_open(assessment)
    found = await answer(session, assessment.id, code)
    if found is None:
        raise NoAnswer()
    return found


async def add_evidence(
    session: AsyncSession,
    *,
    assessment: Assessment,
    code: str,
    kind: str,
    author: int,
    now: datetime,
    text: str | None = None,
    file_id: str | None = None,
    file_name: str | None = None,
) -> Evidence:
    """Attach one evidence item (a document reference, a Telegram file or a link).

    Typed evidence is read first (``evidence.read_typed``): a question, a typo, a bad link or
    an impossible date is refused (``EvidenceRefused``) and nothing changes."""
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"evidence kind must be one of {EVIDENCE_KINDS}, not {kind!r}")
    if kind in FILE_KINDS and not file_id:
        raise ValueError("a file evidence needs its file_id")
    if kind not in FILE_KINDS:
        typed = read_typed(text or "")
        kind, text = typed.kind, typed.text
    ans = await _answer_for_update(session, assessment, code)
    old_status = ans.evidence_status
    item = Evidence(
        answer_id=ans.id,
        kind=kind,
        text=(text or "").strip()[:MAX_TEXT] or None,
        file_id=file_id,
        file_name=file_name,
        author=author,
        created_at=now,
    )
    session.add(item)
    ans.evidence.append(item)
    ans.evidence_status = EVIDENCE_OK
    ans.updated_at = now
    await session.flush()
    _audit(
        session,
        assessment,
        code=code,
        actor=author,
        action="evidence",
        old={"evidence_status": old_status},
        new={
            "evidence_status": EVIDENCE_OK,
            "kind": kind,
            "text": item.text,
            "file_id": file_id,
            "file_name": file_name,
        },
        now=now,
    )
    return item


async def previous_evidence(
    session: AsyncSession, assessment: Assessment, code: str
) -> list[Evidence]:
    """Evidence of the unit's latest earlier year's answer to ``code``: suggestions for this
    year (the same code in another year's set is the same criterion only by number, so the
    officer decides; nothing is copied without them). Items already given again are left out.
    """
    found = await session.execute(
        select(Answer)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(
            Assessment.unit_id == assessment.unit_id,
            Assessment.year < assessment.year,
            Answer.code == code,
        )
        .order_by(Assessment.year.desc())
        .limit(1)
    )
    before = found.scalar_one_or_none()
    if before is None:
        return []
    now = await answer(session, assessment.id, code)
    given = {(e.kind, e.text, e.file_id) for e in (now.evidence if now is not None else [])}
    return [e for e in before.evidence if (e.kind, e.text, e.file_id) not in given]


async def reuse_evidence(
    session: AsyncSession,
    *,
    assessment: Assessment,
    code: str,
    evidence_id: int,
    author: int,
    now: datetime,
) -> Evidence:
    """Add to this year's answer a copy of last year's evidence item ``evidence_id`` (one of
    :func:`previous_evidence`; anything else, e.g. a forged button, is refused)."""
    offered = {e.id: e for e in await previous_evidence(session, assessment, code)}
    item = offered.get(evidence_id)
    if item is None:
        raise NotFound("Tài liệu năm trước này không còn để dùng lại.")
    return await add_evidence(
        session,
        assessment=assessment,
        code=code,
        kind=item.kind,
        author=author,
        now=now,
        text=item.text,
        file_id=item.file_id,
        file_name=item.file_name,
    )


def _item(ans: Answer, evidence_id: int) -> Evidence:
    for item in ans.evidence:
        if item.id == evidence_id:
            return item
    raise NotFound("Không tìm thấy tài liệu này (có thể đã bị xóa).")


def _item_view(item: Evidence) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "text": item.text,
        "file_id": item.file_id,
        "file_name": item.file_name,
    }


async def edit_evidence(
    session: AsyncSession,
    *,
    assessment: Assessment,
    code: str,
    evidence_id: int,
    text: str,
    author: int,
    now: datetime,
) -> Evidence:
    """Replace the text of typed evidence item ``evidence_id`` (a file's caption for a file),
    read as ``add_evidence`` reads it. Audited; refused when locked."""
    ans = await _answer_for_update(session, assessment, code)
    item = _item(ans, evidence_id)
    old = _item_view(item)
    if item.kind in FILE_KINDS:
        cleaned = text.strip()
        if not cleaned or len(cleaned) > MAX_TEXT:
            raise CchcError("Ghi chú của tệp phải có nội dung và không quá 2000 ký tự.")
        item.text = cleaned
    else:
        typed = read_typed(text)
        item.kind, item.text = typed.kind, typed.text
    ans.updated_at = now
    await session.flush()
    _audit(
        session,
        assessment,
        code=code,
        actor=author,
        action="evidence_edit",
        old=old,
        new=_item_view(item),
        now=now,
    )
    return item


async def remove_evidence(
    session: AsyncSession,
    *,
    assessment: Assessment,
    code: str,
    evidence_id: int,
    author: int,
    now: datetime,
) -> Answer:
    """Remove evidence item ``evidence_id`` (e.g. when the coordinator returned the criterion
    asking for it). The last one gone, the answer needs evidence again. Audited; refused when
    locked."""
    ans = await _answer_for_update(session, assessment, code)
    item = _item(ans, evidence_id)
    old = {**_item_view(item), "evidence_status": ans.evidence_status}
    ans.evidence.remove(item)  # delete-orphan: the row goes with it
    if not ans.evidence and ans.evidence_status == EVIDENCE_OK:
        ans.evidence_status = EVIDENCE_PENDING
    ans.updated_at = now
    await session.flush()
    _audit(
        session,
        assessment,
        code=code,
        actor=author,
        action="evidence_remove",
        old=old,
        new={"evidence_status": ans.evidence_status},
        now=now,
    )
    return ans


async def set_explanation(
    session: AsyncSession,
    *,
    assessment: Assessment,
    code: str,
    text: str,
    author: int,
    now: datetime,
) -> Answer:
    """Record the written explanation (giải trình) given instead of evidence; one that says
    nothing ("7") is refused (``EvidenceRefused``)."""
    cleaned = check_explanation(text)
    ans = await _answer_for_update(session, assessment, code)
    old = {"evidence_status": ans.evidence_status, "explanation_text": ans.explanation_text}
    ans.explanation_text = cleaned[:MAX_TEXT]
    ans.evidence_status = EVIDENCE_EXPLAINED
    ans.updated_at = now
    _audit(
        session,
        assessment,
        code=code,
        actor=author,
        action="explanation",
        old=old,
        new={"evidence_status": EVIDENCE_EXPLAINED, "explanation_text": ans.explanation_text},
        now=now,
    )
    await session.flush()
    return ans


async def mark_evidence_later(
    session: AsyncSession, *, assessment: Assessment, code: str, author: int, now: datetime
) -> Answer:
    """Flag the answer's evidence as still to be added ("bổ sung sau")."""
    ans = await _answer_for_update(session, assessment, code)
    old = ans.evidence_status
    if ans.evidence_status != EVIDENCE_MISSING:
        ans.evidence_status = EVIDENCE_MISSING
        ans.updated_at = now
        _audit(
            session,
            assessment,
            code=code,
            actor=author,
            action="evidence_later",
            old={"evidence_status": old},
            new={"evidence_status": EVIDENCE_MISSING},
            now=now,
        )
        await session.flush()
    return ans


async def return_answer(
    session: AsyncSession,
    *,
    assessment: Assessment,
    code: str,
    actor: int,
    comment: str,
    now: datetime,
) -> Answer:
    """The coordinator sends an answer back to its department for correction.

    The answer keeps its figures (the running total does not jump) but counts as to be
    redone until saved again. The caller notifies the department's officers.
    """
    cleaned = comment.strip()
    if not cleaned:
        raise CchcError("Hãy ghi rõ nội dung cần sửa khi trả lại tiêu chí.")
    ans = await _answer_for_update(session, assessment, code)
    old = ans.returned_comment
    ans.returned_comment = cleaned[:MAX_TEXT]
    ans.updated_at = now
    _audit(
        session,
        assessment,
        code=code,
        actor=actor,
        action="return",
        old={"returned_comment": old},
        new={"returned_comment": ans.returned_comment},
        now=now,
    )
    await session.flush()
    return ans


async def _set_status(
    session: AsyncSession, assessment: Assessment, expected: str, values: dict[str, object]
) -> bool:
    """Change ``assessment`` by one conditional UPDATE (``WHERE status = expected``): two
    coordinators confirming at the same moment, in two processes, change it once; the other
    finds it changed (False, the object refreshed)."""
    await session.flush()
    done = await session.execute(
        update(Assessment)
        .where(Assessment.id == assessment.id, Assessment.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(assessment)
    return bool(getattr(done, "rowcount", 0) == 1)


async def lock(session: AsyncSession, assessment: Assessment, actor: int, now: datetime) -> bool:
    """Submit and lock: no answer can change until the coordinator reopens it. False when it
    was locked already (also by someone else in the meantime: nothing changed, no audit)."""
    if assessment.status == CLOSED:
        raise AssessmentClosed(assessment.year)
    if assessment.status == LOCKED:
        return False
    values: dict[str, object] = {"status": LOCKED, "locked_at": now, "locked_by": actor}
    if not await _set_status(session, assessment, OPEN, values):
        if assessment.status == CLOSED:  # the year was closed meanwhile
            raise AssessmentClosed(assessment.year)
        return False
    _audit(
        session,
        assessment,
        code=None,
        actor=actor,
        action="lock",
        old={"status": OPEN},
        new={"status": LOCKED},
        now=now,
    )
    await session.flush()
    return True


async def reopen(session: AsyncSession, assessment: Assessment, actor: int, now: datetime) -> bool:
    """Open a locked assessment again (audited); a closed past year stays closed. False when
    it was open already (also when reopened by someone else in the meantime)."""
    if assessment.status == CLOSED:
        raise AssessmentClosed(assessment.year)
    if assessment.status == OPEN:
        return False
    old = {
        "status": assessment.status,
        "locked_at": assessment.locked_at.isoformat() if assessment.locked_at else None,
        "locked_by": assessment.locked_by,
    }
    values: dict[str, object] = {"status": OPEN, "locked_at": None, "locked_by": None}
    if not await _set_status(session, assessment, LOCKED, values):
        if assessment.status == CLOSED:
            raise AssessmentClosed(assessment.year)
        return False
    _audit(
        session,
        assessment,
        code=None,
        actor=actor,
        action="reopen",
        old=old,
        new={"status": OPEN},
        now=now,
    )
    await session.flush()
    return True


async def audit_trail(
    session: AsyncSession, assessment_id: int, code: str | None = None
) -> Sequence[AuditLog]:
    query = select(AuditLog).where(AuditLog.assessment_id == assessment_id)
    if code is not None:
        query = query.where(AuditLog.code == code)
    return (await session.execute(query.order_by(AuditLog.id))).scalars().all()


# --- progress --------------------------------------------------------------------------------


def result_of(ans: Answer) -> ScoreResult:
    return ScoreResult(
        points=Decimal(ans.points),
        max=Decimal(ans.max),
        explanation=ans.explanation,
        not_applicable=ans.not_applicable,
        excluded=ans.excluded,
    )


_NEEDS_EVIDENCE = (EVIDENCE_PENDING, EVIDENCE_MISSING)


def needs_evidence(ans: Answer) -> bool:
    return ans.evidence_status in _NEEDS_EVIDENCE


@dataclass(frozen=True, slots=True)
class AreaProgress:
    code: str
    title: str
    scored: int
    total: int
    points: Decimal
    max: Decimal


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a department (or the whole unit, ``department`` None) stands.

    ``max`` leaves out criteria excluded as "không phát sinh". ``pending`` lists, in the set's
    order, the codes still to (re)do: unscored and returned ones. ``summary`` covers the
    department's answers only when ``department`` is given.
    """

    department: str | None
    codes: tuple[str, ...]
    scored: int
    total: int
    points: Decimal
    max: Decimal
    areas: tuple[AreaProgress, ...]
    missing_evidence: tuple[str, ...]
    returned: tuple[str, ...]
    pending: tuple[str, ...]
    next_code: str | None
    locked: bool
    summary: Summary | None = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("summary")
        return out


def _progress(
    cset: CriteriaSet,
    assessment: Assessment,
    found: dict[str, Answer],
    department: str | None,
    extra: Extras | None = None,
) -> Progress:
    leaves = assigned_leaves(cset, department)
    codes = tuple(c.code for c in leaves)
    mine = {code: found[code] for code in codes if code in found}
    results = {code: result_of(a) for code, a in mine.items()}
    summary = (extra or Extras()).summarise(cset, results)
    areas = []
    for area in cset.areas:
        in_area = [c for c in leaves if c.area_code == area.code]
        if not in_area:
            continue
        done = [results[c.code] for c in in_area if c.code in results]
        areas.append(
            AreaProgress(
                code=area.code,
                title=area.title,
                scored=len(done),
                total=len(in_area),
                points=sum((r.points for r in done), Decimal(0)),
                max=sum((c.max for c in in_area), Decimal(0))
                - sum((r.max for r in done if r.excluded), Decimal(0)),
            )
        )
    return progress_from(
        department, codes, mine, areas, locked=assessment.status == LOCKED, summary=summary
    )


class _AnswerState(Protocol):
    @property
    def returned_comment(self) -> str | None: ...
    @property
    def evidence_status(self) -> str: ...


def progress_from(
    department: str | None,
    codes: tuple[str, ...],
    mine: Mapping[str, _AnswerState],
    areas: Sequence[AreaProgress],
    *,
    locked: bool,
    summary: Summary | None = None,
) -> Progress:
    """The department's progress from its codes (in the set's order), its answers among them
    (``mine``: ORM answers here, the scoring snapshot's rows in bot/services/scoring.py) and
    its areas' figures: totals, missing evidence, returned and pending codes, what is next."""
    returned = tuple(c for c in codes if c in mine and mine[c].returned_comment)
    pending = tuple(c for c in codes if c not in mine or mine[c].returned_comment)
    return Progress(
        department=department,
        codes=codes,
        scored=len(mine),
        total=len(codes),
        points=sum((a.points for a in areas), Decimal(0)),
        max=sum((a.max for a in areas), Decimal(0)),
        areas=tuple(areas),
        missing_evidence=tuple(
            c for c in codes if c in mine and mine[c].evidence_status in _NEEDS_EVIDENCE
        ),
        returned=returned,
        pending=pending,
        next_code=pending[0] if pending else None,
        locked=locked,
        summary=summary,
    )


async def progress(
    session: AsyncSession,
    assessment: Assessment,
    cset: CriteriaSet,
    department: str | None,
    *,
    found: dict[str, Answer] | None = None,
) -> Progress:
    """Scored count, points against the maximum, per area, missing evidence, what is next.

    The whole unit's summary (``department`` None) includes bonus, penalty and survey.
    ``found``: the assessment's answers when the caller has just read them."""
    extra = await extras(session, assessment, cset) if department is None else None
    if found is None:
        found = await answers(session, assessment.id)
    return _progress(cset, assessment, found, department, extra)


def next_code(
    order: Sequence[str], pending: Iterable[str], after: str | None, skipped: Iterable[str] = ()
) -> str | None:
    """The next code to work on after ``after``: pending and not skipped, wrapping around;
    a skipped one only when nothing else is left; None when all is done."""
    todo = set(pending)
    if not todo:
        return None
    start = order.index(after) + 1 if after in order else 0
    ring = [*order[start:], *order[:start]]
    skip = set(skipped)
    for code in ring:
        if code in todo and code not in skip and code != after:
            return code
    for code in ring:
        if code in todo and code != after:
            return code
    return after if after in todo else None


@dataclass(frozen=True, slots=True)
class UnfinishedWork:
    unscored: list[str]
    missing_evidence: list[str]


async def unfinished(
    session: AsyncSession, unit_id: int, cset: CriteriaSet, year: int | None = None
) -> dict[str, UnfinishedWork]:
    """Per department with work left: codes not yet scored (or returned for correction) and
    scored codes still missing evidence. Departments with nothing left are not listed."""
    assessment = await find(session, unit_id, cset, year)
    found = await answers(session, assessment.id) if assessment is not None else {}
    out: dict[str, UnfinishedWork] = {}
    for node in self_scored(cset):
        dep = node.department or ""
        ans = found.get(node.code)
        work = out.setdefault(dep, UnfinishedWork(unscored=[], missing_evidence=[]))
        if ans is None or ans.returned_comment:
            work.unscored.append(node.code)
        elif needs_evidence(ans):
            work.missing_evidence.append(node.code)
    return {d: w for d, w in out.items() if w.unscored or w.missing_evidence}


# --- bonus, penalty and survey results (entered by the coordinator) --------------------------

BONUS = "bonus"
PENALTY = "penalty"
SURVEY = "survey"
EXTRA_KINDS = (BONUS, PENALTY, SURVEY)


class UnknownExtra(NotFound):
    user_message = "Không có mục điểm thưởng, điểm trừ hoặc khảo sát này trong bộ tiêu chí."


@dataclass(frozen=True, slots=True)
class Extras:
    """What the coordinator entered: occurrences per bonus/penalty item, survey points per
    survey criterion (absent: not announced yet). Only items of the current set are kept."""

    bonus: dict[str, int] = field(default_factory=dict)
    penalty: dict[str, int] = field(default_factory=dict)
    survey: dict[str, Decimal] = field(default_factory=dict)

    def summarise(self, cset: CriteriaSet, results: Mapping[str, ScoreResult]) -> Summary:
        """The engine's summary with these figures (it applies the caps)."""
        return summarise(cset, results, bonus=self.bonus, penalty=self.penalty, survey=self.survey)


def bonus_items(cset: CriteriaSet, kind: str) -> tuple[BonusItem, ...]:
    """The set's bonus (``kind`` "bonus") or penalty ("penalty") items; none without a block."""
    block = cset.bonus if kind == BONUS else cset.penalty if kind == PENALTY else None
    return block.items if block is not None else ()


def survey_criteria(cset: CriteriaSet) -> list[Criterion]:
    """The set's survey leaves (scored by the province), in the set's order."""
    return [c for c in cset.leaves() if c.is_survey]


def extra_item(cset: CriteriaSet, kind: str, code: str) -> BonusItem | Criterion:
    """The bonus/penalty item or survey criterion ``code``; ``UnknownExtra`` otherwise."""
    if kind == SURVEY:
        for node in survey_criteria(cset):
            if node.code == code:
                return node
    else:
        for item in bonus_items(cset, kind):
            if item.code == code:
                return item
    raise UnknownExtra()


async def _extra_rows(
    session: AsyncSession, assessment_id: int
) -> dict[tuple[str, str], AssessmentExtra]:
    result = await session.execute(
        select(AssessmentExtra).where(AssessmentExtra.assessment_id == assessment_id)
    )
    return {(e.kind, e.code): e for e in result.scalars().all()}


async def extras(session: AsyncSession, assessment: Assessment, cset: CriteriaSet) -> Extras:
    """The bonus, penalty and survey figures of the assessment (items of ``cset`` only)."""
    rows = await _extra_rows(session, assessment.id)
    out = Extras()
    for kind, target in ((BONUS, out.bonus), (PENALTY, out.penalty)):
        for item in bonus_items(cset, kind):
            row = rows.get((kind, item.code))
            if row is not None and row.count:
                target[item.code] = row.count
    for node in survey_criteria(cset):
        row = rows.get((SURVEY, node.code))
        if row is not None and row.points is not None:
            out.survey[node.code] = Decimal(row.points)
    return out


async def _set_extra(
    session: AsyncSession,
    assessment: Assessment,
    kind: str,
    code: str,
    *,
    count: int | None,
    points: Decimal | None,
    actor: int,
    now: datetime,
) -> AssessmentExtra:
    rows = await _extra_rows(session, assessment.id)
    row = rows.get((kind, code))
    old = None if row is None else {"count": row.count, "points": _str(row.points)}
    new = {"count": count, "points": _str(points)}
    if old == new:
        assert row is not None
        return row
    if row is None:
        row = AssessmentExtra(assessment_id=assessment.id, kind=kind, code=code)
        session.add(row)
    row.count = count
    row.points = points
    row.updated_by = actor
    row.updated_at = now
    await session.flush()
    _audit(session, assessment, code=code, actor=actor, action=kind, old=old, new=new, now=now)
    return row


def _str(value: Decimal | None) -> str | None:
    # Exactly as stored: 16.875 stays 16.875 (no rounding, no float).
    return None if value is None else format(Decimal(value), "f")


async def set_extra_count(
    session: AsyncSession,
    *,
    assessment: Assessment,
    cset: CriteriaSet,
    kind: str,
    code: str,
    count: int,
    actor: int,
    now: datetime,
) -> AssessmentExtra:
    """Record how many times bonus/penalty item ``code`` is claimed (0 clears it).

    A one-off item takes 0 or 1. Refuses a locked assessment (``AssessmentLocked``)."""
    _check_open(assessment)
    if kind not in (BONUS, PENALTY):
        raise UnknownExtra()
    item = extra_item(cset, kind, code)
    assert not isinstance(item, Criterion)
    limit = None if item.per_occurrence else 1
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or count < 0
        or (limit is not None and count > limit)
    ):
        raise CchcError("Số lần không hợp lệ cho mục này.")
    return await _set_extra(
        session, assessment, kind, code, count=count, points=None, actor=actor, now=now
    )


async def set_survey_points(
    session: AsyncSession,
    *,
    assessment: Assessment,
    cset: CriteriaSet,
    code: str,
    points: Decimal | None,
    actor: int,
    now: datetime,
) -> AssessmentExtra:
    """Record the survey points the province announced for ``code`` (None: not yet known).

    Refuses points outside 0..max and a locked assessment (``AssessmentLocked``)."""
    _check_open(assessment)
    node = extra_item(cset, SURVEY, code)
    assert isinstance(node, Criterion)
    if points is not None:
        # Checked, not coerced: a float is already rounded, a string is not a figure.
        try:
            points = checked_decimal(points, f"Điểm tiêu chí {code}")
        except ScoringInputError as exc:
            raise BadScoringInput(exc.message) from exc
        if points > node.max:
            raise CchcError(f"Điểm tiêu chí {code} phải từ 0 đến {format_points(node.max)}.")
    return await _set_extra(
        session, assessment, SURVEY, code, count=None, points=points, actor=actor, now=now
    )


# --- evidence files for the coordinator ------------------------------------------------------


def is_photo(item: Evidence) -> bool:
    """A photo (sent with sendPhoto): kind "photo", or an older "file" row named ``anh-….jpg``."""
    if item.kind == "photo":
        return True
    name = item.file_name or ""
    return item.kind == "file" and name.startswith("anh-") and name.endswith(".jpg")


def files_of(ans: Answer) -> list[Evidence]:
    """The answer's evidence items that are Telegram files or photos, in order."""
    return [e for e in ans.evidence if e.kind in FILE_KINDS and e.file_id]


async def unit_evidence_file(
    session: AsyncSession, evidence_id: int, unit_id: int
) -> tuple[Evidence, str] | None:
    """Evidence file ``evidence_id`` and its criterion code, if it belongs to an answer of
    ``unit_id``'s assessments."""
    result = await session.execute(
        select(Evidence, Answer.code)
        .join(Answer, Answer.id == Evidence.answer_id)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(
            Evidence.id == evidence_id,
            Assessment.unit_id == unit_id,
            Evidence.kind.in_(FILE_KINDS),
            Evidence.file_id.is_not(None),
        )
    )
    row = result.first()
    return None if row is None else (row[0], row[1])
