"""The outbox against the fake Bot API: dedup, exactly-once with two senders, 429, blocked
users, stale claims, leases and network errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock, SystemClock
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import OutboxMessage, Person
from bot.fakeapi import FakeBotAPI
from bot.services.outbox import LEASE, OutboxSender, claim, enqueue
from handlers.notices import blocked_text
from tests.deadline_fixtures import COORDINATOR, OFFICER_TP, fake_api, make_bot, seed_unit

NOW = datetime(2021, 11, 12, 1, 30, tzinfo=UTC)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async for server in fake_api():
        yield server


def sender(
    api: FakeBotAPI,
    factory: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    rate: float = 28,
    batch: int | None = None,
) -> OutboxSender:
    return OutboxSender(
        make_bot(api.base_url), factory, clock, rate=rate, blocked_text=blocked_text, batch=batch
    )


async def _enqueue_many(factory: async_sessionmaker[AsyncSession], chats: range) -> None:
    async with factory() as session, session.begin():
        for chat in chats:
            await enqueue(session, chat_id=chat, text=f"Tin số <b>{chat}</b>",
                          dedup_key=f"t:{chat}", now=NOW)


async def _statuses(factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with factory() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows.all()}


async def _drain(s: OutboxSender) -> None:
    while await s.run_once():
        pass


async def test_enqueue_dedup_key_is_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        first = await enqueue(session, chat_id=5, text="a", dedup_key="k", now=NOW)
        again = await enqueue(session, chat_id=5, text="b", dedup_key="k", now=NOW)
        plain = await enqueue(session, chat_id=5, text="c", now=NOW,
                              reply_markup={"inline_keyboard": []})
    assert first is not None and first.status == "pending" and first.next_attempt_at == NOW
    assert again is None
    assert plain is not None and plain.reply_markup == {"inline_keyboard": []}
    assert await _statuses(session_factory) == {"pending": 2}


async def test_sends_with_markup_and_marks_sent(
    api: FakeBotAPI, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    markup = {"inline_keyboard": [[{"text": "Chấm", "callback_data": "dl:score:"}]]}
    async with session_factory() as session, session.begin():
        await enqueue(session, chat_id=7, text="Xin <b>chào</b>", reply_markup=markup, now=NOW)
        await enqueue(session, chat_id=8, text="Sau", now=NOW,
                      not_before=NOW + timedelta(hours=1))
    clock = FakeClock(NOW)
    s = sender(api, session_factory, clock)
    assert await s.run_once() == 1
    last = api.user(7).last
    assert last is not None and last.text == "Xin chào"
    assert last.buttons == [[("Chấm", "dl:score:")]]
    assert api.user(8).messages == []
    clock.advance(timedelta(hours=1))
    assert await s.run_once() == 1
    assert [m.text for m in api.user(8).messages] == ["Sau"]
    assert await _statuses(session_factory) == {"sent": 2}
    async with session_factory() as session:
        sent_at = (await session.execute(select(OutboxMessage.sent_at))).scalars().all()
    assert sorted(t for t in sent_at if t is not None) == [NOW, NOW + timedelta(hours=1)]
    assert None not in sent_at


async def test_a_text_longer_than_a_message_is_delivered_in_parts_in_order(
    api: FakeBotAPI, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # A Sở's 3,000-character answer relayed with the officer's 3,000-character question: one
    # row of 8,000 characters was refused ("message is too long") and the officer never got it.
    question = "Hỏi <&" * 500
    answer = "Trả lời & giải thích " * 150
    text = f"Câu hỏi: <b>{escape(question)}</b>\n\n<i>{escape(answer)}</i>"
    markup = {"inline_keyboard": [[{"text": "👍", "callback_data": "x"}]]}
    async with session_factory() as session, session.begin():
        first = await enqueue(
            session, chat_id=9, text=text, reply_markup=markup, dedup_key="ans:1", now=NOW
        )
        again = await enqueue(session, chat_id=9, text=text, dedup_key="ans:1", now=NOW)
    assert first is not None and again is None
    s = sender(api, session_factory, FakeClock(NOW), rate=1000)
    await _drain(s)
    got = api.user(9).messages
    assert len(got) == 3  # (the fake API parses each as Telegram does: all valid)
    said = "".join(m.text for m in got).replace("\n", "")
    assert said == f"Câu hỏi: {question}{answer}"
    assert got[0].text.startswith("Câu hỏi: Hỏi <&")
    assert got[-1].text.rstrip().endswith("giải thích")
    assert [m.buttons for m in got] == [[], [], [[("👍", "x")]]]
    assert await _statuses(session_factory) == {"sent": 3}


async def test_two_senders_on_one_database_send_each_message_once(
    api: FakeBotAPI, db_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _enqueue_many(session_factory, range(1000, 1060))
    other_engine = create_engine(db_url)
    try:
        other = create_session_factory(other_engine)
        clock = FakeClock(NOW)
        a = sender(api, session_factory, clock, rate=30, batch=4)
        b = sender(api, other, clock, rate=30, batch=4)
        # Rounds in which both senders claim and send at the same time: each round both find
        # rows (batch 4 of 60), so both take part however the event loop orders them.
        while any(await asyncio.gather(a.run_once(), b.run_once())):
            pass
    finally:
        await other_engine.dispose()
    delivered = [m.chat_id for m in api.sent_log]
    assert sorted(delivered) == list(range(1000, 1060))
    assert a.stats.sent > 0 and b.stats.sent > 0
    assert await _statuses(session_factory) == {"sent": 60}


async def test_429_waits_retry_after_and_loses_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async for api in fake_api(global_limit_per_sec=5):
        await _enqueue_many(session_factory, range(1, 13))
        s = sender(api, session_factory, FakeClock(NOW), rate=30)  # deliberately too fast
        await _drain(s)
        assert api.rejected_429 > 0 and s.stats.retry_after == api.rejected_429
        assert sorted(m.chat_id for m in api.sent_log) == list(range(1, 13))
    assert await _statuses(session_factory) == {"sent": 12}


async def test_per_chat_one_message_per_second(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async for api in fake_api(per_chat_limit_per_sec=1):
        async with session_factory() as session, session.begin():
            for i in range(3):
                await enqueue(session, chat_id=77, text=f"m{i}", now=NOW)
        s = sender(api, session_factory, FakeClock(NOW))
        started = asyncio.get_running_loop().time()
        await _drain(s)
        elapsed = asyncio.get_running_loop().time() - started
        assert api.rejected_429 == 0
        assert [m.text for m in api.user(77).messages] == ["m0", "m1", "m2"]
        assert elapsed >= 2.0


async def test_blocked_user_is_deactivated_and_coordinator_told(
    api: FakeBotAPI, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_unit(session_factory)
    api.block(OFFICER_TP)
    async with session_factory() as session, session.begin():
        await enqueue(session, chat_id=OFFICER_TP, text="Nhắc", now=NOW)
        await enqueue(session, chat_id=OFFICER_TP, text="Nhắc 2", now=NOW)
    s = sender(api, session_factory, FakeClock(NOW))
    await _drain(s)
    assert api.user(OFFICER_TP).messages == []
    notice = api.user(COORDINATOR).messages
    assert len(notice) == 1 and "Bình" in notice[0].text and "đã chặn bot" in notice[0].text
    async with session_factory() as session:
        person = (
            await session.execute(select(Person).where(Person.telegram_id == OFFICER_TP))
        ).scalar_one()
        assert person.active is False
    assert await _statuses(session_factory) == {"blocked": 2, "sent": 1}


async def test_stale_claim_returns_to_pending_and_is_sent_once(
    api: FakeBotAPI, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _enqueue_many(session_factory, range(1, 3))
    async with session_factory() as session, session.begin():
        # A process claimed row 1 and was killed; row 2 is claimed by a live process.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.chat_id == 1)
            .values(status="sending", claimed_by="dead", claimed_at=NOW - timedelta(minutes=6))
        )
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.chat_id == 2)
            .values(status="sending", claimed_by="live", claimed_at=NOW - timedelta(minutes=1))
        )
    s = sender(api, session_factory, FakeClock(NOW))
    await _drain(s)
    assert [m.chat_id for m in api.sent_log] == [1]
    assert await _statuses(session_factory) == {"sent": 1, "sending": 1}


async def test_network_error_retries_with_backoff(
    api: FakeBotAPI, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _enqueue_many(session_factory, range(1, 2))
    clock = FakeClock(NOW)
    down = OutboxSender(
        make_bot("http://127.0.0.1:9"), session_factory, clock, rate=28,
        blocked_text=blocked_text,
    )
    assert await down.run_once() == 1
    assert down.stats.network_errors == 1
    async with session_factory() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=2)
    up = sender(api, session_factory, clock)
    assert await up.run_once() == 0  # not yet due
    clock.advance(timedelta(seconds=2))
    assert await up.run_once() == 1
    assert [m.chat_id for m in api.sent_log] == [1]
    assert await _statuses(session_factory) == {"sent": 1}


# --- leases: a dead sender's claim is taken over in seconds, a live one's never --------------


async def _claim_as(factory: async_sessionmaker[AsyncSession], token: str, now: datetime) -> int:
    async with factory() as session, session.begin():
        return len(await claim(session, limit=100, now=now, token=token))


async def test_dead_claimer_lease_taken_over_in_seconds(
    api: FakeBotAPI, db_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _enqueue_many(session_factory, range(1, 6))
    # Another process claims all five and is killed before sending anything.
    assert await _claim_as(session_factory, "killed", NOW) == 5
    other_engine = create_engine(db_url)
    try:
        clock = FakeClock(NOW + LEASE - timedelta(seconds=1))
        s = sender(api, create_session_factory(other_engine), clock)
        assert await s.run_once() == 0  # the lease still holds: nothing is taken
        assert api.sent_log == []
        clock.set(NOW + LEASE + timedelta(seconds=1))  # seconds later, not minutes
        await _drain(s)
    finally:
        await other_engine.dispose()
    assert sorted(m.chat_id for m in api.sent_log) == [1, 2, 3, 4, 5]
    assert await _statuses(session_factory) == {"sent": 5}


async def test_live_sender_heartbeat_keeps_its_lease(
    db_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async for api in fake_api(per_chat_limit_per_sec=1):
        async with session_factory() as session, session.begin():
            for i in range(3):  # one chat: about two seconds of sending, twice the lease
                await enqueue(session, chat_id=42, text=f"m{i}", now=NOW)
        other_engine = create_engine(db_url)
        try:
            a, b = (
                OutboxSender(
                    make_bot(api.base_url), factory, SystemClock(), rate=28,
                    blocked_text=blocked_text, lease=timedelta(seconds=1), heartbeat=0.2,
                )
                for factory in (session_factory, create_session_factory(other_engine))
            )
            first = asyncio.create_task(a.run_once())
            for _ in range(500):  # the first sender claims the batch before the other looks
                if "pending" not in await _statuses(session_factory):
                    break
                await asyncio.sleep(0.01)
            while not first.done():  # the other process keeps looking for expired leases
                await b.run_once()
                await asyncio.sleep(0.1)
            assert await first == 3
        finally:
            await other_engine.dispose()
        assert [m.text for m in api.user(42).messages] == ["m0", "m1", "m2"]
        assert (a.stats.sent, b.stats.sent) == (3, 0)
    assert await _statuses(session_factory) == {"sent": 3}


async def test_sender_that_lost_its_lease_does_not_send(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async for api in fake_api(per_chat_limit_per_sec=1):
        async with session_factory() as session, session.begin():
            for i in range(3):
                await enqueue(session, chat_id=43, text=f"m{i}", now=NOW)
        s = OutboxSender(
            make_bot(api.base_url), session_factory, SystemClock(), rate=28,
            blocked_text=blocked_text, heartbeat=0.1,
        )
        run = asyncio.create_task(s.run_once())
        while not api.user(43).messages:  # noqa: ASYNC110 - the fake API has no event for it
            await asyncio.sleep(0.02)
        # Meanwhile the lease of the unsent rows went to another sender (say this process
        # stalled past its lease): it must not send them too.
        async with session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending")
                .values(claimed_by="other")
            )
        await run
        assert [m.text for m in api.user(43).messages] == ["m0"]
    assert await _statuses(session_factory) == {"sent": 1, "sending": 2}
