"""Profile of the scoring cycle (the one bench/throughput.py measures) through the production
dispatcher: SQL statements and commits per step, CPU time per step, optionally cProfile.

    python -m bench.scoring_profile [--cycles 60] [--profile out.prof] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import event

from bench.throughput import _client, _last_message, database, seed_officers
from bot import lazymodels as _lazymodels  # noqa: F401
from bot.app import create_dispatcher, freeze_loaded
from bot.data import load_data
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.lazymodels import warm_up
from bot.settings import load_settings
from bot.storage import DatabaseStorage
from knowledge.ask import build_set_index

STEPS = ("chamdiem", "go", "yes", "save", "evidence", "keep", "done")


inner: dict[str, float] = {}
echo_cpu = 0.0


async def main(cycles: int, profile: str | None, kind: str, show_sql: bool) -> None:
    global echo_cpu
    warm_up()
    settings = load_settings(bot_token=None, flood_max_updates=0)
    data = load_data(settings)
    index = build_set_index(data.catalogue, data.entries)
    with tempfile.TemporaryDirectory() as tmp:
        async with database(kind, Path(tmp)) as url:
            await upgrade(url)
            engine = create_engine(url, pool_size=5, max_overflow=5, pool_timeout=30)
            factory = create_session_factory(engine)
            dp = create_dispatcher(
                settings=settings, data=data, index=index, session_factory=factory,
                storage=DatabaseStorage(factory), dedup_updates=True,
            )
            freeze_loaded()  # as the bot process does (bot/app.py assemble)
            counts: dict[str, Counter[str]] = defaultdict(Counter)
            current = {"step": None}
            sqls: dict[str, list[str]] = defaultdict(list)

            def on_statement(statement: str) -> None:
                # SQLite's own trace: it sees the statements run on the driver too
                # (bot/db/direct.py), which SQLAlchemy's events do not.
                step = current["step"]
                if step is None:
                    return
                verb = statement.split(None, 1)[0].upper()
                if verb == "COMMIT":
                    counts[step]["commits"] += 1
                    return
                if verb in ("BEGIN", "ROLLBACK"):
                    return
                counts[step]["statements"] += 1
                counts[step][verb] += 1
                sqls[step].append(statement.replace("\n", " ")[:160])

            def on_exec(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
                on_statement(statement)

            def on_commit(conn):  # type: ignore[no-untyped-def]
                if current["step"] is not None:
                    counts[current["step"]]["commits"] += 1

            def on_checkout(dbapi_connection, *args):  # type: ignore[no-untyped-def]
                dbapi_connection.driver_connection._conn.set_trace_callback(on_statement)

            if kind == "sqlite":
                event.listen(engine.sync_engine.pool, "checkout", on_checkout)
            else:
                event.listen(engine.sync_engine, "before_cursor_execute", on_exec)
                event.listen(engine.sync_engine, "commit", on_commit)
            base = 10**7
            await seed_officers(factory, base, cycles + 3)
            client = _client(dp, 10**8)
            cpu: dict[str, float] = defaultdict(float)

            async def step(name: str, coro):  # type: ignore[no-untyped-def]
                current["step"] = name
                started = time.process_time()
                sent = await coro
                cpu[name] += time.process_time() - started
                current["step"] = None
                return _last_message(sent)

            async def cycle(me) -> None:  # type: ignore[no-untyped-def]
                overview = await step("chamdiem", client.send(me, "/chamdiem"))
                s = await step("go", client.press(me, overview.button("▶️ Chấm tiếp")))
                confirm = await step("yes", client.press(me, s.button("✅ Có")))
                ev = await step("save", client.press(me, confirm.button("💾 Lưu")))
                assert "Đã lưu" in ev.text, ev.text
                preview = await step(
                    "evidence", client.send(me, "Quyết định số 12/QĐ-UBND ngày 05/11/2021")
                )
                got = await step("keep", client.press(me, preview.button("✅ Đúng, lưu")))
                await step("done", client.press(me, got.button("✅ Xong")))

            from aiogram.fsm.middleware import FSMContextMiddleware
            inner = defaultdict(float)
            real_call = FSMContextMiddleware.__call__

            async def timed_call(self, handler, event, data):  # type: ignore[no-untyped-def]
                started = time.process_time()
                try:
                    return await real_call(self, handler, event, data)
                finally:
                    if current["step"] is not None:
                        inner[current["step"]] += time.process_time() - started

            FSMContextMiddleware.__call__ = timed_call  # type: ignore[method-assign]
            for i in range(3):  # warm up
                await cycle(client.user(base + cycles + i))
            for table in (counts, cpu, sqls, inner):
                table.clear()
            prof = cProfile.Profile() if profile else None
            wall = time.perf_counter()
            from bench.throughput import echo_dispatcher

            echo = _client(echo_dispatcher(), 9 * 10**8)
            someone = echo.user(77)
            text = "Quyết định số 12/QĐ-UBND ngày 05/11/2021"
            for _ in range(50):
                await echo.send(someone, text)
            echo_cpu = 0.0
            for i in range(cycles):
                # Interleaved with the echo (the machine's load changes by the minute).
                started = time.process_time()
                for _ in range(7):
                    await echo.send(someone, text)
                echo_cpu += time.process_time() - started
                if prof:
                    prof.enable()
                await cycle(client.user(base + i))
                if prof:
                    prof.disable()
            if prof:
                prof.dump_stats(profile)
                calls = pstats.Stats(prof).total_calls  # type: ignore[attr-defined]
                print(f"python function calls per scoring update: {calls / (cycles * 7):.0f}")
            wall = time.perf_counter() - wall
            await engine.dispose()
    echo_ms = 1000 * echo_cpu / (cycles * 7)
    total_cpu = sum(cpu.values())
    per = 1000 * total_cpu / (cycles * 7)
    print(f"echo CPU {echo_ms:.2f} ms/update; scoring/echo cost {per / echo_ms:.1f}x "
          f"(ratio {echo_ms / per:.3f})")
    print(f"handler share: {sum(inner.values()) / total_cpu:.2f}")
    per_update = 1000 * total_cpu / (cycles * 7)
    print(f"{kind}: {cycles} cycles, {cycles * 7} updates, wall {wall:.2f} s, "
          f"{cycles * 7 / wall:.1f} updates/s, CPU {per_update:.2f} ms/update")
    for name in STEPS:
        c = counts[name]
        step_cpu, handler_cpu = 1000 * cpu[name] / cycles, 1000 * inner[name] / cycles
        print(f"  {name:<9} cpu {step_cpu:6.2f} ms (handler {handler_cpu:6.2f})  statements "
              f"{c['statements'] / cycles:5.1f}  commits {c['commits'] / cycles:4.1f}  "
              + " ".join(f"{k}={v / cycles:.1f}" for k, v in sorted(c.items())
                         if k not in ("statements", "commits")))
    tot = sum((counts[n] for n in STEPS), Counter())
    print(f"  per update: statements {tot['statements'] / (cycles * 7):.2f}, "
          f"commits {tot['commits'] / (cycles * 7):.2f}")
    if show_sql:
        for name in STEPS:
            print(f"--- {name}")
            for s in sqls[name][: len(sqls[name]) // cycles]:
                print("   ", s)


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--profile")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--sql", action="store_true")
    args = parser.parse_args()
    kind = "postgresql" if args.postgres else "sqlite"
    asyncio.run(main(args.cycles, args.profile, kind, args.sql))
