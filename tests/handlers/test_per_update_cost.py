"""What one update costs the database: one session, few statements, one per FSM write."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.data import BotData
from bot.db.held import HeldConnections
from bot.settings import Settings
from knowledge.search import SearchIndex
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness, build_harness


@dataclass
class Cost:
    sessions: int = 0
    statements: list[str] = field(default_factory=list)
    commits: int = 0


class CountingFactory(async_sessionmaker[AsyncSession]):
    cost: Cost | None = None

    def __call__(self, **local_kw: Any) -> AsyncSession:
        if self.cost is not None:
            self.cost.sessions += 1
        return super().__call__(**local_kw)


@contextmanager
def measured(engine: AsyncEngine, factory: CountingFactory) -> Iterator[Cost]:
    """What the updates run inside cost. On SQLite what SQLite itself executes (its trace: the
    statements bot/db/direct.py runs on the driver are not seen by SQLAlchemy's events)."""
    cost = Cost()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        cost.statements.append(statement.split(None, 1)[0].upper())

    def on_commit(conn: Any) -> None:
        cost.commits += 1

    def trace(statement: str) -> None:
        verb = statement.split(None, 1)[0].upper()
        if verb == "COMMIT":
            cost.commits += 1
        elif verb not in ("BEGIN", "ROLLBACK"):
            cost.statements.append(verb)

    def on_checkout(dbapi_connection: Any, *args: Any) -> None:
        dbapi_connection.driver_connection._conn.set_trace_callback(trace)

    def on_checkin(dbapi_connection: Any, *args: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.driver_connection._conn.set_trace_callback(None)

    listeners: list[tuple[Any, str, Any]] = (
        [
            (engine.sync_engine.pool, "checkout", on_checkout),
            (engine.sync_engine.pool, "checkin", on_checkin),
        ]
        if engine.dialect.name == "sqlite"
        else [
            (engine.sync_engine, "before_cursor_execute", on_execute),
            (engine.sync_engine, "commit", on_commit),
        ]
    )
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    # On SQLite the session middleware holds a few connections between updates
    # (bot/db/held.py): one taken from there is traced too, though the pool sees no checkout.
    take, give_back = HeldConnections.take, HeldConnections.give_back

    async def traced_take(self: HeldConnections) -> AsyncConnection:
        connection = await take(self)
        if engine.dialect.name == "sqlite":
            on_checkout(connection.sync_connection.connection.dbapi_connection)  # type: ignore[union-attr]
        return connection

    async def untraced_give_back(self: HeldConnections, connection: AsyncConnection) -> None:
        if engine.dialect.name == "sqlite" and not connection.closed:
            on_checkin(connection.sync_connection.connection.dbapi_connection)  # type: ignore[union-attr]
        await give_back(self, connection)

    HeldConnections.take = traced_take  # type: ignore[method-assign]
    HeldConnections.give_back = untraced_give_back  # type: ignore[method-assign]
    factory.cost = cost
    try:
        yield cost
    finally:
        factory.cost = None
        HeldConnections.take = take  # type: ignore[method-assign]
        HeldConnections.give_back = give_back  # type: ignore[method-assign]
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def _harness(
    engine: AsyncEngine, settings: Settings, shipped: tuple[BotData, SearchIndex]
) -> tuple[Harness, CountingFactory]:
    factory = CountingFactory(engine, expire_on_commit=False)
    data, index = shipped
    return build_harness(settings, data, index, factory), factory


async def test_question_update_uses_one_session(
    engine: AsyncEngine, settings: Settings, shipped: tuple[BotData, SearchIndex]
) -> None:
    harness, factory = _harness(engine, settings, shipped)
    user = harness.user(5551)
    await harness.send(user, "xin chào")  # warm up: the person row, caches
    with measured(engine, factory) as cost:
        sent = await harness.send(user, "thủ tục hành chính là gì")
    assert sent and sent[0].method == "sendMessage"
    # The person with their unit and the FSM record (one statement), the question log.
    assert cost.sessions == 1
    assert cost.statements == ["SELECT", "INSERT"]
    assert cost.commits <= 2  # the reads, the handler's write


async def test_fsm_step_writes_state_and_data_in_the_update_session(
    engine: AsyncEngine, settings: Settings, shipped: tuple[BotData, SearchIndex]
) -> None:
    harness, factory = _harness(engine, settings, shipped)
    admin = harness.user(ADMIN_ID, "Quản trị")
    with measured(engine, factory) as cost:
        await harness.send(admin, "/moi")  # sets the state: one upsert, no DELETE after it
    assert cost.sessions == 1
    assert cost.statements == ["SELECT", "INSERT"]
    with measured(engine, factory) as cost:
        await harness.send(admin, "/huy")  # clears state and data: the record goes
    assert cost.sessions == 1
    assert cost.statements == ["SELECT", "DELETE"]


async def test_filters_run_on_the_event_loop(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """State and F filters are checked without a worker-thread hop (aiogram's default for a
    synchronous filter), here for a text update in the middle of a conversation."""
    hops: list[Any] = []
    real = asyncio.to_thread

    async def counting(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        hops.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    admin = harness.user(ADMIN_ID, "Quản trị")
    await harness.send(admin, "/moi")
    sent = await harness.send(admin, "cán bộ")  # tried against every state filter on the way
    assert sent and hops == []
    sent = await harness.send(harness.user(5552), "thủ tục hành chính là gì")
    assert sent and hops == []


async def test_scoring_step_reads_the_answers_once(
    engine: AsyncEngine, settings: Settings, shipped: tuple[BotData, SearchIndex]
) -> None:
    """▶️ Chấm tiếp finds the next criterion, opens it and shows it: one read of the unit's
    assessment with its answers (was three reads of the answers, each twice: the step, then
    its progress, and the assessment on its own), no read of what was just written."""
    from tests.handlers.test_scoring import _msg, _person

    harness, factory = _harness(engine, settings, shipped)
    await _person(factory, 5553)
    me = harness.user(5553)
    overview = _msg(await harness.send(me, "/chamdiem"))
    with measured(engine, factory) as cost:
        step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    assert "Tiêu chí 2.1" in step.text and "0/6 tiêu chí" in step.text
    # The person with the FSM record, the unit's assessment with its answers; the FSM step.
    assert cost.sessions == 1
    assert cost.statements == ["SELECT", "SELECT", "INSERT"]

    confirm = _msg(await harness.press(me, step.button("✅ Có")))
    with measured(engine, factory) as cost:
        saved = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    # The progress counts the new answer, without reading it back: the answer, its audit row
    # and the move to the evidence step are one transaction.
    assert "1/6 tiêu chí · 1/6 điểm" in saved.text
    assert cost.statements == ["SELECT", "SELECT", "INSERT", "INSERT", "INSERT"]
    assert cost.commits <= 2  # the update's reads, the step's writes

    with measured(engine, factory) as cost:
        preview = _msg(await harness.send(me, "Quyết định số 12/QĐ-UBND ngày 05/11/2021"))
    assert cost.statements == ["SELECT", "SELECT", "INSERT"]  # no evidence list read
    with measured(engine, factory) as cost:
        kept = _msg(await harness.press(me, preview.button("✅ Đúng, lưu")))
    assert "Đã nhận văn bản" in kept.text and "(tổng 1 tài liệu)" in kept.text
    # The list (read before the item: a reference kept already is not kept twice, and shown
    # after it), the item, the answer's evidence state (no SELECT before it), the audit, the
    # FSM step: one transaction.
    assert cost.statements == "SELECT SELECT SELECT INSERT UPDATE INSERT INSERT".split()
    assert cost.commits <= 2


async def _claims(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        found = await connection.execute(text("SELECT update_id FROM processed_update"))
        return sorted(int(row[0]) for row in found)


async def test_a_question_commits_its_claim_with_its_log(
    engine: AsyncEngine, settings: Settings, shipped: tuple[BotData, SearchIndex]
) -> None:
    """With update dedup on (every bot process), a question is one commit on SQLite: the
    claim waits for the question log's transaction. PostgreSQL commits the claim first."""
    factory = CountingFactory(engine, expire_on_commit=False)
    data, index = shipped
    harness = build_harness(settings, data, index, factory, dedup_updates=True)
    user = harness.user(5552)
    await harness.send(user, "xin chào")
    with measured(engine, factory) as cost:
        sent = await harness.send(user, "thủ tục hành chính là gì")
    assert sent and sent[0].method == "sendMessage"
    assert cost.statements == ["SELECT", "INSERT", "INSERT"]  # who, the claim, the log
    assert cost.commits == (1 if engine.dialect.name == "sqlite" else 2)
    assert await _claims(engine) == [1, 2]
    harness._update_ids = itertools.count(2)
    assert (await harness.send(user, "xin chào")) == []  # update 2 redelivered: dropped


async def test_a_claim_is_committed_before_a_reply_and_kept_when_the_update_fails(
    engine: AsyncEngine,
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory = CountingFactory(engine, expire_on_commit=False)
    data, index = shipped
    harness = build_harness(settings, data, index, factory, dedup_updates=True)
    user = harness.user(5553)
    # A question without words is answered without any write: the claim is committed before
    # the reply goes out (no write lock held across a request to Telegram) ...
    locked: list[bool] = []
    record = harness.session.make_request

    async def probing(bot: Any, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if engine.dialect.name == "sqlite":
            async with engine.connect() as other:
                raw = other.sync_connection.connection.driver_connection._conn  # type: ignore[union-attr]
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    raw.execute("ROLLBACK")
                    locked.append(False)
                except sqlite3.OperationalError:
                    locked.append(True)
        return await record(bot, method, timeout)

    monkeypatch.setattr(harness.session, "make_request", probing)
    sent = await harness.send(user, "???")
    assert sent and sent[0].method == "sendMessage"
    assert not any(locked)
    assert await _claims(engine) == [1]
    # ... and an update whose handling fails stays claimed (its transaction rolled back).
    from bot.services import questions

    async def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the log is down")

    monkeypatch.setattr(questions, "record", broken)
    await harness.send(user, "thủ tục hành chính là gì")
    assert await _claims(engine) == [1, 2]
