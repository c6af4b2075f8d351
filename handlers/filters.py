"""Access filters, placed on routers so that no handler can be reached by the wrong role."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.services.people import Role


class RoleFilter(Filter):
    """Passes when the sender's role (resolved by the session middleware) is one of ``roles``."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, role: Role) -> bool:
        return role in self.roles


STAFF = (Role.OFFICER, Role.COORDINATOR, Role.ADMIN)
COORDINATORS = (Role.COORDINATOR, Role.ADMIN)
CONTACTS = (Role.CONTACT, Role.ADMIN)


# --- synchronous filters run on the event loop ------------------------------------------------


def _inline(check: FilterObject) -> None:
    if check.awaitable:
        return
    sync = check.callback

    async def run(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    # The parameters aiogram passes were read from the original callback (params/varkw).
    run.__wrapped__ = sync  # type: ignore[attr-defined]  # the filter itself, for tests
    check.callback = run
    check.awaitable = True


def run_filters_inline(router: Router) -> Router:
    """Make every synchronous filter of ``router`` and its sub-routers a coroutine.

    aiogram runs a synchronous filter — a bare ``State`` such as ``Flow.waiting_x``, a
    ``StatesGroup``, an ``F`` magic filter — in a worker thread (``asyncio.to_thread``), one
    hop per filter tried: some thirty per text update. They are comparisons; here they run on
    the event loop instead, so handlers keep writing ``@router.message(Flow.waiting_x)``.
    Idempotent (routers are module-level and reused by every dispatcher).
    """
    for each in router.chain_tail:
        for observer in each.observers.values():
            checks = list(observer._handler.filters or [])
            for handler in observer.handlers:
                checks.extend(handler.filters or [])
            for check in checks:
                _inline(check)
    return router
