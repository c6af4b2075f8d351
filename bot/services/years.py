"""Levels and assessment years: which criteria set a unit is assessed on, and the rollover.

A criteria set declares its level (huyen, xa, …) and year; a unit has a level (``Unit.kind``).
Until a year is opened for a level, that level's units use the catalogue's choice for it: the
default set if it is of that level, else the level's earliest set (adding a newer set changes
nothing). ``open_year`` records the year and set for a level; from then on that level's units
are assessed on it, and their earlier assessments are closed: kept, viewable and exportable,
never edited again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Select, String, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, class_mapper
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from bot.db import direct
from bot.db.models import Assessment, AssessmentYear, FsmRecord, LevelChoice, Person, Unit
from bot.errors import CchcError, NotFound
from bot.services.assessments import CLOSED
from criteria.loader import Catalogue, describe_sets
from criteria.schema import LEVEL_NAMES, CriteriaSet


class UnknownSet(NotFound):
    def __init__(self, set_id: str, catalogue: Catalogue) -> None:
        super().__init__(
            f"Không có bộ tiêu chí mã «{set_id}». Các bộ đã nạp: {describe_sets(catalogue.sets)}."
        )


class NoSetForLevel(NotFound):
    def __init__(self, level: str) -> None:
        super().__init__(
            f"Chưa có bộ tiêu chí nào cho cấp {level_name(level)}: hãy nạp bộ tiêu chí của cấp "
            "này trước khi thêm đơn vị."
        )


class YearRefused(CchcError):
    """A year that cannot be opened (earlier than the one open, or on an unfit set)."""


class BadLevel(CchcError):
    """A unit level no loaded set declares."""


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


def levels(catalogue: Catalogue) -> tuple[str, ...]:
    """The levels the loaded sets declare, in a stable order: what ``Unit.kind`` may be."""
    order = list(LEVEL_NAMES)
    found = {s.level for s in catalogue.sets.values()}
    return tuple(sorted(found, key=lambda lv: order.index(lv) if lv in order else len(order)))


def check_level(catalogue: Catalogue, level: str) -> str:
    if level not in levels(catalogue):
        choices = ", ".join(f"{lv} ({level_name(lv)})" for lv in levels(catalogue))
        raise BadLevel(
            f"Cấp đơn vị «{level}» không có bộ tiêu chí nào; chọn một trong: {choices}."
        )
    return level


def catalogue_set(catalogue: Catalogue, level: str) -> CriteriaSet:
    """The set of a level before any year is opened for it (see the module docstring)."""
    default = catalogue.current
    if default.level == level:
        return default
    of_level = [s for s in catalogue.sets.values() if s.level == level]
    if not of_level:
        raise NoSetForLevel(level)
    return min(of_level, key=lambda s: (s.year, s.id))


@dataclass(frozen=True)
class SetYear:
    """The set and year a unit (or a guest's chosen level) is assessed on now. A year is
    opened only on a set of that year (:func:`open_year`), so ``year`` is ``cset.year``;
    it is spelled out for the readers of assessments, which are stored by year."""

    cset: CriteriaSet
    year: int


async def latest_year(session: AsyncSession, level: str) -> AssessmentYear | None:
    result = await session.execute(
        select(AssessmentYear)
        .where(AssessmentYear.level == level)
        .order_by(AssessmentYear.year.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def level_set_year(session: AsyncSession, catalogue: Catalogue, level: str) -> SetYear:
    """The set and year in use for a level: the latest year opened, else the catalogue's."""
    row = await latest_year(session, level)
    return resolve(catalogue, level, row.set_id if row is not None else None)


async def unit_set_year(session: AsyncSession, catalogue: Catalogue, unit: Unit) -> SetYear:
    return await level_set_year(session, catalogue, unit.kind)


def resolve(catalogue: Catalogue, level: str, set_id: str | None) -> SetYear:
    """The set and year of ``level`` given the set of its latest opened year (``set_id``), or
    the catalogue's choice when none was opened (or its file is gone); a level without any
    set gets the default set."""
    if set_id is not None and set_id in catalogue.sets:
        cset = catalogue.sets[set_id]
    else:
        try:
            cset = catalogue_set(catalogue, level)
        except NoSetForLevel:
            cset = catalogue.current
    return SetYear(cset, cset.year)


@dataclass(frozen=True)
class Who:
    """Who sent an update, the set and year they work on, and (when asked for) their FSM
    record: ``fsm`` is ``(state, data)``, or ``None`` when there is no record."""

    person: Person | None
    set_year: SetYear
    fsm: tuple[str | None, str] | None = None


_PERSON_COLUMNS = tuple(c.key for c in Person.__table__.columns)
_UNIT_COLUMNS = tuple(c.key for c in Unit.__table__.columns)


@cache
def _who_statement(with_fsm: bool = False) -> Select[Any]:
    """Built once: it runs for every update, and building it cost more than running it.

    A Core statement (the person's and the unit's columns, the level, the level's latest
    opened set, and with ``with_fsm`` the FSM record of ``fsm_key``): the ORM's loading
    machinery cost more than the statement itself."""
    anchor = select(bindparam("telegram_id", type_=BigInteger).label("tid")).subquery()
    level = func.coalesce(Unit.kind, LevelChoice.level, bindparam("default_level", type_=String))
    latest = (
        select(AssessmentYear.set_id)
        .where(AssessmentYear.level == level)
        .order_by(AssessmentYear.year.desc())
        .limit(1)
        .correlate_except(AssessmentYear)
        .scalar_subquery()
    )
    person = Person.__table__.c
    unit = Unit.__table__.c
    columns = [
        *(person[name].label(f"p_{name}") for name in _PERSON_COLUMNS),
        *(unit[name].label(f"u_{name}") for name in _UNIT_COLUMNS),
        level.label("level"),
        latest.label("set_id"),
    ]
    if with_fsm:
        columns += [FsmRecord.state.label("fsm_state"), FsmRecord.data.label("fsm_data")]
    stmt = (
        select(*columns)
        .select_from(anchor)
        .outerjoin(Person, Person.telegram_id == anchor.c.tid)
        .outerjoin(Unit, Unit.id == Person.unit_id)
        .outerjoin(LevelChoice, LevelChoice.telegram_id == anchor.c.tid)
    )
    if with_fsm:
        stmt = stmt.outerjoin(FsmRecord, FsmRecord.key == bindparam("fsm_key", type_=String))
    return stmt


# The statement, compiled once per dialect and run on the driver where it can (bot/db/direct.py).
_WHO = {
    False: direct.Statement(lambda _dialect: _who_statement(False)),
    True: direct.Statement(lambda _dialect: _who_statement(True)),
}


@cache
def _positions(with_fsm: bool) -> dict[str, int]:
    """Each result column's position in a row of :func:`_who_statement`."""
    names = [column.name for column in _who_statement(with_fsm).selected_columns]
    return {name: i for i, name in enumerate(names)}


_MAPPERS: dict[type[Any], Mapper[Any]] = {}


def _mapper(cls: type[Any]) -> Mapper[Any]:
    found = _MAPPERS.get(cls)
    if found is None:
        found = _MAPPERS[cls] = class_mapper(cls)
    return found


def _loaded(session: AsyncSession, cls: type[Any], values: dict[str, Any]) -> Any:
    """The instance of ``cls`` with ``values`` (every column), persistent in ``session`` as a
    query loads it: no history, nothing to flush, no SELECT, and no transaction begun (the
    steps of SQLAlchemy's own loading, orm/loading.py; ``session.add`` of a detached copy
    cost ~75 us each and began one, which then had to be committed). An instance the session
    already holds is returned as it is (a query would not refresh it either)."""
    sync = session.sync_session
    mapper = _mapper(cls)
    key = mapper.identity_key_from_primary_key((values["id"],))
    held = sync.identity_map.get(key)
    if held is not None:
        return held
    instance = mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(values)
    state.key = key
    state.identity_token = None
    state.session_id = sync.hash_key
    sync.identity_map._add_unpresent(state, key)
    state._commit_all(state.dict, sync.identity_map)
    return instance


async def who(
    session: AsyncSession, catalogue: Catalogue, telegram_id: int, fsm_key: str | None = None
) -> Who:
    """The person with their unit, the level they chose and their level's latest opened year,
    in one statement (it runs for every update); with ``fsm_key`` the FSM record of that
    storage key too (see bot/storage.py).

    The level is the unit's, else the one chosen (guests, Sở contacts), else the default set's.
    The person (and their unit) are ORM instances of ``session``, as a query would load them.
    """
    params: dict[str, object] = {
        "telegram_id": telegram_id,
        "default_level": catalogue.current.level,
    }
    if fsm_key is not None:
        params["fsm_key"] = fsm_key
    with_fsm = fsm_key is not None
    (row,) = await direct.rows(session, _WHO[with_fsm], params)
    at = _positions(with_fsm)
    person = None
    if row[at["p_id"]] is not None:
        unit = None
        if row[at["u_id"]] is not None:
            unit = _loaded(session, Unit, {n: row[at[f"u_{n}"]] for n in _UNIT_COLUMNS})
        person = _loaded(session, Person, {n: row[at[f"p_{n}"]] for n in _PERSON_COLUMNS})
        if "unit" not in person.__dict__:
            set_committed_value(person, "unit", unit)
    fsm = None
    if with_fsm and row[at["fsm_data"]] is not None:
        fsm = (row[at["fsm_state"]], row[at["fsm_data"]])
    return Who(person, resolve(catalogue, row[at["level"]], row[at["set_id"]]), fsm)


async def choose_level(
    session: AsyncSession, catalogue: Catalogue, telegram_id: int, level: str, now: datetime
) -> SetYear:
    """Remember the level a guest asks and browses at; returns its set and year."""
    check_level(catalogue, level)
    row = await session.get(LevelChoice, telegram_id)
    if row is None:
        session.add(LevelChoice(telegram_id=telegram_id, level=level, updated_at=now))
    else:
        row.level = level
        row.updated_at = now
    await session.flush()
    return await level_set_year(session, catalogue, level)


async def unit_year_set(
    session: AsyncSession, catalogue: Catalogue, unit: Unit, year: int = 0
) -> tuple[CriteriaSet, bool]:
    """The set of ``unit``'s assessment for ``year`` (0: the current year) and whether that
    is a past year (read-only); a past year without an assessment is refused."""
    current = await unit_set_year(session, catalogue, unit)
    if year in (0, current.year):
        return current.cset, False
    found = await session.execute(
        select(Assessment).where(Assessment.unit_id == unit.id, Assessment.year == year)
    )
    assessment = found.scalar_one_or_none()
    if assessment is None:
        raise YearRefused(f"Đơn vị {unit.code} không có bản tự đánh giá năm {year}.")
    return scope_of(catalogue, assessment).cset, True


def scope_of(catalogue: Catalogue, assessment: Assessment) -> SetYear:
    """The set and year of a stored assessment (its set must still be loaded)."""
    cset = catalogue.sets.get(assessment.set_id)
    if cset is None:
        raise UnknownSet(assessment.set_id, catalogue)
    return SetYear(cset, assessment.year)


@dataclass(frozen=True)
class OpenedYear:
    level: str
    year: int
    cset: CriteriaSet
    closed: int  # earlier assessments closed by this opening
    units: int  # units of the level, assessed on the new set from now on


async def open_year(
    session: AsyncSession,
    catalogue: Catalogue,
    *,
    year: int,
    set_id: str,
    level: str | None = None,
    actor: int | None,
    now: datetime,
) -> OpenedYear:
    """Open ``year`` for the set's level: that level's units are assessed on ``set_id`` from
    now on and their assessments of earlier years are closed. Opening the year that is open
    again with the same set changes nothing; any other repeat or an earlier year is refused.
    """
    cset = catalogue.sets.get(set_id)
    if cset is None:
        raise UnknownSet(set_id, catalogue)
    if level is not None and level != cset.level:
        raise YearRefused(
            f"Bộ «{cset.id}» là bộ tiêu chí cấp {level_name(cset.level)}, không dùng được cho "
            f"đơn vị cấp {level_name(level)}."
        )
    if cset.year != year:
        # One set per year: an assessment's year is its set's, so a set kept unchanged for
        # another year is loaded again under that year (a copy with a new id and year).
        raise YearRefused(
            f"Bộ «{cset.id}» là bộ tiêu chí năm {cset.year}: không dùng để đánh giá năm {year}. "
            f"Nếu năm {year} vẫn dùng bộ này, hãy nạp một bản sao với id và năm {year}."
        )
    latest = await latest_year(session, cset.level)
    current = await level_set_year(session, catalogue, cset.level)
    if latest is not None and latest.year == year and latest.set_id == cset.id:
        closed = 0  # opened already: nothing to do
    elif year < current.year or (
        year == current.year and not (latest is None and cset.id == current.cset.id)
    ):
        raise YearRefused(
            f"Năm {year} không mở được: cấp {level_name(cset.level)} đang đánh giá năm "
            f"{current.year} theo bộ «{current.cset.id}». Chỉ mở được một năm sau năm đó."
        )
    else:
        session.add(
            AssessmentYear(
                level=cset.level, year=year, set_id=cset.id, opened_by=actor, opened_at=now
            )
        )
        units = select(Unit.id).where(Unit.kind == cset.level).scalar_subquery()
        result = await session.execute(
            update(Assessment)
            .where(Assessment.unit_id.in_(units), Assessment.year < year)
            .where(Assessment.status != CLOSED)
            .values(status=CLOSED)
            .execution_options(synchronize_session=False)
        )
        closed = result.rowcount or 0  # type: ignore[attr-defined]
        await session.flush()
    count = await session.scalar(
        select(func.count()).select_from(Unit).where(Unit.kind == cset.level)
    )
    return OpenedYear(cset.level, year, cset, closed, int(count or 0))


async def years(session: AsyncSession) -> list[AssessmentYear]:
    result = await session.execute(
        select(AssessmentYear).order_by(AssessmentYear.level, AssessmentYear.year)
    )
    return list(result.scalars().all())
