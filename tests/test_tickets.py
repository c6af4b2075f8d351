"""Ticket and ruling services against a real database: routing helpers, access, similar
questions, reminder claims from two sessions, rulings as entries and their YAML export."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from bot.data import check_paths
from bot.db.models import Person
from bot.services import rulings, tickets
from bot.services.people import Role, add_unit
from bot.services.tickets import TicketForbidden, TicketWrongState, Viewer
from bot.settings import load_settings
from knowledge.loader import load_entries
from knowledge.schema import Entry

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=TZ)  # a Monday


async def _ticket(
    session: AsyncSession, question: str = "Văn bản QPPL ban hành trễ hạn bị trừ mấy điểm?"
) -> int:
    unit = await add_unit(session, "huyen-a", "UBND huyện A")
    ticket = await tickets.create(
        session,
        question=question,
        set_id="huyen-2021",
        criterion_code="2.1",
        unit_id=unit.id,
        asker_id=11,
        department="STP",
        now=NOW,
    )
    return ticket.id


async def test_access_rules(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        ticket_id = await _ticket(session)
        unit_id = (await tickets.get(session, ticket_id)).unit_id
        assert unit_id is not None
        stp = Viewer(21, Role.CONTACT, department="STP")
        stc = Viewer(22, Role.CONTACT, department="STC")
        assert (await tickets.for_contact(session, ticket_id, stp)).id == ticket_id
        with pytest.raises(TicketForbidden):
            await tickets.for_contact(session, ticket_id, stc)
        with pytest.raises(TicketForbidden):  # an officer is no contact
            await tickets.for_contact(session, ticket_id, Viewer(11, Role.OFFICER, unit_id))
        assert await tickets.for_officer(session, ticket_id, Viewer(12, Role.OFFICER, unit_id))
        with pytest.raises(TicketForbidden):
            await tickets.for_officer(session, ticket_id, Viewer(13, Role.OFFICER, unit_id + 1))
        ticket = await tickets.get(session, ticket_id)
        await tickets.follow(session, ticket, telegram_id=13, unit_id=None, now=NOW)
        assert await tickets.for_officer(session, ticket_id, Viewer(13, Role.OFFICER, 99))
        assert await tickets.audience(session, ticket) == [11, 13]


async def test_recipients_fall_back_to_admins(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        session.add(Person(telegram_id=5, display_name="A", role="admin", active=True))
        session.add(Person(telegram_id=21, display_name="B", role="contact", department="STP"))
        session.add(
            Person(
                telegram_id=22, display_name="C", role="contact", department="STP", active=False
            )
        )
        await session.flush()
        assert await tickets.recipients(session, "STP", (9001,)) == ([21], False)
        assert await tickets.recipients(session, "STC", (9001,)) == ([9001, 5], True)


async def test_similar_question_found(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        ticket_id = await _ticket(session)
        found = await tickets.find_similar(
            session, "van ban QPPL ban hanh tre han bi tru may diem"
        )
        assert found is not None and found.id == ticket_id
        assert await tickets.find_similar(session, "Tỷ lệ hồ sơ giải quyết đúng hạn") is None


async def test_state_changes(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        ticket = await tickets.get(session, await _ticket(session))
        with pytest.raises(TicketWrongState):
            await tickets.add_info(session, ticket, text="x", actor_id=11, now=NOW)
        await tickets.answer(
            session, ticket, text="Trừ 0,25", actor_id=21, actor_name="B", now=NOW
        )
        with pytest.raises(TicketWrongState):
            await tickets.answer(
                session, ticket, text="again", actor_id=21, actor_name="B", now=NOW
            )
        with pytest.raises(TicketWrongState):
            await tickets.reassign(
                session, ticket, department="STC", known={"STC"}, reason="r", actor_id=21, now=NOW
            )
        await tickets.resolve(session, ticket, actor_id=11, now=NOW)
        await tickets.reopen(session, ticket, text="Còn nữa", actor_id=11, now=NOW)
        kinds = [e.kind for e in await tickets.history(session, ticket.id)]
        assert kinds == ["created", "answer", "resolved", "reopened"]
        assert ticket.status == "open" and ticket.route_count == 2


async def test_reminder_claimed_once_across_sessions(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await _ticket(session)
    later = NOW + timedelta(days=2)  # Wednesday 08:00: 16 working hours
    async with session_factory() as first, session_factory() as second:
        a = await tickets.claim_reminders(first, now=later, hours=16, tz=TZ)
        await first.commit()
        b = await tickets.claim_reminders(second, now=later, hours=16, tz=TZ)
        await second.commit()
    assert [d.level for d in a] == [1] and b == []


async def test_rulings_export_round_trip(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with session_factory() as session, session.begin():
        ticket = await tickets.get(session, await _ticket(session))
        await tickets.answer(
            session, ticket, text="Trừ 0,25 điểm/văn bản.", actor_id=21, actor_name="B", now=NOW
        )
        source = rulings.source_text("Sở Tư pháp", NOW, TZ)
        assert source == "Trả lời của Sở Tư pháp ngày 02/11/2026"
        first = await rulings.suggest(session, ticket, source=source, now=NOW)
        again = await rulings.suggest(session, ticket, source=source, now=NOW)
        assert first.id == again.id
        assert await rulings.approved_entries(session) == []
        await rulings.review(
            session, first.id, approve=True, reviewer=31, now=NOW, answer="Trừ 0,25 điểm."
        )
        entries = await rulings.approved_entries(session)
    assert entries == [
        Entry(
            id=f"hs-{first.id}",
            question=ticket.question,
            answer="Trừ 0,25 điểm.",
            criteria=("2.1",),
            source=source,
            tags=(rulings.TAG,),
            sets=("huyen-2021",),
        )
    ]
    path = tmp_path / "rulings.yaml"
    path.write_text(rulings.export_yaml(entries), encoding="utf-8")
    loaded, issues = load_entries([path])
    assert issues == [] and list(loaded) == entries
    assert yaml.safe_load(path.read_text(encoding="utf-8"))[0]["source"] == source


async def test_cli_kb_export(
    db_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with session_factory() as session, session.begin():
        ticket = await tickets.get(session, await _ticket(session))
        await tickets.answer(session, ticket, text="Có.", actor_id=21, actor_name="B", now=NOW)
        row = await rulings.suggest(session, ticket, source="Trả lời của Sở Tư pháp", now=NOW)
        await rulings.review(session, row.id, approve=True, reviewer=31, now=NOW)
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "kb.yaml"
    assert await asyncio.to_thread(main, ["kb", "export", "-o", str(out)]) == 0
    assert "1 câu trả lời" in capsys.readouterr().out
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert exported[0]["answer"] == "Có."
    # Given on the set the bot serves: valid beside the other shipped sets' codes.
    assert exported[0]["sets"] == ["huyen-2021"]
    assert check_paths([out], load_settings()) == ([], 1)


async def test_followup_answer_is_its_own_suggestion(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # The answer to a follow-up must not replace the pending answer to the original question.
    async with session_factory() as session, session.begin():
        ticket = await tickets.get(session, await _ticket(session))
        await tickets.answer(
            session, ticket, text="Trừ 0,25.", actor_id=21, actor_name="B", now=NOW
        )
        first = await rulings.suggest(session, ticket, source="S", now=NOW)
        await tickets.reopen(session, ticket, text="Còn văn bản cá biệt?", actor_id=11, now=NOW)
        await tickets.answer(
            session, ticket, text="Không tính.", actor_id=21, actor_name="B", now=NOW
        )
        second = await rulings.suggest(
            session, ticket, source="S", now=NOW, question="Còn văn bản cá biệt?"
        )
        rows = await rulings.pending(session)
    assert first.id != second.id
    assert [(r.question, r.answer) for r in rows] == [
        (ticket.question, "Trừ 0,25."),
        ("Còn văn bản cá biệt?", "Không tính."),
    ]
