"""Assessment services on a real database: save and score, evidence, audit, lock, progress."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Assessment, AuditLog, Evidence
from bot.services import assessments as svc
from bot.services.people import add_unit
from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from criteria.scoring import (
    CountInput,
    DeductionInput,
    NotApplicableInput,
    RatioInput,
    RawInput,
    SumInput,
    TierInput,
    YesNoInput,
)

NOW = datetime(2021, 11, 8, 3, 0, tzinfo=UTC)
OFFICER = 501
COORDINATOR = 502


@pytest.fixture(scope="module")
def cset() -> CriteriaSet:
    return require_catalogue().current


async def _assessment(
    factory: async_sessionmaker[AsyncSession], cset: CriteriaSet, code: str = "huyen-a"
) -> Assessment:
    async with factory() as session, session.begin():
        unit = await add_unit(session, code, "UBND huyện A")
        return await svc.get_or_create(session, unit.id, cset)


def test_raw_round_trip() -> None:
    raws: list[RawInput] = [
        YesNoInput(True),
        TierInput(2),
        RatioInput(Decimal("97.5"), Decimal(100)),
        CountInput(3),
        DeductionInput(2, zero=True),
        NotApplicableInput(),
        SumInput((YesNoInput(False), RatioInput(Decimal(9), Decimal(10)))),
    ]
    for raw in raws:
        assert svc.loads_raw(svc.dumps_raw(raw)) == raw
    with pytest.raises(svc.ScoringInputError):
        svc.decode_raw({"kind": "ratio", "numerator": "x", "denominator": "1"})
    with pytest.raises(svc.ScoringInputError):
        svc.decode_raw({"kind": "yes_no", "value": "yes"})


def test_assigned_leaves_by_department(cset: CriteriaSet) -> None:
    tp = [c.code for c in svc.assigned_leaves(cset, "TP")]
    assert tp == ["2.1", "2.2.1", "2.2.2", "2.3", "2.4", "2.5"]
    everything = svc.assigned_leaves(cset, None)
    assert len(everything) == 57 and not any(c.is_survey for c in everything)
    with pytest.raises(svc.NotAssigned):
        svc.criterion(cset, "3.4.1", "TP")
    with pytest.raises(svc.UnknownCriterion):
        svc.criterion(cset, "2", "TP")  # a group, not a leaf


def test_next_code_skips_and_wraps() -> None:
    order = ["a", "b", "c", "d"]
    assert svc.next_code(order, ["b", "d"], None) == "b"
    assert svc.next_code(order, ["a", "b", "d"], "b") == "d"
    assert svc.next_code(order, ["a", "d"], "d") == "a"
    assert svc.next_code(order, ["a", "c"], "a", skipped=["c"]) == "c"
    assert svc.next_code(order, ["a", "c"], "b", skipped=["c"]) == "a"
    assert svc.next_code(order, [], "b") is None


async def test_get_or_create_is_one_per_unit_and_set(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    first = await _assessment(session_factory, cset)
    again = await _assessment(session_factory, cset)
    assert first.id == again.id and first.status == "open"
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Assessment)) == 1


async def test_save_scores_exactly_and_audits(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    assessment = await _assessment(session_factory, cset)
    async with session_factory() as session, session.begin():
        saved = await svc.save_answer(
            session,
            assessment=assessment,
            cset=cset,
            code="2.5",
            raw=SumInput((YesNoInput(True), RatioInput(Decimal(8), Decimal(10)))),
            author=OFFICER,
            now=NOW,
        )
        assert saved.points == Decimal("1.0")
    later = NOW + timedelta(minutes=5)
    async with session_factory() as session, session.begin():
        await svc.save_answer(
            session,
            assessment=assessment,
            cset=cset,
            code="2.5",
            raw=SumInput((YesNoInput(True), RatioInput(Decimal(9), Decimal(10)))),
            author=OFFICER + 1,
            now=later,
        )
    async with session_factory() as session:
        ans = (await svc.answers(session, assessment.id))["2.5"]
        assert (ans.points, ans.max, ans.department) == (Decimal("1.5"), Decimal("1.5"), "TP")
        assert ans.author == OFFICER + 1 and ans.updated_at == later and ans.created_at == NOW
        assert "tổng 1,5/1,5 điểm" in ans.explanation
        assert json.loads(ans.raw)["parts"][1] == {
            "kind": "ratio",
            "numerator": "9",
            "denominator": "10",
        }
        trail = await svc.audit_trail(session, assessment.id, "2.5")
        assert [(a.action, a.actor) for a in trail] == [
            ("answer", OFFICER),
            ("answer", OFFICER + 1),
        ]
        assert trail[0].old is None
        assert Decimal(json.loads(trail[1].old or "")["points"]) == Decimal(1)
        assert Decimal(json.loads(trail[1].new or "")["points"]) == Decimal("1.5")


async def test_bad_answers_are_refused_and_nothing_stored(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    assessment = await _assessment(session_factory, cset)
    cases: list[tuple[str, RawInput, str]] = [
        ("2.2.2", RatioInput(Decimal(5), Decimal(4)), "không được lớn hơn"),
        ("2.2.2", RatioInput(Decimal(0), Decimal(0)), "lớn hơn 0"),
        ("2.4", TierInput(7), "không hợp lệ"),
        ("2.2.1", NotApplicableInput(), "Không phát sinh"),
        ("2.2.1", CountInput(1), "không đúng dạng"),
    ]
    for code, raw, words in cases:
        with pytest.raises(svc.BadScoringInput) as caught:
            async with session_factory() as session, session.begin():
                await svc.save_answer(
                    session,
                    assessment=assessment,
                    cset=cset,
                    code=code,
                    raw=raw,
                    author=OFFICER,
                    now=NOW,
                )
        assert words in caught.value.user_message, (code, caught.value.user_message)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Answer)) == 0
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == 0


async def test_evidence_explanation_later_and_lock(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    assessment = await _assessment(session_factory, cset)
    async with session_factory() as session, session.begin():
        first: list[tuple[str, RawInput]] = [("2.1", YesNoInput(True)), ("2.4", TierInput(1))]
        for code, raw in first:
            await svc.save_answer(
                session,
                assessment=assessment,
                cset=cset,
                code=code,
                raw=raw,
                author=OFFICER,
                now=NOW,
            )
        await svc.add_evidence(
            session,
            assessment=assessment,
            code="2.1",
            kind="text",
            text="Báo cáo 12/BC-TP ngày 05/11/2021",
            author=OFFICER,
            now=NOW,
        )
        await svc.add_evidence(
            session,
            assessment=assessment,
            code="2.1",
            kind="file",
            file_id="FILE1",
            file_name="danh-muc.pdf",
            author=OFFICER,
            now=NOW,
        )
        await svc.set_explanation(
            session,
            assessment=assessment,
            code="2.4",
            text="Báo cáo gửi chậm do dịch bệnh",
            author=OFFICER,
            now=NOW,
        )
    async with session_factory() as session:
        found = await svc.answers(session, assessment.id)
        assert found["2.1"].evidence_status == "ok"
        assert [(e.kind, e.text, e.file_name) for e in found["2.1"].evidence] == [
            ("text", "Báo cáo 12/BC-TP ngày 05/11/2021", None),
            ("file", None, "danh-muc.pdf"),
        ]
        assert found["2.4"].evidence_status == "explained"
        assert found["2.4"].explanation_text == "Báo cáo gửi chậm do dịch bệnh"

    async with session_factory() as session, session.begin():
        fresh = await svc.get(session, assessment.id)
        assert fresh is not None
        await svc.lock(session, fresh, COORDINATOR, NOW)
    with pytest.raises(svc.AssessmentLocked) as caught:
        async with session_factory() as session, session.begin():
            locked = await svc.get(session, assessment.id)
            assert locked is not None
            await svc.save_answer(
                session,
                assessment=locked,
                cset=cset,
                code="2.4",
                raw=TierInput(0),
                author=OFFICER,
                now=NOW,
            )
    assert "khóa" in caught.value.user_message
    with pytest.raises(svc.AssessmentLocked):
        async with session_factory() as session, session.begin():
            locked = await svc.get(session, assessment.id)
            assert locked is not None
            await svc.mark_evidence_later(
                session, assessment=locked, code="2.4", author=OFFICER, now=NOW
            )
    async with session_factory() as session, session.begin():
        locked = await svc.get(session, assessment.id)
        assert locked is not None
        await svc.reopen(session, locked, COORDINATOR, NOW)
        await svc.mark_evidence_later(
            session, assessment=locked, code="2.4", author=OFFICER, now=NOW
        )
    async with session_factory() as session:
        found = await svc.answers(session, assessment.id)
        assert found["2.4"].points == Decimal("0.5")
        assert found["2.4"].evidence_status == "missing"
        actions = [a.action for a in await svc.audit_trail(session, assessment.id)]
        assert actions == [
            "answer",
            "answer",
            "evidence",
            "evidence",
            "explanation",
            "lock",
            "reopen",
            "evidence_later",
        ]
        assert await session.scalar(select(func.count()).select_from(Evidence)) == 2


async def test_progress_unfinished_and_return(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    assessment = await _assessment(session_factory, cset)
    answers: list[tuple[str, RawInput]] = [
        ("2.1", NotApplicableInput()),  # excluded: max shrinks by 1
        ("2.2.1", YesNoInput(True)),
        ("2.3", RatioInput(Decimal(0), Decimal(0))),  # when_zero: full marks
        ("6.4", DeductionInput(0)),  # no deductions: full marks
    ]
    async with session_factory() as session, session.begin():
        for code, raw in answers:
            await svc.save_answer(
                session,
                assessment=assessment,
                cset=cset,
                code=code,
                raw=raw,
                author=OFFICER,
                now=NOW,
            )
        await svc.add_evidence(
            session,
            assessment=assessment,
            code="2.2.1",
            kind="link",
            text="https://example.gov.vn/kh-ra-soat",
            author=OFFICER,
            now=NOW,
        )
    async with session_factory() as session:
        tp = await svc.progress(session, assessment, cset, "TP")
        assert (tp.scored, tp.total) == (3, 6)
        assert tp.points == Decimal("1.5")  # 0 + 0.5 + 1
        assert tp.max == Decimal("5")  # 6 − 1 excluded
        assert tp.missing_evidence == ("2.1", "2.3")
        assert tp.pending == ("2.2.2", "2.4", "2.5") and tp.next_code == "2.2.2"
        assert [(a.code, a.scored, a.total) for a in tp.areas] == [("2", 3, 6)]
        everyone = await svc.progress(session, assessment, cset, None)
        assert (everyone.scored, everyone.total) == (4, 57)
        assert everyone.points == Decimal("2.5")
        assert everyone.summary is not None and everyone.summary.self_points == Decimal("2.5")
        work = await svc.unfinished(session, assessment.unit_id, cset)
        assert work["TP"].unscored == ["2.2.2", "2.4", "2.5"]
        assert work["TP"].missing_evidence == ["2.1", "2.3"]
        assert work["TCKH"].missing_evidence == ["6.4"] and len(work["TCKH"].unscored) == 9
        assert set(work) == {"NV", "TP", "TCKH", "VHTT", "VP"}

    async with session_factory() as session, session.begin():
        await svc.return_answer(
            session,
            assessment=assessment,
            code="2.2.1",
            actor=COORDINATOR,
            comment="Thiếu số hiệu kế hoạch",
            now=NOW,
        )
    async with session_factory() as session:
        tp = await svc.progress(session, assessment, cset, "TP")
        assert tp.returned == ("2.2.1",) and tp.next_code == "2.2.1"
        assert tp.points == Decimal("1.5")  # the figures stay until corrected
        work = await svc.unfinished(session, assessment.unit_id, cset)
        assert work["TP"].unscored == ["2.2.1", "2.2.2", "2.4", "2.5"]
    async with session_factory() as session, session.begin():
        await svc.save_answer(
            session,
            assessment=assessment,
            cset=cset,
            code="2.2.1",
            raw=YesNoInput(False),
            author=OFFICER,
            now=NOW,
        )
    async with session_factory() as session:
        tp = await svc.progress(session, assessment, cset, "TP")
        assert tp.returned == () and tp.points == Decimal(1)
        assert [a.action for a in await svc.audit_trail(session, assessment.id, "2.2.1")] == [
            "answer",
            "evidence",
            "return",
            "answer",
        ]


async def test_unfinished_without_assessment_lists_everything(
    session_factory: async_sessionmaker[AsyncSession], cset: CriteriaSet
) -> None:
    async with session_factory() as session, session.begin():
        unit = await add_unit(session, "huyen-b", "UBND huyện B")
        work = await svc.unfinished(session, unit.id, cset)
    assert work["TP"].unscored == ["2.1", "2.2.1", "2.2.2", "2.3", "2.4", "2.5"]
    assert sum(len(w.unscored) for w in work.values()) == 57
