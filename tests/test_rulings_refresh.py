"""Approved rulings reach every bot process: two dispatchers, two indexes, one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot.app import Assembled
from bot.clock import FakeClock
from bot.data import BotData, load_data
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import RulingSuggestion, Ticket
from bot.services import rulings
from bot.settings import Settings, load_settings
from handlers.callbacks import RulingCb
from jobs import all_jobs
from knowledge.ask import build_set_index
from knowledge.search import SearchIndex
from tests.recording import Harness, Sent, build_harness

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_8 = datetime(2026, 11, 2, 8, 0, tzinfo=TZ)
ADMIN = 9001
ASKER = 501
QUESTION = "Nghị quyết HĐND huyện về phí chợ có tính là văn bản QPPL khi chấm không?"
ANSWER = "Có, nghị quyết HĐND huyện là văn bản QPPL cấp huyện, chấm ở tiêu chí 2.1."
OTHER_QUESTION = "Quy chế văn hóa công sở của huyện có tính là văn bản QPPL không?"
OTHER_ANSWER = "Không, quy chế văn hóa công sở là văn bản hành chính, không phải QPPL."


@dataclass
class Process:
    """One bot process: its own dispatcher, index, entry map and database engine."""

    h: Harness
    index: SearchIndex
    data: BotData
    factory: async_sessionmaker[AsyncSession]
    engine: AsyncEngine

    @property
    def bot(self) -> Harness:
        """This process's dispatcher, given back the journeys' routers.

        Routers are module-level, so building the other dispatcher took them over; a real
        process has one dispatcher and never needs this."""
        self.h.dp.include_routers(*handlers.routers())
        return self.h

    async def ask(self, text: str) -> str:
        sent = await self.bot.send(self.h.user(ASKER), text)
        return "\n".join(s.text for s in sent if s.method == "sendMessage")


@dataclass
class World:
    a: Process
    b: Process
    clock: FakeClock


@pytest.fixture(scope="module")
def shipped() -> BotData:
    return load_data(load_settings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, admin_ids=(ADMIN,), bot_token=None)


def _process(
    settings: Settings, shipped: BotData, engine: AsyncEngine, clock: FakeClock
) -> Process:
    data = BotData(catalogue=shipped.catalogue, entries=shipped.entries)
    index = build_set_index(data.catalogue, data.entries)
    factory = create_session_factory(engine)
    return Process(
        build_harness(settings, data, index, factory, clock), index, data, factory, engine
    )


@pytest.fixture
async def world(
    settings: Settings, shipped: BotData, db_url: str, engine: AsyncEngine
) -> AsyncIterator[World]:
    clock = FakeClock(MONDAY_8)
    second = create_engine(db_url)  # the other process has its own connections
    try:
        yield World(
            _process(settings, shipped, engine, clock),
            _process(settings, shipped, second, clock),
            clock,
        )
    finally:
        await second.dispose()


async def _suggest(w: World, question: str, answer: str) -> int:
    """An answered ticket and its pending ruling, as the Escalate journey leaves them."""
    now = w.clock.now()
    async with w.a.factory() as session, session.begin():
        ticket = Ticket(
            set_id="huyen-2021",
            question=question,
            criterion_code="2.1",
            asker_id=ASKER,
            department="SNV",
            status="answered",
            answer=answer,
            answered_by="Sở Nội vụ",
            due_from=now,
            created_at=now,
            answered_at=now,
        )
        session.add(ticket)
        await session.flush()
        source = rulings.source_text("Sở Nội vụ", now, TZ)
        row = await rulings.suggest(session, ticket, source=source, now=now)
        return row.id


async def _approve_in(p: Process, ruling_id: int) -> None:
    """A coordinator (here the admin) approves the ruling through /duyet in process ``p``."""
    cards: list[Sent] = await p.bot.send(p.h.user(ADMIN), "/duyet")
    card = next((c for c in cards if f"số {ruling_id}<" in c.text), None)
    assert card is not None, cards
    done = await p.bot.press(p.h.user(ADMIN), card.button("✅ Duyệt"))
    assert f"Đã duyệt đề xuất số {ruling_id}" in done[-1].text


async def _refresh(p: Process) -> bool:
    async with p.factory() as session:
        return await rulings.refresh_if_changed(p.index, p.data, session)


async def test_a_ruling_approved_in_one_process_answers_in_the_other(world: World) -> None:
    w = world
    first = await _suggest(w, QUESTION, ANSWER)
    assert ANSWER not in await w.b.ask(QUESTION)
    w.clock.advance(timedelta(hours=3))
    await _approve_in(w.a, first)
    async with w.a.factory() as session:
        row = (await session.execute(select(RulingSuggestion))).scalars().one()
    assert (row.status, row.reviewed_by) == ("approved", ADMIN)
    assert row.reviewed_at is not None
    assert row.reviewed_at.replace(tzinfo=None) == (
        w.clock.now().astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    )

    # Process A answers at once; B still runs on its old index, until its check.
    assert ANSWER in await w.a.ask(QUESTION)
    assert ANSWER not in await w.b.ask(QUESTION)
    index_b = w.b.h.dp["index"]
    assert await _refresh(w.b) is True
    assert w.b.h.dp["index"] is index_b  # refreshed in place: the dispatcher keeps its object
    reply = await w.b.ask(QUESTION)
    assert ANSWER in reply and "Trả lời của Sở Nội vụ ngày 02/11/2026" in reply
    assert w.b.index.search(QUESTION).results[0].entry_id == f"hs-{first}"

    # Nothing changed since: no rebuild, in B nor in A (which refreshed after its approval).
    assert await _refresh(w.b) is False
    assert await _refresh(w.a) is False

    # A rejected ruling changes nothing; the next approval, made in B, reaches A.
    rejected = await _suggest(w, "Câu hỏi bị từ chối về tiêu chí 2.1?", "Trả lời bị từ chối.")
    press = await w.b.bot.press(w.b.h.user(ADMIN), RulingCb(action="no", id=rejected).pack())
    assert f"Đã từ chối đề xuất số {rejected}" in press[-1].text
    assert await _refresh(w.a) is False
    second = await _suggest(w, OTHER_QUESTION, OTHER_ANSWER)
    await _approve_in(w.b, second)
    assert OTHER_ANSWER not in await w.a.ask(OTHER_QUESTION)
    assert await _refresh(w.a) is True
    assert OTHER_ANSWER in await w.a.ask(OTHER_QUESTION)
    assert ANSWER in await w.a.ask(QUESTION)  # the first ruling is still there


async def test_the_background_job_refreshes_the_other_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    assert rulings.refresh_job in all_jobs()
    monkeypatch.setattr(rulings, "REFRESH_INTERVAL", 0.05)
    stop = asyncio.Event()
    # Process B's job context, built the way the running bot builds it.
    app_b = Assembled(
        bot=w.b.h.bot,
        dp=w.b.h.dp,
        engine=w.b.engine,
        session_factory=w.b.factory,
        clock=w.clock,
        data=w.b.data,
    )
    ctx = app_b.job_context(stop)
    assert ctx.index is w.b.index and ctx.bot_data is w.b.data
    job = asyncio.create_task(rulings.refresh_job(ctx))
    try:
        ruling_id = await _suggest(w, QUESTION, ANSWER)
        await _approve_in(w.a, ruling_id)
        for _ in range(200):
            if f"hs-{ruling_id}" in w.b.data.by_id:
                break
            await asyncio.sleep(0.05)
        assert ANSWER in await w.b.ask(QUESTION)
    finally:
        stop.set()
        await asyncio.wait_for(job, timeout=5)
    assert job.done() and job.exception() is None
