"""Event isolation: one update at a time per user, and no lock kept once a user is done."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message

from bot.isolation import UserEventIsolation
from handlers.filters import run_filters_inline
from tests.recording import Harness


async def test_many_distinct_users_leave_no_lock_behind(harness: Harness) -> None:
    # aiogram's SimpleEventIsolation (the old default) kept one lock per user for good.
    isolation = harness.dp.fsm.events_isolation
    users = [harness.user(1000 + i) for i in range(120)]
    replies = await asyncio.gather(*(harness.send(user, "/start") for user in users))
    assert all(sent for sent in replies)
    assert isolation._locks == {}  # type: ignore[attr-defined]


def _key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


async def test_one_users_updates_run_one_after_another() -> None:
    isolation = UserEventIsolation()
    log: list[str] = []

    async def update(name: str, user_id: int, hold: asyncio.Event | None = None) -> None:
        async with isolation.lock(_key(user_id)):
            log.append(f"{name} in")
            if hold is not None:
                await hold.wait()
            log.append(f"{name} out")

    release = asyncio.Event()
    first = asyncio.create_task(update("a1", 7, release))
    await asyncio.sleep(0)
    second = asyncio.create_task(update("a2", 7))
    other = asyncio.create_task(update("b", 8))
    await asyncio.sleep(0.01)
    # The same user's second update waits; another user's goes through meanwhile.
    assert log == ["a1 in", "b in", "b out"]
    assert isolation._locks[_key(7)].users == 2 and _key(8) not in isolation._locks
    release.set()
    await asyncio.gather(first, second, other)
    assert log == ["a1 in", "b in", "b out", "a1 out", "a2 in", "a2 out"]
    assert isolation._locks == {}


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    isolation = UserEventIsolation()
    release = asyncio.Event()

    async def hold() -> None:
        async with isolation.lock(_key(7)):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert isolation._locks[_key(7)].users == 1
    release.set()
    await holder
    assert isolation._locks == {}


async def test_a_waiting_update_reads_the_state_its_predecessor_left(harness: Harness) -> None:
    """A user's next update, delivered while their previous one is still handled, waits for
    it and then sees the state it left (the state is read after the user's lock is taken,
    as aiogram's FSM middleware does; read before it, the second update ran as if the first
    had changed nothing)."""
    router = Router(name="test_isolation")
    seen: list[str | None] = []

    @router.message(F.text == "đầu")
    async def first(message: Message, state: FSMContext) -> None:
        await asyncio.sleep(0.05)  # the second update arrives meanwhile
        await state.set_state("Flow:waiting")

    @router.message(F.text == "sau")
    async def second(message: Message, raw_state: str | None) -> None:
        seen.append(raw_state)

    harness.dp.include_router(run_filters_inline(router))
    harness.dp.sub_routers.insert(0, harness.dp.sub_routers.pop())  # tried first
    user = harness.user(4242)
    earlier = asyncio.create_task(harness.send(user, "đầu"))
    await asyncio.sleep(0.01)
    await asyncio.gather(earlier, harness.send(user, "sau"))
    assert seen == ["Flow:waiting"]
