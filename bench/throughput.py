"""Benchmark: updates per second through ``Dispatcher.feed_update`` with a mocked Bot API
session, next to a bare aiogram echo dispatcher in the same process.

    python -m bench.throughput [--updates 200] [--concurrency 1,10,50]

Workloads: free-text questions, /tieuchi buttons (browsing the criteria tree) and a full
scoring cycle (/chamdiem → ▶️ Chấm tiếp → ✅ Có → 💾 Lưu → evidence text → ✅ Đúng, lưu →
✅ Xong: seven updates, each officer in a unit of their own). Each runs on a SQLite file and, when
DATABASE_URL names a PostgreSQL server, on a fresh database there; the bot's dispatcher is the
production one (``create_dispatcher`` with update dedup on, database FSM storage).

At each concurrency level ``c`` there are ``c`` simulated users, each sending their updates one
after another; printed: updates/s, p50 and p99 latency per update. The ratios on the last two
lines compare the production dispatcher with the bare echo at concurrency 1 on SQLite (the
cost of one update, without queueing). Also printed: the RSS of a fresh process after start
(``assemble``: data loaded, index built, dispatcher ready), measured in a subprocess.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from bot import lazymodels as _lazymodels  # noqa: F401 - first: see bot/lazymodels.py
from bot.app import create_dispatcher
from bot.data import load_data
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Person, Unit
from bot.lazymodels import warm_up
from bot.settings import load_settings
from bot.storage import DatabaseStorage
from knowledge.ask import build_set_index
from tests.recording import Harness, RecordingSession, Sent

QUESTIONS = [
    "thủ tục hành chính là gì",
    "tỷ lệ hồ sơ giải quyết đúng hạn tính thế nào",
    "tiêu chí 2.1 chấm thế nào",
    "tai lieu kiem chung cho tieu chi ve van ban qppl",
    "cổng dịch vụ công trực tuyến toàn trình",
    "chỉ số hài lòng của người dân",
    "kiểm soát thủ tục hành chính cấp xã",
    "báo cáo cải cách hành chính định kỳ nộp khi nào",
]
TOKEN = "123456:BENCH-TOKEN"
# Updates per simulated user: under the per-user flood control (handlers/guards.py).
PER_USER = 10


class Client(Harness):
    """The tests' harness (mocked Bot API session), forgetting each update's requests."""

    async def _feed(self, update: Update) -> list[Sent]:
        sent = await super()._feed(update)
        self.session.requests.clear()
        return sent


def _client(dp: Dispatcher, first_update_id: int) -> Client:
    session = RecordingSession()
    client = Bot(
        token=TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    return Client(dp=dp, bot=client, session=session, _update_ids=itertools.count(first_update_id))


def _last_message(sent: list[Sent]) -> Sent:
    messages = [s for s in sent if s.method in ("sendMessage", "editMessageText")]
    if not messages:
        raise RuntimeError(f"no message in {sent}")
    return messages[-1]


# --- the dispatchers ---------------------------------------------------------------------------


def echo_dispatcher() -> Dispatcher:
    """The baseline: a bare aiogram dispatcher that echoes text and answers buttons."""
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    dp = Dispatcher()
    dp.include_router(router)
    return dp


@asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    base = make_url(os.environ["DATABASE_URL"])
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = _create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def seed_officers(factory: async_sessionmaker[AsyncSession], first: int, count: int) -> None:
    """``count`` officers of Phòng Tư pháp, each alone in a unit (a scoring cycle each)."""
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        units = [
            Unit(code=f"bench-{first + i}", name=f"UBND thử {first + i}", kind="huyen")
            for i in range(count)
        ]
        session.add_all(units)
        await session.flush()
        session.add_all(
            Person(
                telegram_id=first + i,
                display_name=f"Cán bộ {i}",
                role="officer",
                unit_id=unit.id,
                department="TP",
                active=True,
                created_at=now,
                updated_at=now,
            )
            for i, unit in enumerate(units)
        )


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Result:
    updates: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


Timed = Callable[[Awaitable[list[Sent]]], Awaitable[list[Sent]]]
Worker = Callable[[Timed], Awaitable[None]]


async def measure(workers: list[Worker]) -> Result:
    latencies: list[float] = []

    async def timed(step: Awaitable[list[Sent]]) -> list[Sent]:
        started = time.perf_counter()
        sent = await step
        latencies.append(time.perf_counter() - started)
        return sent

    started = time.perf_counter()
    await asyncio.gather(*(worker(timed) for worker in workers))
    return Result(len(latencies), time.perf_counter() - started, latencies)


def question_workers(dp: Dispatcher, concurrency: int, updates: int, base: int) -> list:
    per = max(1, updates // concurrency)

    def worker(index: int):  # type: ignore[no-untyped-def]
        client = _client(dp, base + index * 100_000)

        async def run(timed) -> None:  # type: ignore[no-untyped-def]
            for n in range(per):
                user = client.user(base + index * 10_000 + n // PER_USER)
                _last_message(await timed(client.send(user, QUESTIONS[n % len(QUESTIONS)])))

        return run

    return [worker(i) for i in range(concurrency)]


def button_workers(
    dp: Dispatcher, concurrency: int, updates: int, base: int, data: list[str]
) -> list:
    per = max(1, updates // concurrency)

    def worker(index: int):  # type: ignore[no-untyped-def]
        client = _client(dp, base + index * 100_000)

        async def run(timed) -> None:  # type: ignore[no-untyped-def]
            for n in range(per):
                user = client.user(base + index * 10_000 + n // PER_USER)
                if not await timed(client.press(user, data[n % len(data)])):
                    raise RuntimeError("a /tieuchi button got no answer")

        return run

    return [worker(i) for i in range(concurrency)]


def scoring_workers(
    dp: Dispatcher, concurrency: int, cycles: int, base: int, first_update_id: int
) -> list:
    """``base``: the first officer's id (see :func:`seed_officers`)."""
    per = max(1, cycles // concurrency)

    def worker(index: int):  # type: ignore[no-untyped-def]
        client = _client(dp, first_update_id + index * 100_000)

        async def run(timed) -> None:  # type: ignore[no-untyped-def]
            for n in range(per):
                me = client.user(base + index * per + n)
                overview = _last_message(await timed(client.send(me, "/chamdiem")))
                step = _last_message(await timed(client.press(me, overview.button("▶️ Chấm tiếp"))))
                confirm = _last_message(await timed(client.press(me, step.button("✅ Có"))))
                evidence = _last_message(await timed(client.press(me, confirm.button("💾 Lưu"))))
                if "Đã lưu" not in evidence.text:
                    raise RuntimeError(f"scoring cycle broke: {evidence.text[:200]}")
                reference = "Quyết định số 12/QĐ-UBND ngày 05/11/2021"
                preview = _last_message(await timed(client.send(me, reference)))
                got = _last_message(await timed(client.press(me, preview.button("✅ Đúng, lưu"))))
                await timed(client.press(me, got.button("✅ Xong")))

        return run

    return [worker(i) for i in range(concurrency)]


def report(name: str, by_level: dict[int, Result]) -> None:
    for level, result in by_level.items():
        print(
            f"  {name:<22} c={level:<3} {result.rate:8.1f} updates/s   "
            f"p50 {result.percentile(0.5):7.2f} ms   p99 {result.percentile(0.99):7.2f} ms"
        )


async def run_database(
    kind: str, levels: list[int], updates: int, echo: dict[int, Result]
) -> dict[str, dict[int, Result]]:
    # Each worker is one user sending as fast as it can: flood control would drop most of it.
    settings = load_settings(bot_token=None, flood_max_updates=0)
    data = load_data(settings)
    index = build_set_index(data.catalogue, data.entries)
    out: dict[str, dict[int, Result]] = {"questions": {}, "tieuchi_buttons": {}, "scoring": {}}
    with tempfile.TemporaryDirectory() as tmp:
        async with database(kind, Path(tmp)) as url:
            await upgrade(url)
            engine = create_engine(url)
            factory = create_session_factory(engine)
            dp = create_dispatcher(
                settings=settings,
                data=data,
                index=index,
                session_factory=factory,
                storage=DatabaseStorage(factory),
                dedup_updates=True,
            )
            # The buttons of /tieuchi and of its first two areas.
            probe = _client(dp, 5 * 10**9)
            guest = probe.user(9 * 10**8)
            root = _last_message(await probe.send(guest, "/tieuchi"))
            buttons = [d for _, d in root.buttons][:4]
            for area in buttons[:2]:
                children = _last_message(await probe.press(guest, area)).buttons
                buttons += [d for _, d in children][:3]
            cycles = max(max(levels), updates // 7)
            base = 10**7
            for level in levels:
                await seed_officers(factory, base + level * 10_000, cycles)
            # Warm up (lazily built models, caches, connections): not measured.
            await seed_officers(factory, base - 10_000, 3)
            await measure(question_workers(dp, 1, 10, 10**8 - 10**6))
            await measure(button_workers(dp, 1, 10, 2 * 10**8 - 10**6, buttons))
            await measure(scoring_workers(dp, 1, 3, base - 10_000, 4 * 10**8 - 10**7))
            for level in levels:
                out["questions"][level] = await measure(
                    question_workers(dp, level, updates, 10**9 + level * 10**7)
                )
                out["tieuchi_buttons"][level] = await measure(
                    button_workers(dp, level, updates, 2 * 10**9 + level * 10**7, buttons)
                )
                out["scoring"][level] = await measure(
                    scoring_workers(
                        dp, level, cycles, base + level * 10_000, 4 * 10**8 + level * 10**7
                    )
                )
            await engine.dispose()
    print(f"{kind}:")
    report("bare echo (text)", echo)
    for name, by_level in out.items():
        report(name, by_level)
    return out


async def run_echo(levels: list[int], updates: int) -> dict[int, Result]:
    dp = echo_dispatcher()
    await measure(question_workers(dp, 1, 20, 3 * 10**8 - 10**6))  # warm up
    return {
        level: await measure(question_workers(dp, level, updates, 3 * 10**8 + level * 10**6))
        for level in levels
    }


RSS_PROBE = """
import asyncio, tempfile
import bot
from bot.app import assemble
from bot.settings import load_settings

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

async def main():
    with tempfile.TemporaryDirectory() as tmp:
        app = await assemble(load_settings(data_dir=tmp, bot_token="%s"), migrate=True)
        print(round(rss(), 1))
        await app.close()

asyncio.run(main())
"""


def rss_after_start() -> float:
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE % TOKEN.replace("BENCH-TOKEN", "A" * 35)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": "", "REDIS_URL": ""},
    )
    return float(done.stdout.strip().splitlines()[-1])


async def main(levels: list[int], updates: int) -> None:
    warm_up()
    echo = await run_echo(levels, updates)
    results = {"sqlite": await run_database("sqlite", levels, updates, echo)}
    url = os.environ.get("DATABASE_URL", "")
    if url and make_url(url).get_backend_name() == "postgresql":
        results["postgresql"] = await run_database("postgresql", levels, updates, echo)
    print(f"rss_after_start_mb: {rss_after_start()}")
    base = echo[levels[0]].rate
    for kind, out in results.items():
        for name in out:
            ratio = out[name][levels[0]].rate / base
            print(f"{kind} {name} ratio vs bare echo (c={levels[0]}): {ratio:.3f}")
    sqlite = results["sqlite"]
    print(f"questions_ratio_vs_bare_echo: {sqlite['questions'][levels[0]].rate / base:.3f}")
    print(f"scoring_ratio_vs_bare_echo: {sqlite['scoring'][levels[0]].rate / base:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--concurrency", default="1,10,50")
    args = parser.parse_args()
    asyncio.run(main([int(c) for c in args.concurrency.split(",")], args.updates))
