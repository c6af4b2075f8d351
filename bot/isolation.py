"""One update at a time per user: aiogram's event isolation without its ever-growing table.

aiogram's ``SimpleEventIsolation`` keeps an ``asyncio.Lock`` for every storage key it has
seen, for the process's life: memory grows with the number of distinct users. Here a key's
lock lives only while an update holds it or waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # updates holding or waiting for the lock


class UserEventIsolation(BaseEventIsolation):
    """Updates with the same storage key (one user in one chat) run one after another."""

    def __init__(self) -> None:
        self._locks: dict[StorageKey, _Slot] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        slot = self._locks.get(key)
        if slot is None:
            slot = self._locks[key] = _Slot()
        slot.users += 1
        try:
            async with slot.lock:
                yield
        finally:
            slot.users -= 1
            if not slot.users:  # nobody holds or waits: a later update makes a new one
                del self._locks[key]

    async def close(self) -> None:
        self._locks.clear()
