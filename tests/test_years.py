"""Levels and years on a real database: which set a unit is assessed on, and the rollover."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Assessment, AssessmentYear, Unit
from bot.errors import CchcError
from bot.services import assessments as svc
from bot.services import years
from bot.services.people import add_unit
from criteria.loader import Catalogue, load_routing, require_catalogue, set_files
from criteria.scoring import YesNoInput
from tests.conftest import write_next_year_set

NOW = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    directory = write_next_year_set(tmp_path_factory.mktemp("sets"))
    return require_catalogue(set_files(directory), default_set="huyen-2021")


def _yes_no_leaf(cset_id: str, catalogue: Catalogue) -> str:
    cset = catalogue.sets[cset_id]
    return next(c.code for c in svc.self_scored(cset) if c.rule and c.rule.type == "yes_no")


def test_levels_and_catalogue_choice(catalogue: Catalogue) -> None:
    assert years.levels(catalogue) == ("huyen", "xa")
    assert years.catalogue_set(catalogue, "huyen").id == "huyen-2021"
    # xa-2026 was added beside xa-2025: the commune units stay on 2025 until the year opens.
    assert years.catalogue_set(catalogue, "xa").id == "xa-2025"
    with pytest.raises(years.NoSetForLevel, match="cấp sở"):
        years.catalogue_set(catalogue, "so")
    with pytest.raises(CchcError, match="Cấp đơn vị «tinh»"):
        years.check_level(catalogue, "tinh")


async def test_units_of_each_level_use_their_set(
    session_factory: async_sessionmaker[AsyncSession], catalogue: Catalogue
) -> None:
    async with session_factory() as session, session.begin():
        district = await add_unit(session, "huyen-a", "UBND huyện A", "huyen")
        commune = await add_unit(session, "xa-b", "UBND xã B", "xa")
        d = await years.unit_set_year(session, catalogue, district)
        c = await years.unit_set_year(session, catalogue, commune)
    assert (d.cset.id, d.year) == ("huyen-2021", 2021)
    assert (c.cset.id, c.year) == ("xa-2025", 2025)


async def _scored_commune(
    factory: async_sessionmaker[AsyncSession], catalogue: Catalogue
) -> tuple[int, int, str]:
    cset = catalogue.sets["xa-2025"]
    code = _yes_no_leaf("xa-2025", catalogue)
    async with factory() as session, session.begin():
        unit = await add_unit(session, "xa-b", "UBND xã B", "xa")
        district = await add_unit(session, "huyen-a", "UBND huyện A", "huyen")
        assessment = await svc.get_or_create(session, unit.id, cset, 2025)
        await svc.save_answer(
            session,
            assessment=assessment,
            cset=cset,
            code=code,
            raw=YesNoInput(True),
            author=7,
            now=NOW,
        )
        await svc.add_evidence(
            session,
            assessment=assessment,
            code=code,
            kind="text",
            text="Quyết định số 12/QĐ-UBND ngày 02/3/2025",
            author=7,
            now=NOW,
        )
        await svc.get_or_create(session, district.id, catalogue.sets["huyen-2021"])
        return unit.id, assessment.id, code


async def test_rollover_closes_last_year_and_opens_the_new_set(
    session_factory: async_sessionmaker[AsyncSession], catalogue: Catalogue
) -> None:
    unit_id, old_id, code = await _scored_commune(session_factory, catalogue)
    async with session_factory() as session, session.begin():
        opened = await years.open_year(
            session, catalogue, year=2026, set_id="xa-2026", actor=None, now=NOW
        )
    assert (opened.level, opened.year, opened.cset.id, opened.closed, opened.units) == (
        "xa",
        2026,
        "xa-2026",
        1,
        1,
    )
    async with session_factory() as session, session.begin():
        unit = await session.get(Unit, unit_id)
        assert unit is not None
        now = await years.unit_set_year(session, catalogue, unit)
        assert (now.cset.id, now.year) == ("xa-2026", 2026)
        new = await svc.get_or_create(session, unit_id, now.cset, now.year)
        assert new.id != old_id and new.status == svc.OPEN
        old = await session.get(Assessment, old_id)
        assert old is not None and old.status == svc.CLOSED
        # Last year's answer is kept as it was, and cannot be changed any more.
        kept = await svc.answers(session, old_id)
        assert list(kept) == [code] and kept[code].evidence[0].text.startswith("Quyết định")
        with pytest.raises(svc.AssessmentClosed, match="Năm đánh giá 2025 đã khép lại"):
            await svc.save_answer(
                session,
                assessment=old,
                cset=catalogue.sets["xa-2025"],
                code=code,
                raw=YesNoInput(False),
                author=7,
                now=NOW,
            )
        with pytest.raises(svc.AssessmentClosed):
            await svc.reopen(session, old, actor=9, now=NOW)
        with pytest.raises(svc.AssessmentClosed):
            await svc.lock(session, old, actor=9, now=NOW)
        # The district units are not touched by the commune rollover.
        rows = (await session.execute(select(Assessment).order_by(Assessment.id))).scalars()
        assert [(a.set_id, a.year, a.status) for a in rows] == [
            ("xa-2025", 2025, svc.CLOSED),
            ("huyen-2021", 2021, svc.OPEN),
            ("xa-2026", 2026, svc.OPEN),
        ]
        answers = (await session.execute(select(Answer))).scalars().all()
        assert [(a.assessment_id, a.points) for a in answers] == [(old_id, kept[code].points)]


async def test_bad_rollovers_change_nothing(
    session_factory: async_sessionmaker[AsyncSession], catalogue: Catalogue
) -> None:
    await _scored_commune(session_factory, catalogue)
    cases = [
        (dict(year=2026, set_id="xa-2027"), years.UnknownSet, "Không có bộ tiêu chí mã «xa-2027»"),
        (dict(year=2025, set_id="xa-2026"), years.YearRefused, "năm 2026: không dùng"),
        (dict(year=2024, set_id="xa-2025"), years.YearRefused, "đánh giá năm 2024"),
        (dict(year=2026, set_id="xa-2025"), years.YearRefused, "bản sao với id và năm 2026"),
        (dict(year=2025, set_id="huyen-2021", level="xa"), years.YearRefused, "cấp huyện"),
        (dict(year=2026, set_id="xa-2026", level="huyen"), years.YearRefused, "cấp xã"),
    ]
    for kwargs, error, message in cases:
        async with session_factory() as session:
            with pytest.raises(error, match=message):
                async with session.begin():
                    await years.open_year(session, catalogue, actor=1, now=NOW, **kwargs)
    async with session_factory() as session:
        assert (await session.execute(select(AssessmentYear))).scalars().all() == []
        statuses = (await session.execute(select(Assessment.status))).scalars().all()
        assert sorted(statuses) == [svc.OPEN, svc.OPEN]
    # Opening the same year twice is a no-op the second time; going back is refused.
    for _ in range(2):
        async with session_factory() as session, session.begin():
            await years.open_year(
                session, catalogue, year=2026, set_id="xa-2026", actor=1, now=NOW
            )
    async with session_factory() as session:
        with pytest.raises(years.YearRefused, match="đang đánh giá năm 2026"):
            async with session.begin():
                await years.open_year(
                    session, catalogue, year=2025, set_id="xa-2025", actor=1, now=NOW
                )
        assert len((await session.execute(select(AssessmentYear))).scalars().all()) == 1


def test_write_next_year_set_is_a_valid_set(tmp_path: Path) -> None:
    directory = write_next_year_set(tmp_path / "sets")
    catalogue = require_catalogue(set_files(directory), default_set="huyen-2021")
    assert catalogue.sets["xa-2026"].year == 2026
    assert len(catalogue.sets["xa-2026"].leaves()) == len(catalogue.sets["xa-2025"].leaves())


def test_routing_is_per_set(catalogue: Catalogue, tmp_path: Path) -> None:
    """The same code routes by the set it was asked on; a route naming a set is checked
    against that set's codes (cchc-bot check validates all sets together)."""
    routing = catalogue.routing
    assert routing.route("6.5", "huyen-2021").code == "SKHDT"
    assert routing.route("6.5", "xa-2025").code == "STC"
    assert routing.route("6.5.1", "xa-2025").code == "STC"
    assert routing.route("2.1", "xa-2025").code == routing.route("2.1", "huyen-2021").code == "STP"
    assert routing.route(None, "xa-2025").code == routing.default.code

    bad = tmp_path / "routing.yaml"
    bad.write_text(
        "departments:\n  - {code: SNV, name: Sở Nội vụ, default: true}\n"
        "routes:\n  - {department: SNV, codes: ['3.7', '9.9'], sets: [huyen-2021]}\n",
        encoding="utf-8",
    )
    by_set = catalogue.codes_by_set()
    _, issues = load_routing(bad, set().union(*by_set.values()), by_set)
    messages = [i.message for i in issues]
    # 3.7 is a commune criterion only; 9.9 exists nowhere.
    assert "không có tiêu chí mã 3.7 trong bộ huyen-2021" in messages
    assert "không có tiêu chí mã 9.9 trong bộ huyen-2021" in messages
