"""Bonus, penalty and survey results entered by the coordinator: stored, audited, capped in
the summary, refused once locked, and written in the export files."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import export
from bot.db.models import Assessment, AssessmentExtra, AuditLog
from bot.errors import CchcError
from bot.services import assessments as svc
from tests.test_export import INDEX, SELF_POINTS, current_set, load_seeded, seed_assessment

NOW = datetime(2021, 12, 20, 2, 0, tzinfo=UTC)
COORDINATOR = 100

# By hand: self 6,5 + survey (9,5 + 15,25) + bonus (1 + 1, cap 2) − penalty (3 × 1 + 1 = 4,
# capped at 3) = 30,25 over 100 − 1 excluded = 99 → 30,5555… %, floored to 4 decimals.
INDEX_WITH_EXTRAS = Decimal("30.5555")
INDEX_WITH_EXTRAS_SHOWN = Decimal("30.55")


async def _enter_all(factory: async_sessionmaker[AsyncSession], aid: int) -> None:
    cset = current_set()
    async with factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        for kind, code, count in [
            (svc.BONUS, "khen-thuong", 1),
            (svc.BONUS, "nhan-rong-mo-hinh", 1),
            (svc.PENALTY, "phe-binh", 3),
            (svc.PENALTY, "bao-cao-tre-han", 1),
        ]:
            await svc.set_extra_count(
                session,
                assessment=assessment,
                cset=cset,
                kind=kind,
                code=code,
                count=count,
                actor=COORDINATOR,
                now=NOW,
            )
        for code, points in [("8.1", "9.5"), ("8.2", "15.25")]:
            await svc.set_survey_points(
                session,
                assessment=assessment,
                cset=cset,
                code=code,
                points=Decimal(points),
                actor=COORDINATOR,
                now=NOW,
            )


async def test_extras_are_stored_audited_and_capped(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    aid = await seed_assessment(session_factory)
    cset = current_set()
    async with session_factory() as session:
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        before = await svc.progress(session, assessment, cset, None)
    assert before.summary is not None and before.summary.index == INDEX

    await _enter_all(session_factory, aid)
    async with session_factory() as session:
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        entered = await svc.extras(session, assessment, cset)
        summary = (await svc.progress(session, assessment, cset, None)).summary
        department = (await svc.progress(session, assessment, cset, "TP")).summary
        rows = (await session.execute(select(AssessmentExtra))).scalars().all()
        trail = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    assert entered.bonus == {"khen-thuong": 1, "nhan-rong-mo-hinh": 1}
    assert entered.penalty == {"phe-binh": 3, "bao-cao-tre-han": 1}
    assert entered.survey == {"8.1": Decimal("9.5"), "8.2": Decimal("15.25")}
    assert len(rows) == 6
    assert summary is not None
    assert (summary.bonus, summary.penalty) == (Decimal(2), Decimal(3))  # penalty capped at 3
    assert summary.survey_points == Decimal("24.75")
    assert summary.self_points == SELF_POINTS
    assert summary.index == INDEX_WITH_EXTRAS and summary.band == "Yếu"
    # A department's own figures are not the unit's: no extras there.
    assert department is not None and department.bonus == 0 and department.survey_points == 0

    assert [(a.action, a.code, a.actor) for a in trail] == [
        ("bonus", "khen-thuong", COORDINATOR),
        ("bonus", "nhan-rong-mo-hinh", COORDINATOR),
        ("penalty", "phe-binh", COORDINATOR),
        ("penalty", "bao-cao-tre-han", COORDINATOR),
        ("survey", "8.1", COORDINATOR),
        ("survey", "8.2", COORDINATOR),
    ]
    assert trail[0].old is None
    assert json.loads(trail[4].new or "") == {"count": None, "points": "9.5"}

    # A change records old → new; setting the same value again records nothing.
    async with session_factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        for count in (1, 1):
            await svc.set_extra_count(
                session,
                assessment=assessment,
                cset=cset,
                kind=svc.PENALTY,
                code="phe-binh",
                count=count,
                actor=COORDINATOR + 1,
                now=NOW,
            )
    async with session_factory() as session:
        trail = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    assert len(trail) == 7
    assert (trail[-1].actor, json.loads(trail[-1].old or ""), json.loads(trail[-1].new or "")) == (
        COORDINATOR + 1,
        {"count": 3, "points": None},
        {"count": 1, "points": None},
    )


async def test_bad_extras_and_locked_assessment_are_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    aid = await seed_assessment(session_factory)
    cset = current_set()
    async with session_factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        async def count(kind: str, code: str, n: int) -> None:
            await svc.set_extra_count(
                session,
                assessment=assessment,
                cset=cset,
                kind=kind,
                code=code,
                count=n,
                actor=COORDINATOR,
                now=NOW,
            )

        async def survey(code: str, points: str) -> None:
            await svc.set_survey_points(
                session,
                assessment=assessment,
                cset=cset,
                code=code,
                points=Decimal(points),
                actor=COORDINATOR,
                now=NOW,
            )

        with pytest.raises(svc.UnknownExtra):
            await count(svc.BONUS, "phe-binh", 1)
        with pytest.raises(CchcError, match="Số lần"):  # a one-off item is claimed once
            await count(svc.PENALTY, "nhung-nhieu", 2)
        with pytest.raises(CchcError, match="từ 0 đến 12"):
            await survey("8.1", "12.25")
        with pytest.raises(svc.UnknownExtra):  # a self-scored criterion is not a survey one
            await survey("1.1.1", "1")
        await svc.lock(session, assessment, COORDINATOR, NOW)
        with pytest.raises(svc.AssessmentLocked):
            await count(svc.BONUS, "khen-thuong", 1)
        with pytest.raises(svc.AssessmentLocked):
            await survey("8.1", "1")
    async with session_factory() as session:
        assert (await session.execute(select(AssessmentExtra))).scalars().all() == []
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
    assert list(actions) == ["lock"]


async def test_export_includes_bonus_penalty_and_survey(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    aid = await seed_assessment(session_factory)
    await _enter_all(session_factory, aid)
    data = await load_seeded(session_factory)
    assert data.summary.index == INDEX_WITH_EXTRAS

    ws = load_workbook(io.BytesIO(export.render(data, "xlsx"))).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    labels = {r[1]: r for r in rows if isinstance(r[1], str)}
    assert Decimal(str(labels["Điểm thưởng"][3])) == Decimal(2)
    assert Decimal(str(labels["Điểm trừ"][3])) == Decimal(3)
    survey = labels["Điểm điều tra xã hội học (do tỉnh chấm, không tự chấm)"]
    assert Decimal(str(survey[3])) == Decimal("24.75")
    assert Decimal(str(labels["Chỉ số CCHC (%)"][3])) == INDEX_WITH_EXTRAS_SHOWN
    assert labels["Xếp loại"][3] == "Yếu"
    by_code = {r[0]: r for r in rows if r[0]}
    assert Decimal(str(by_code["8.1"][3])) == Decimal("9.5")
    assert by_code["8.2"][4] == export.SURVEY_ANNOUNCED
    # The "not counted yet" note is gone once the survey results are in.
    assert not any("chưa tính vào chỉ số" in str(r[1]) for r in rows)

    lines = list(csv.reader(io.StringIO(export.render(data, "csv").decode("utf-8-sig"))))
    by_label = {line[1]: line for line in lines}
    assert by_label["Điểm thưởng"][3] == "2.00"
    assert by_label["Điểm trừ"][3] == "3.00"
    assert by_label["Điểm điều tra xã hội học (do tỉnh chấm, không tự chấm)"][3] == "24.75"
    assert by_label["Chỉ số CCHC (%)"][3] == "30.55"
    assert {line[0]: line for line in lines}["8.1"][3] == "9.50"


async def test_two_coordinators_locking_at_once_lock_it_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # Both read it open (two processes, two sessions); the first lock commits, the second
    # finds it locked: one lock, one audit row, the first coordinator's name on it.
    aid = await seed_assessment(session_factory)
    async with session_factory() as first, session_factory() as second:
        async with first.begin():
            a1 = await first.get(Assessment, aid)
        async with second.begin():
            a2 = await second.get(Assessment, aid)
        assert a1 is not None and a2 is not None and a1.status == a2.status == svc.OPEN
        async with first.begin():
            assert await svc.lock(first, a1, COORDINATOR, NOW) is True
        async with second.begin():
            assert await svc.lock(second, a2, COORDINATOR + 1, NOW) is False
            assert a2.status == svc.LOCKED and a2.locked_by == COORDINATOR
        async with second.begin():  # and the same for reopening twice
            assert await svc.reopen(second, a2, COORDINATOR + 1, NOW) is True
        async with first.begin():
            await first.refresh(a1)
            assert await svc.reopen(first, a1, COORDINATOR, NOW) is False
    async with session_factory() as session:
        actions = (await session.execute(select(AuditLog.action, AuditLog.actor))).all()
    assert sorted(actions) == [("lock", COORDINATOR), ("reopen", COORDINATOR + 1)]
