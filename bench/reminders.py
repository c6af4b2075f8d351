"""Benchmark: one reminder run to N recipients through the outbox, against the fake Bot API
enforcing Telegram's ~30 messages/s (429 beyond it).

    python -m bench.reminders [--recipients 600] [--rate 28] [--limit 30]

Prints the time from the scheduler's tick to the last delivery, the physical minimum
(recipients ÷ limit), their ratio, and the 429s received. Goal: ≥ 90 % of the limit, no 429.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import OutboxMessage, Person
from bot.fakeapi import FakeBotAPI
from bot.services import reminders
from bot.services.outbox import OutboxSender
from bot.services.people import add_unit
from criteria.loader import require_catalogue
from handlers.notices import ReminderTexts, blocked_text
from tests.deadline_fixtures import make_bot

VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def run(recipients: int, rate: float, limit: int) -> None:
    cset = require_catalogue().current
    departments = [d.code for d in cset.departments]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        engine = create_engine(url)
        factory = create_session_factory(engine)
        created = datetime(2021, 11, 1, tzinfo=UTC)
        async with factory() as session, session.begin():
            unit = await add_unit(session, "huyen-bench", "UBND huyện Thử")
            for i in range(recipients):
                session.add(
                    Person(telegram_id=10_000 + i, display_name=f"Cán bộ {i}", role="officer",
                           unit_id=unit.id, department=departments[i % len(departments)],
                           active=True, created_at=created, updated_at=created)
                )
        api = FakeBotAPI(global_limit_per_sec=limit, per_chat_limit_per_sec=1)
        await api.start()
        clock = FakeClock(datetime(2021, 11, 12, 8, 30, tzinfo=VN))
        bot = make_bot(api.base_url)
        sender = OutboxSender(bot, factory, clock, rate=rate, blocked_text=blocked_text)
        try:
            started = time.perf_counter()
            async with factory() as session, session.begin():
                result = await reminders.tick(
                    session, cset=cset, now=clock.now(), tz=VN, hour=8, render=ReminderTexts()
                )
            queued_at = time.perf_counter()
            while await sender.run_once():
                pass
            elapsed = time.perf_counter() - started
            async with factory() as session:
                sent = await session.scalar(
                    select(func.count()).where(OutboxMessage.status == "sent")
                )
        finally:
            await bot.session.close()
            await api.stop()
            await engine.dispose()
    minimum = recipients / limit
    print(f"recipients:            {recipients}")
    print(f"reminders queued:      {result.queued} (tick {queued_at - started:.2f} s)")
    print(f"delivered (sent rows): {sent}; fake API messages: {len(api.sent_log)}")
    print(f"outbox rate:           {rate:g} msg/s; API limit {limit} msg/s")
    print(f"time taken:            {elapsed:.2f} s")
    print(f"physical minimum:      {minimum:.2f} s ({recipients} ÷ {limit})")
    print(f"ratio (minimum/time):  {minimum / elapsed:.1%}  (goal ≥ 90 %)")
    print(f"429 received:          {api.rejected_429}  (goal 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=600)
    parser.add_argument("--rate", type=float, default=28.0)
    parser.add_argument("--limit", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(args.recipients, args.rate, args.limit))


if __name__ == "__main__":
    main()
