"""Migrations: an empty database upgrades to head, repeatably, and matches the models."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import (
    MigrationFailed,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
    upgrade_in_subprocess,
)
from bot.db.models import Base, Unit
from bot.settings import load_settings

TABLES = {"unit", "person", "invite", "fsm_record", "alembic_version"}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_table_names)
    finally:
        await engine.dispose()


async def test_upgrade_empty_database_creates_tables(db_url: str) -> None:
    assert await _tables(db_url) == set()
    assert await current_revision(db_url) is None

    await upgrade(db_url)

    assert TABLES <= await _tables(db_url)
    assert head_revision() is not None
    assert await current_revision(db_url) == head_revision()


async def test_upgrade_is_idempotent_and_keeps_data(db_url: str) -> None:
    await upgrade(db_url)
    engine = create_engine(db_url)
    try:
        async with create_session_factory(engine).begin() as session:
            session.add(Unit(code="huyen-an-phu", name="Huyện An Phú", kind="huyen"))
        await upgrade(db_url)
        async with create_session_factory(engine)() as session:
            codes = (await session.execute(select(Unit.code))).scalars().all()
    finally:
        await engine.dispose()
    assert codes == ["huyen-an-phu"]
    assert await current_revision(db_url) == head_revision()


def _diff(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


async def test_downgrade_to_base_removes_tables(db_url: str) -> None:
    await upgrade(db_url)
    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "base")
    assert await _tables(db_url) == {"alembic_version"}
    assert await current_revision(db_url) is None


async def test_sqlite_file_is_in_wal_mode_with_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)  # also creates the missing directories
    assert path.exists()

    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL
            # No sleeping inside SQLite: lock waits are asyncio sleeps (tests/test_db_sqlite.py).
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_database_url_under_test_is_wal_when_sqlite(db_url: str) -> None:
    if make_url(db_url).get_backend_name() != "sqlite":
        pytest.skip("WAL is a SQLite property")
    await upgrade(db_url)
    database = make_url(db_url).database
    assert database is not None
    with sqlite3.connect(database) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_0009_marks_old_wordless_questions_as_noise(db_url: str) -> None:
    await upgrade(db_url, "0008")
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            for n, words in enumerate(["👍", "12345", "\u200b", "tc 3.4.1", "Hỏi gì đó?"]):
                await connection.execute(
                    text(
                        "INSERT INTO question_log (telegram_id, text, decision, for_province, "
                        "created_at, updated_at) VALUES (:t, :x, 'none', false, :d, :d)"
                    ),
                    # A datetime, not a string: asyncpg binds timestamptz from datetimes only.
                    {"t": n, "x": words, "d": datetime(2026, 12, 1, tzinfo=UTC)},
                )
        await upgrade(db_url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT text, handled FROM question_log ORDER BY telegram_id")
            )
            assert [tuple(r) for r in rows] == [
                ("👍", "noise"),
                ("12345", "noise"),
                ("\u200b", "noise"),
                ("tc 3.4.1", None),
                ("Hỏi gì đó?", None),
            ]
    finally:
        await engine.dispose()


async def test_0010_every_coded_row_belongs_to_the_district_set(db_url: str) -> None:
    """A database filled by the previous version: after the upgrade every row that holds a
    criterion code names huyen-2021 (directly, or through its assessment) and assessments
    have that set's year; nothing else changed."""
    await upgrade(db_url, "0009")
    d = datetime(2026, 11, 20, tzinfo=UTC)
    rows: list[tuple[str, dict[str, object]]] = [
        ("unit", {"id": 1, "code": "huyen-a", "name": "Huyện A", "kind": "huyen"}),
        ("unit", {"id": 2, "code": "huyen-b", "name": "Huyện B", "kind": "huyen"}),
        (
            "person",
            {
                "id": 1,
                "telegram_id": 11,
                "display_name": "An",
                "role": "officer",
                "unit_id": 1,
                "department": "TP",
                "active": True,
                "updated_at": d,
            },
        ),
        ("assessment", {"id": 1, "unit_id": 1, "set_id": "huyen-2021", "status": "open"}),
        ("assessment", {"id": 2, "unit_id": 2, "set_id": "huyen-2021", "status": "locked"}),
        (
            "answer",
            {
                "id": 1,
                "assessment_id": 1,
                "code": "3.4.1",
                "department": "VP",
                "raw": "{}",
                "points": "1.5",
                "max": "2",
                "explanation": "x",
                "not_applicable": False,
                "excluded": False,
                "evidence_status": "ok",
                "author": 11,
                "updated_at": d,
            },
        ),
        (
            "answer",
            {
                "id": 2,
                "assessment_id": 2,
                "code": "1.1",
                "department": "NV",
                "raw": "{}",
                "points": "1",
                "max": "1",
                "explanation": "y",
                "not_applicable": False,
                "excluded": False,
                "evidence_status": "pending",
                "author": 11,
                "updated_at": d,
            },
        ),
        (
            "evidence",
            {"id": 1, "answer_id": 1, "kind": "doc", "text": "QĐ 12/QĐ-UBND", "author": 11},
        ),
        (
            "audit_log",
            {"id": 1, "assessment_id": 1, "code": "3.4.1", "actor": 11, "action": "answer"},
        ),
        (
            "assessment_extra",
            {
                "id": 1,
                "assessment_id": 1,
                "kind": "survey",
                "code": "8.1",
                "points": "9",
                "updated_by": 11,
                "updated_at": d,
            },
        ),
        (
            "question_log",
            {
                "id": 1,
                "telegram_id": 11,
                "unit_id": 1,
                "text": "tc 3.4.1",
                "decision": "answer",
                "criterion_code": "3.4.1",
                "for_province": False,
                "updated_at": d,
            },
        ),
        (
            "question_log",
            {
                "id": 2,
                "telegram_id": 12,
                "text": "Hỏi gì?",
                "decision": "none",
                "for_province": True,
                "updated_at": d,
            },
        ),
        (
            "ticket",
            {
                "id": 1,
                "question": "Hỏi Sở?",
                "criterion_code": "2.1",
                "unit_id": 1,
                "asker_id": 11,
                "department": "STP",
                "status": "answered",
                "awaiting_info": False,
                "reminder_level": 0,
                "route_count": 1,
                "due_from": d,
            },
        ),
        ("ticket_event", {"id": 1, "ticket_id": 1, "kind": "created", "actor_id": 11}),
        (
            "ruling_suggestion",
            {
                "id": 1,
                "ticket_id": 1,
                "question": "Hỏi Sở?",
                "answer": "Có",
                "criterion_code": "2.1",
                "source": "Sở Tư pháp",
                "status": "pending",
            },
        ),
        (
            "unit_deadline",
            {
                "id": 1,
                "unit_id": 1,
                "set_id": "huyen-2021",
                "step_id": "tu-cham",
                "end_date": date(2026, 12, 10),
                "added": False,
                "removed": False,
                "updated_at": d,
            },
        ),
        (
            "reminder_sent",
            {"id": 1, "person_id": 1, "deadline_key": "huyen-2021:tu-cham:x", "step": "3"},
        ),
    ]
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            for table, values in rows:
                if table != "assessment_extra":  # the one table without created_at
                    values = {"created_at": d, **values}
                columns = ", ".join(values)
                params = ", ".join(f":{k}" for k in values)
                await connection.execute(
                    text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values
                )
        await upgrade(db_url)

        async with engine.connect() as connection:

            async def all_of(sql: str) -> list[tuple[object, ...]]:
                return [tuple(r) for r in await connection.execute(text(sql))]

            assert await all_of("SELECT id, set_id, year, status FROM assessment ORDER BY id") == [
                (1, "huyen-2021", 2021, "open"),
                (2, "huyen-2021", 2021, "locked"),
            ]
            for table in ("question_log", "ticket", "ruling_suggestion"):
                assert await all_of(f"SELECT set_id FROM {table}") == [("huyen-2021",)] * sum(
                    1 for t, _ in rows if t == table
                ), table
            # Answers, evidence, audit and extras belong to the set through their assessment.
            assert await all_of(
                "SELECT answer.id, answer.code, assessment.set_id FROM answer "
                "JOIN assessment ON assessment.id = answer.assessment_id ORDER BY answer.id"
            ) == [(1, "3.4.1", "huyen-2021"), (2, "1.1", "huyen-2021")]
            assert await all_of(
                "SELECT evidence.text, assessment.set_id FROM evidence "
                "JOIN answer ON answer.id = evidence.answer_id "
                "JOIN assessment ON assessment.id = answer.assessment_id"
            ) == [("QĐ 12/QĐ-UBND", "huyen-2021")]
            for table in ("audit_log", "assessment_extra"):
                assert await all_of(
                    f"SELECT {table}.code, assessment.set_id FROM {table} "
                    f"JOIN assessment ON assessment.id = {table}.assessment_id"
                ) == [(dict(rows)[table]["code"], "huyen-2021")], table
            assert await all_of("SELECT set_id, step_id FROM unit_deadline") == [
                ("huyen-2021", "tu-cham")
            ]
            assert await all_of("SELECT deadline_key FROM reminder_sent") == [
                ("huyen-2021:tu-cham:x",)
            ]
            assert await all_of("SELECT kind FROM unit ORDER BY id") == [("huyen",), ("huyen",)]
            assert await all_of("SELECT criterion_code FROM question_log ORDER BY id") == [
                ("3.4.1",),
                (None,),
            ]
            assert await all_of("SELECT count(*) FROM assessment_year") == [(0,)]
            assert await all_of("SELECT count(*) FROM ticket_event") == [(1,)]

        # One assessment per unit and year now: a second one for 2021 is refused.
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO assessment (unit_id, set_id, year, status, created_at) "
                        "VALUES (1, 'huyen-2021b', 2021, 'open', :d)"
                    ),
                    {"d": d},
                )
    finally:
        await engine.dispose()


# The bot process migrates at start in a child: alembic (with mako and pygments, ~12 MB for the
# process's life) never enters it, and the database is at head once it has started. On SQLite
# it does not load SQLAlchemy's PostgreSQL dialect either (bot/db/dialects.py).
_START = """
import asyncio, sys
from bot.app import assemble
from bot.settings import load_settings

async def main():
    settings = load_settings(data_dir=sys.argv[1], bot_token="123456:" + "A" * 35)
    app = await assemble(settings, migrate=True)
    await app.close()
    unused = ("alembic", "mako", "pygments", "sqlalchemy.dialects.postgresql")
    print(sorted(m for m in sys.modules if m.startswith(unused)))

asyncio.run(main())
"""


async def test_start_migrates_in_a_child_process_without_loading_alembic(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "DATABASE_URL": "", "REDIS_URL": ""}
    started = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _START, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]"
    url = load_settings(data_dir=tmp_path, database_url=None).db_url  # the child's SQLite file
    assert await current_revision(url) == head_revision()


async def test_a_failed_child_migration_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(MigrationFailed):
        await upgrade_in_subprocess(f"sqlite+aiosqlite:///{blocker}/sub/bot.db", "CRITICAL")
