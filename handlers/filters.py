"""Access filters, placed on routers so that no handler can be reached by the wrong role."""

from __future__ import annotations

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
