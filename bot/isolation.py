"""One update at a time per user: aiogram's event isolation without its ever-growing table.

aiogram's ``SimpleEventIsolation`` keeps an ``asyncio.Lock`` for every storage key it has
seen, for the process's life: memory grows with the number of distinct users. Here a key's
lock lives only while an update holds it or waits for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # updates holding or waiting for the lock


class _Held:
    """The user's lock while an update holds it or waits for it; the slot goes once nobody
    does (a later update makes a new one)."""

    __slots__ = ("key", "locks", "slot")

    def __init__(self, locks: dict[StorageKey, _Slot], key: StorageKey) -> None:
        self.locks = locks
        self.key = key

    async def __aenter__(self) -> None:
        slot = self.locks.get(self.key)
        if slot is None:
            slot = self.locks[self.key] = _Slot()
        self.slot = slot
        slot.users += 1
        try:
            await slot.lock.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.slot.lock.release()
        self._leave()

    def _leave(self) -> None:
        slot = self.slot
        slot.users -= 1
        if not slot.users:  # nobody holds or waits
            del self.locks[self.key]


class UserEventIsolation(BaseEventIsolation):
    """Updates with the same storage key (one user in one chat) run one after another."""

    def __init__(self) -> None:
        self._locks: dict[StorageKey, _Slot] = {}

    def lock(self, key: StorageKey) -> _Held:  # type: ignore[override]
        """``async with isolation.lock(key)``: a plain context manager (one per update)."""
        return _Held(self._locks, key)

    async def close(self) -> None:
        self._locks.clear()
