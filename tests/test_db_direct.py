"""bot/db/direct.py: the hot statements run on the SQLite driver give what SQLAlchemy gives,
and what they write is committed (or rolled back) with the step that owns it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import direct
from bot.db.models import Answer, Assessment, Person, Unit
from bot.storage import _UPSERT, step_transaction

NOW = datetime(2026, 12, 3, 21, 0, 5, 123456, tzinfo=UTC)


@asynccontextmanager
async def update_session(
    engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AsyncSession]:
    """A session as the session middleware opens it (bound to one checked-out connection)."""
    async with engine.connect() as connection, factory(bind=connection) as session:
        direct.bind(session, connection)
        yield session


def _fsm(key: str, state: str) -> dict[str, object]:
    return {"key": key, "state": state, "data": "{}", "updated_at": NOW}


async def _states(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with factory() as other:
        found = await other.execute(text("SELECT key, state FROM fsm_record ORDER BY key"))
        return [tuple(row) for row in found]  # type: ignore[misc]


async def test_sqlite_file_sessions_run_on_the_driver(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with update_session(engine, session_factory) as session:
        assert direct.bound(session) is (engine.dialect.name == "sqlite")
    async with session_factory() as session:  # not opened by the middleware: SQLAlchemy's path
        assert not direct.bound(session)


async def test_rows_are_converted_as_sqlalchemy_converts_them(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Datetimes (aware UTC), exact decimals, booleans, NULLs and literal binds (LIMIT)."""
    async with session_factory.begin() as session:
        unit = Unit(code="u1", name="UBND thử", kind="huyen", created_at=NOW)
        session.add(unit)
        await session.flush()
        session.add(
            Person(telegram_id=77, display_name="Cán bộ", role="officer", unit_id=unit.id,
                   department=None, active=False, created_at=NOW, updated_at=NOW)
        )
        assessment = Assessment(unit_id=unit.id, set_id="s", year=2021, status="open",
                                created_at=NOW)
        session.add(assessment)
        await session.flush()
        session.add(
            Answer(assessment_id=assessment.id, code="1.1", department="TP", raw="{}",
                   points=Decimal("16.875"), max=Decimal("20"), explanation="",
                   not_applicable=False, excluded=True, evidence_status="ok", author=77,
                   created_at=NOW, updated_at=NOW)
        )
    p, a, ans = Person.__table__, Assessment.__table__, Answer.__table__
    statement = direct.Statement(
        lambda _dialect: select(
            p.c.telegram_id, p.c.department, p.c.active, p.c.created_at, ans.c.points,
            ans.c.excluded, a.c.locked_at,
        )
        .select_from(
            p.join(a, a.c.unit_id == p.c.unit_id).join(ans, ans.c.assessment_id == a.c.id)
        )
        .where(p.c.telegram_id == bindparam("tid"))
        .limit(1)
    )
    async with session_factory() as plain:
        expected = [tuple(r) for r in await direct.rows(plain, statement, {"tid": 77})]
    async with update_session(engine, session_factory) as session:
        got = [tuple(r) for r in await direct.rows(session, statement, {"tid": 77})]
        assert await direct.rows(session, statement, {"tid": 78}) == []
        with pytest.raises((KeyError, StatementError)):  # a missing value, on either path
            await direct.rows(session, statement, {})
    assert got == expected == [(77, None, False, NOW, Decimal("16.875"), True, None)]
    assert got[0][3].tzinfo is not None


async def test_a_write_outside_a_step_is_committed_by_direct_commit(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with update_session(engine, session_factory) as session:
        await direct.execute(session, _UPSERT, _fsm("k1", "a"))
        await direct.commit(session)
    async with update_session(engine, session_factory) as session:
        await direct.execute(session, _UPSERT, _fsm("k2", "b"))
        # not committed: the connection goes back to the pool and is rolled back
    assert await _states(session_factory) == [("k1", "a")]


async def test_a_step_commits_or_rolls_back_its_direct_writes(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with update_session(engine, session_factory) as session:
        async with step_transaction(session):
            await direct.execute(session, _UPSERT, _fsm("k1", "a"))
        with pytest.raises(RuntimeError):
            async with step_transaction(session):
                await direct.execute(session, _UPSERT, _fsm("k2", "b"))
                raise RuntimeError("the step failed")
        # A later commit of the same update does not carry the failed step's write.
        await direct.commit(session)
    assert await _states(session_factory) == [("k1", "a")]


async def test_a_transaction_the_handler_began_ends_the_direct_write_too(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with update_session(engine, session_factory) as session:
        async with session.begin():
            await direct.execute(session, _UPSERT, _fsm("k1", "a"))
        with pytest.raises(RuntimeError):
            async with session.begin():
                await direct.execute(session, _UPSERT, _fsm("k2", "b"))
                raise RuntimeError("the handler failed")
        await direct.commit(session)
    assert await _states(session_factory) == [("k1", "a")]


async def test_who_attaches_the_person_as_a_query_would(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The person and unit are the session's own persistent instances (a change is flushed,
    session.get returns them), loaded without beginning a transaction on the driver path."""
    from sqlalchemy import inspect

    from bot.services.years import who
    from criteria.loader import require_catalogue

    async with session_factory.begin() as session:
        unit = Unit(code="u1", name="UBND thử", kind="huyen", created_at=NOW)
        session.add(unit)
        await session.flush()
        session.add(Person(telegram_id=77, display_name="Cán bộ", role="officer",
                           unit_id=unit.id, department="TP", active=True, created_at=NOW,
                           updated_at=NOW))
    async with update_session(engine, session_factory) as session:
        found = await who(session, require_catalogue(), 77)
        person = found.person
        assert person is not None and person.unit is not None
        if direct.bound(session):
            assert not session.in_transaction()
        await direct.commit(session)
        state = inspect(person)
        assert state.persistent and not state.modified and person in session
        assert person.created_at == NOW and person.unit.code == "u1"
        assert await session.get(Person, person.id) is person
        assert await session.get(Unit, person.unit.id) is person.unit
        async with session.begin():
            person.display_name = "Cán bộ mới"
    async with session_factory() as other:
        assert (await other.get(Person, person.id)).display_name == "Cán bộ mới"  # type: ignore[union-attr]


async def test_a_direct_transaction_commits_once_or_rolls_back(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with update_session(engine, session_factory) as session:
        async with direct.transaction(session):
            await direct.execute(session, _UPSERT, _fsm("k1", "a"))
            session.add(Unit(code="u1", name="UBND thử", kind="huyen", created_at=NOW))
        with pytest.raises(RuntimeError):
            async with direct.transaction(session):
                await direct.execute(session, _UPSERT, _fsm("k2", "b"))
                session.add(Unit(code="u2", name="UBND thử 2", kind="huyen", created_at=NOW))
                await session.flush()
                raise RuntimeError("the handler failed")
        await direct.commit(session)
    assert await _states(session_factory) == [("k1", "a")]
    async with session_factory() as other:
        codes = (await other.execute(text("SELECT code FROM unit ORDER BY code"))).scalars()
        assert list(codes) == ["u1"]
