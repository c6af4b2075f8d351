"""Points are stored exactly (no 2-decimal column, no float on SQLite), ratings are decided on
the exact figures, inputs are type-checked at the service boundary, and the migration converts
old rows exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Answer, Assessment, AssessmentExtra, Unit
from bot.services import assessments as svc
from criteria.scoring import (
    RatioInput,
    ScoreResult,
    ScoringInputError,
    YesNoInput,
    checked_decimal,
    score,
)
from tests.test_export import current_set

NOW = datetime(2021, 12, 20, 2, 0, tzinfo=UTC)
COORDINATOR = 100


async def _assessment(factory: async_sessionmaker[AsyncSession]) -> int:
    cset = current_set()
    async with factory() as session, session.begin():
        unit = Unit(code="huyen-x", name="UBND huyện X", kind="huyen")
        session.add(unit)
        await session.flush()
        assessment = Assessment(unit_id=unit.id, set_id=cset.id, year=cset.year)
        session.add(assessment)
        await session.flush()
        return assessment.id


async def _survey(
    factory: async_sessionmaker[AsyncSession], aid: int, code: str, points: object
) -> None:
    async with factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        await svc.set_survey_points(
            session,
            assessment=assessment,
            cset=current_set(),
            code=code,
            points=points,  # type: ignore[arg-type]
            actor=COORDINATOR,
            now=NOW,
        )


async def test_survey_points_are_stored_exactly_and_rated_on_the_exact_figure(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cset = current_set()
    aid = await _assessment(session_factory)
    await _survey(session_factory, aid, "8.1", Decimal("16.875") - Decimal("16.875"))
    await _survey(session_factory, aid, "8.2", Decimal("14.996"))
    await _survey(session_factory, aid, "8.1", Decimal("2.675"))
    async with session_factory() as session:
        rows = (await session.execute(sa.select(AssessmentExtra))).scalars().all()
        stored = {r.code: r.points for r in rows}
        raw = dict(
            (await session.execute(sa.text("SELECT code, points FROM assessment_extra"))).all()
        )
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        extras = await svc.extras(session, assessment, cset)
    # Exactly as entered, in the column too (the old NUMERIC(6, 2) gave 15.00 and 2.67).
    assert stored == {"8.1": Decimal("2.675"), "8.2": Decimal("14.996")}
    assert raw == {"8.1": "2.675", "8.2": "14.996"}
    assert extras.survey == {"8.1": Decimal("2.675"), "8.2": Decimal("14.996")}

    # Every self-scored criterion at its maximum (70) + 8.2 of 14.996 = 84.996: "Khá", not
    # "Tốt" (a stored 15.00 made it 85.00 "Tốt").
    full = {
        c.code: ScoreResult(points=c.max, max=c.max, explanation="") for c in svc.self_scored(cset)
    }
    summary = svc.Extras(survey={"8.2": extras.survey["8.2"]}).summarise(cset, full)
    assert summary.self_points == Decimal(70)
    assert summary.index == Decimal("84.9960")
    assert summary.band == "Khá"


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (16.875, "phải là một số"),  # a float is already rounded: refused, not converted
        ("16.875", "phải là một số"),
        (True, "phải là một số"),
        (Decimal("NaN"), "phải là một số"),
        (Decimal("-1"), "không được âm"),
        (Decimal("1" + "0" * 70), "quá dài"),
    ],
)
async def test_survey_points_of_the_wrong_type_are_refused(
    session_factory: async_sessionmaker[AsyncSession], points: object, message: str
) -> None:
    aid = await _assessment(session_factory)
    with pytest.raises(svc.BadScoringInput, match=message):
        await _survey(session_factory, aid, "8.2", points)
    async with session_factory() as session:
        assert (await session.execute(sa.select(AssessmentExtra))).scalars().all() == []


@pytest.mark.parametrize("count", [1.0, "1", None])
async def test_extra_counts_of_the_wrong_type_are_refused(
    session_factory: async_sessionmaker[AsyncSession], count: object
) -> None:
    aid = await _assessment(session_factory)
    async with session_factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        with pytest.raises(svc.CchcError, match="Số lần"):
            await svc.set_extra_count(
                session,
                assessment=assessment,
                cset=current_set(),
                kind=svc.BONUS,
                code="khen-thuong",
                count=count,  # type: ignore[arg-type]
                actor=COORDINATOR,
                now=NOW,
            )


@pytest.mark.parametrize("value", ["no", 0, 1, None, "False"])
def test_yes_no_answer_must_be_a_bool(value: object) -> None:
    # "no" is truthy: it used to get full marks through the service API.
    with pytest.raises(ScoringInputError, match="có/không"):
        YesNoInput(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.5, "0.5", float("nan"), None])
def test_ratio_figures_must_be_decimal_or_int(value: object) -> None:
    with pytest.raises(ScoringInputError, match="phải là một số"):
        RatioInput(value, Decimal(1))  # type: ignore[arg-type]
    assert checked_decimal(7, "x") == Decimal(7)


def test_ratio_of_thirty_digit_figures_is_banded_exactly() -> None:
    # 29+ significant digits: at the default 28-digit precision 999…9 × 100 rounded up to
    # exactly 100 % and the 100 % band was given; the exact ratio is just below it.
    node = current_set().by_code()["1.1.2"]
    nines = Decimal("9" * 30)
    below = score(node, RatioInput(nines, nines + 1))
    assert below.points == Decimal(1), below.explanation
    full = score(node, RatioInput(nines + 1, nines + 1))
    assert full.points == Decimal(2)


async def test_float_is_refused_by_the_column(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    aid = await _assessment(session_factory)
    with pytest.raises(sa.exc.StatementError, match="finite Decimal"):
        async with session_factory() as session, session.begin():
            session.add(
                AssessmentExtra(
                    assessment_id=aid,
                    kind="survey",
                    code="8.2",
                    points=14.996,  # type: ignore[arg-type]
                    updated_by=1,
                    updated_at=NOW,
                )
            )


async def test_upgrade_converts_old_two_decimal_rows_exactly(db_url: str) -> None:
    await upgrade(db_url, "0006")
    old = sa.Numeric(6, 2)
    answer = sa.table(
        "answer",
        *(sa.column(n) for n in ("id", "assessment_id", "code", "raw", "explanation")),
        *(sa.column(n) for n in ("not_applicable", "excluded", "evidence_status", "author")),
        *(sa.column(n) for n in ("created_at", "updated_at")),
        sa.column("points", old),
        sa.column("max", old),
    )
    extra = sa.table(
        "assessment_extra",
        *(sa.column(n) for n in ("id", "assessment_id", "kind", "code", "count")),
        *(sa.column(n) for n in ("updated_by", "updated_at")),
        sa.column("points", old),
    )
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO unit (id, code, name, kind, created_at) "
                    "VALUES (1, 'u', 'U', 'huyen', :now)"
                ),
                {"now": NOW.replace(tzinfo=None)},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO assessment (id, unit_id, set_id, status, created_at) "
                    "VALUES (1, 1, 's', 'open', :now)"
                ),
                {"now": NOW.replace(tzinfo=None)},
            )
            figures = [("16.88", "18"), ("0.30", "1"), ("2", "2"), ("0.25", "1.5"), ("2.67", "3")]
            for i, (points, maximum) in enumerate(figures, start=1):
                await conn.execute(
                    answer.insert().values(
                        id=i,
                        assessment_id=1,
                        code=f"1.{i}",
                        raw="{}",
                        explanation="",
                        not_applicable=False,
                        excluded=False,
                        evidence_status="ok",
                        author=1,
                        created_at=NOW.replace(tzinfo=None),
                        updated_at=NOW.replace(tzinfo=None),
                        points=Decimal(points),
                        max=Decimal(maximum),
                    )
                )
            for i, points in enumerate(["16.88", None, "0.10"], start=1):
                await conn.execute(
                    extra.insert().values(
                        id=i,
                        assessment_id=1,
                        kind="survey",
                        code=f"8.{i}",
                        count=None,
                        updated_by=1,
                        updated_at=NOW.replace(tzinfo=None),
                        points=None if points is None else Decimal(points),
                    )
                )
        await upgrade(db_url)
        async with engine.connect() as conn:
            answers = (
                await conn.execute(sa.text("SELECT points, max FROM answer ORDER BY id"))
            ).all()
            extras = (
                await conn.execute(sa.text("SELECT points FROM assessment_extra ORDER BY id"))
            ).all()
        async with AsyncSession(engine) as session:
            orm = (await session.execute(sa.select(Answer.points).order_by(Answer.id))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in answers] == [
        ("16.88", "18.00"),
        ("0.30", "1.00"),
        ("2.00", "2.00"),
        ("0.25", "1.50"),
        ("2.67", "3.00"),
    ]
    assert [r[0] for r in extras] == ["16.88", None, "0.10"]
    assert [r[0] for r in orm] == [Decimal(p) for p, _ in figures]
