"""Benchmark: updates per second through ``Dispatcher.feed_update`` with a mocked Bot API
session, next to a bare aiogram echo dispatcher in the same process.

    python -m bench.throughput [--updates 200] [--concurrency 1,10,50]

Workloads: free-text questions (the ~1,000 realistic questions of the evaluation sets, each
asked once: none repeats on one database at the default sizes), /tieuchi buttons (browsing
the criteria tree) and a full scoring cycle (/chamdiem → ▶️ Chấm tiếp → ✅ Có → 💾 Lưu →
evidence text → ✅ Đúng, lưu → ✅ Xong: seven updates, each officer in a unit of their own).
Each runs on a SQLite file and, when DATABASE_URL names a PostgreSQL server, on a fresh
database there; the bot's dispatcher is the production one (``create_dispatcher`` with update
dedup on, database FSM storage).

At each concurrency level ``c``, ``c`` workers send their updates one after another (each as
a series of users, at most PER_USER updates each: the per-user flood control would drop the
rest); printed: updates/s, p50 and p99 latency per update, and how many sequences broke (an
error reply, a lock timeout). The bare echo runs just before each database's workloads (the
machine's load changes over minutes). The ratios on the last two lines compare the production
dispatcher with the bare echo at concurrency 1 on SQLite (the cost of one update, without
queueing); the "CPU ratio" lines compare this process's CPU time per update instead (on a
machine shared with other work the wall-clock rates swing by a factor of 2 from run to run,
the CPU time less). Also printed: the RSS of a fresh process after start
(``assemble``: data loaded, index built, dispatcher ready), measured in a subprocess.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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

from bench.eval import DEFAULT_SETS, load_items
from bot import lazymodels as _lazymodels  # noqa: F401 - first: see bot/lazymodels.py
from bot.app import create_dispatcher, freeze_loaded
from bot.data import load_data
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Person, Unit
from bot.lazymodels import warm_up
from bot.settings import load_settings
from bot.storage import DatabaseStorage
from knowledge.ask import build_set_index
from tests.recording import Harness, RecordingSession, Sent

# Free-text questions: the realistic evaluation sets (officers' questions as typed, with and
# without diacritics, typos, long ones, out-of-scope ones), each asked once until all were
# asked (about 1,000: no repeat on one database at the default sizes; a cache would not help).
QUESTION_SETS = tuple(path for path in DEFAULT_SETS if path.exists())


def _questions() -> Iterator[str]:
    pool = [item.q for path in QUESTION_SETS for item in load_items(path)]
    if not pool:
        raise SystemExit("no evaluation questions found (bench/*-questions.yaml)")
    return itertools.cycle(pool)


QUESTIONS = _questions()
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
    failures: list[str]
    cpu_seconds: float = 0.0  # this process's CPU time (less swayed by other processes)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.updates * 1000

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


class Timed:
    """Times each update; counts the sequences that broke (an error reply, a lock timeout)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.failures: list[str] = []

    async def __call__(self, step: Awaitable[list[Sent]]) -> list[Sent]:
        started = time.perf_counter()
        sent = await step
        self.latencies.append(time.perf_counter() - started)
        return sent

    @asynccontextmanager
    async def sequence(self) -> AsyncIterator[None]:
        try:
            yield
        except (AssertionError, RuntimeError) as exc:
            self.failures.append(str(exc)[:200])


Worker = Callable[[Timed], Awaitable[None]]


async def measure(workers: list[Worker]) -> Result:
    timed = Timed()
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(timed) for worker in workers))
    return Result(
        len(timed.latencies),
        time.perf_counter() - started,
        timed.latencies,
        timed.failures,
        time.process_time() - cpu,
    )


def question_workers(
    dp: Dispatcher,
    concurrency: int,
    updates: int,
    base: int,
    questions: Iterator[str] | None = None,
) -> list:
    """``questions``: the bot's own stream of questions by default (each asked once)."""
    asked = QUESTIONS if questions is None else questions
    per = max(1, updates // concurrency)

    def worker(index: int):  # type: ignore[no-untyped-def]
        client = _client(dp, base + index * 100_000)

        async def run(timed) -> None:  # type: ignore[no-untyped-def]
            for n in range(per):
                user = client.user(base + index * 10_000 + n // PER_USER)
                async with timed.sequence():
                    question = next(asked)
                    _last_message(await timed(client.send(user, question)))

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
                async with timed.sequence():
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
                async with timed.sequence():
                    overview = _last_message(await timed(client.send(me, "/chamdiem")))
                    step = _last_message(
                        await timed(client.press(me, overview.button("▶️ Chấm tiếp")))
                    )
                    confirm = _last_message(await timed(client.press(me, step.button("✅ Có"))))
                    evidence = _last_message(
                        await timed(client.press(me, confirm.button("💾 Lưu")))
                    )
                    if "Đã lưu" not in evidence.text:
                        raise RuntimeError(f"scoring cycle broke: {evidence.text[:200]}")
                    reference = "Quyết định số 12/QĐ-UBND ngày 05/11/2021"
                    preview = _last_message(await timed(client.send(me, reference)))
                    got = _last_message(
                        await timed(client.press(me, preview.button("✅ Đúng, lưu")))
                    )
                    await timed(client.press(me, got.button("✅ Xong")))

        return run

    return [worker(i) for i in range(concurrency)]


def report(name: str, by_level: dict[int, Result]) -> None:
    for level, result in by_level.items():
        broke = f"   {len(result.failures)} broke" if result.failures else ""
        print(
            f"  {name:<22} c={level:<3} {result.rate:8.1f} updates/s   "
            f"p50 {result.percentile(0.5):7.2f} ms   p99 {result.percentile(0.99):7.2f} ms   "
            f"cpu {result.cpu_ms:6.2f} ms/update{broke}"
        )
        for failure in sorted(set(result.failures))[:3]:
            print(f"      e.g. {failure}")


async def run_database(kind: str, levels: list[int], updates: int) -> dict[str, dict[int, Result]]:
    """The three workloads on one database, with the bare echo measured just before them (the
    machine's load changes over minutes; each ratio compares figures taken together)."""
    # Flood control off: workers send as fast as they can (each user stays under it anyway).
    settings = load_settings(bot_token=None, flood_max_updates=0)
    data = load_data(settings)
    index = build_set_index(data.catalogue, data.entries)
    out: dict[str, dict[int, Result]] = {
        "bare_echo": {},
        "questions": {},
        "tieuchi_buttons": {},
        "scoring": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        async with database(kind, Path(tmp)) as url:
            await upgrade(url)
            engine = create_engine(  # as the bot process builds it (bot/app.py)
                url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout_seconds,
            )
            factory = create_session_factory(engine)
            dp = create_dispatcher(
                settings=settings,
                data=data,
                index=index,
                session_factory=factory,
                storage=DatabaseStorage(factory),
                dedup_updates=True,
            )
            freeze_loaded()  # as the bot process does once started (bot/app.py assemble)
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
                out["bare_echo"][level] = await run_echo(level, updates)
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
    for name, by_level in out.items():
        report(name, by_level)
    return out


_echo = echo_dispatcher()
_echo_questions = _questions()  # the same texts, apart from the bot's stream


async def run_echo(level: int, updates: int) -> Result:
    await measure(question_workers(_echo, 1, 20, 3 * 10**8 - 10**6, _echo_questions))  # warm up
    return await measure(
        question_workers(_echo, level, updates, 3 * 10**8 + level * 10**6, _echo_questions)
    )


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
    results = {"sqlite": await run_database("sqlite", levels, updates)}
    url = os.environ.get("DATABASE_URL", "")
    if url and make_url(url).get_backend_name() == "postgresql":
        results["postgresql"] = await run_database("postgresql", levels, updates)
    print(f"rss_after_start_mb: {rss_after_start()}")
    first = levels[0]
    for kind, out in results.items():
        base = out["bare_echo"][first].rate
        for name in ("questions", "tieuchi_buttons", "scoring"):
            ratio = out[name][first].rate / base
            print(f"{kind} {name} ratio vs bare echo (c={first}): {ratio:.3f}")
        # The same ratio on this process's CPU time per update: on a machine shared with
        # other work the wall-clock rates swing by a factor of 2 from run to run.
        echo_cpu = out["bare_echo"][first].cpu_ms
        for name in ("questions", "tieuchi_buttons", "scoring"):
            ratio = echo_cpu / out[name][first].cpu_ms
            print(f"{kind} {name} CPU ratio vs bare echo (c={first}): {ratio:.3f}")
    sqlite = results["sqlite"]
    base = sqlite["bare_echo"][first].rate
    print(f"questions_ratio_vs_bare_echo: {sqlite['questions'][first].rate / base:.3f}")
    print(f"scoring_ratio_vs_bare_echo: {sqlite['scoring'][first].rate / base:.3f}")


if __name__ == "__main__":
    # Failed updates are counted and reported ("broke"), not logged with their tracebacks.
    logging.basicConfig(level=logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--concurrency", default="1,10,50")
    args = parser.parse_args()
    asyncio.run(main([int(c) for c in args.concurrency.split(",")], args.updates))
