"""Units, people and one-time registration invites."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.db.models import Invite, Person, Unit
from bot.errors import CchcError, NotFound
from criteria.schema import LEVEL_NAMES


class Role(StrEnum):
    GUEST = "guest"
    OFFICER = "officer"
    COORDINATOR = "coordinator"
    CONTACT = "contact"
    ADMIN = "admin"


# Every level a criteria set may declare; which of them a unit may have in a deployment is
# checked against the loaded sets (bot.services.years.check_level).
UNIT_KINDS = tuple(LEVEL_NAMES)
INVITABLE_ROLES = frozenset({Role.OFFICER, Role.COORDINATOR, Role.CONTACT})
ROLES_WITH_UNIT = frozenset({Role.OFFICER, Role.COORDINATOR})

# secrets.token_urlsafe(15) gives 20 characters; Telegram's start parameter allows this
# alphabet only, so anything else cannot be one of our codes.
INVITE_CODE_BYTES = 15
INVITE_CODE_RE = re.compile(r"[A-Za-z0-9_-]{16,24}")


class UnknownUnit(CchcError):
    user_message = "Không tìm thấy đơn vị. Hãy kiểm tra lại mã đơn vị."

    def __init__(self, code: str | None = None) -> None:
        if code:
            super().__init__(f"Không tìm thấy đơn vị có mã “{code}”. Hãy kiểm tra lại mã đơn vị.")
        else:
            super().__init__("Lời mời cho vai trò này cần gắn với một đơn vị.")
        self.code = code


class UnknownPerson(NotFound):
    user_message = "Người dùng này chưa đăng ký với bot."


class InviteNotAllowed(CchcError):
    user_message = (
        "Chỉ có thể tạo mã mời cho cán bộ (officer), điều phối (coordinator) "
        "hoặc đầu mối Sở (contact)."
    )


class InviteNeedsDepartment(CchcError):
    user_message = "Mã mời cho đầu mối Sở cần ghi rõ mã Sở (ví dụ: STP, SNV)."

    def __init__(self, role: Role = Role.CONTACT) -> None:
        if role is Role.OFFICER:
            super().__init__(
                "Mã mời cho cán bộ cần ghi rõ phòng của cán bộ (ví dụ: --department TP), "
                "để biết cán bộ chấm những tiêu chí nào."
            )
        else:
            super().__init__()


class InviteInvalid(CchcError):
    MESSAGES = {  # noqa: RUF012
        "malformed": "Mã mời không hợp lệ. Hãy mở lại đúng đường dẫn mời bạn nhận được.",
        "unknown": "Mã mời không tồn tại. Hãy kiểm tra lại hoặc xin mã mới từ Phòng Nội vụ.",
        "used": "Mã mời đã được sử dụng. Hãy xin mã mới từ Phòng Nội vụ.",
        "expired": "Mã mời đã hết hạn. Hãy xin mã mới từ Phòng Nội vụ.",
    }

    def __init__(self, reason: str) -> None:
        if reason not in self.MESSAGES:
            raise ValueError(f"unknown reason {reason!r}")
        self.reason = reason
        super().__init__(self.MESSAGES[reason])


# --- units ---------------------------------------------------------------------------------


async def add_unit(session: AsyncSession, code: str, name: str, kind: str = "huyen") -> Unit:
    """Create the unit, or update its name and kind if the code exists (idempotent)."""
    if kind not in UNIT_KINDS:
        raise ValueError(f"unit kind must be one of {UNIT_KINDS}, not {kind!r}")
    unit = await get_unit(session, code)
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind)
        session.add(unit)
    else:
        unit.name = name
        unit.kind = kind
    await session.flush()
    return unit


async def get_unit(session: AsyncSession, code: str) -> Unit | None:
    result = await session.execute(select(Unit).where(Unit.code == code))
    return result.scalar_one_or_none()


async def get_unit_by_id(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id) if unit_id > 0 else None


async def list_units(session: AsyncSession) -> Sequence[Unit]:
    result = await session.execute(select(Unit).order_by(Unit.code))
    return result.scalars().all()


# --- invites -------------------------------------------------------------------------------


async def create_invite(
    session: AsyncSession,
    *,
    role: Role,
    unit_code: str | None,
    department: str | None,
    created_by: int | None,
    ttl: timedelta,
    now: datetime,
) -> Invite:
    """A one-time invite; officers and coordinators need a unit, officers and contacts a
    department (what an officer scores follows from it)."""
    role = Role(role)
    if role not in INVITABLE_ROLES:
        raise InviteNotAllowed()
    unit: Unit | None = None
    if unit_code:
        unit = await get_unit(session, unit_code)
        if unit is None:
            raise UnknownUnit(unit_code)
    elif role in ROLES_WITH_UNIT:
        raise UnknownUnit(None)
    department = (department or "").strip() or None
    if role in {Role.CONTACT, Role.OFFICER} and department is None:
        raise InviteNeedsDepartment(role)
    invite = Invite(
        code=secrets.token_urlsafe(INVITE_CODE_BYTES),
        role=role.value,
        unit=unit,
        unit_id=None if unit is None else unit.id,
        department=department,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def is_invite_code(text: str) -> bool:
    """Whether ``text`` has the shape of an invite code (says nothing about it existing)."""
    return INVITE_CODE_RE.fullmatch(text) is not None


async def peek_invite(session: AsyncSession, code: str, now: datetime) -> Invite:
    """The invite ``code`` names if it can still be used (nothing changes); else InviteInvalid."""
    if not is_invite_code(code):
        raise InviteInvalid("malformed")
    found = await session.execute(select(Invite).where(Invite.code == code))
    invite = found.scalar_one_or_none()
    if invite is None:
        raise InviteInvalid("unknown")
    if invite.used_at is not None:
        raise InviteInvalid("used")
    if invite.expires_at <= now:
        raise InviteInvalid("expired")
    return invite


def invite_changes(person: Person, invite: Invite) -> bool:
    """Whether redeeming ``invite`` would change the person's role, unit or department."""
    return (person.role, person.unit_id, person.department) != (
        invite.role,
        invite.unit_id,
        invite.department,
    )


async def redeem_invite(
    session: AsyncSession, *, code: str, telegram_id: int, display_name: str, now: datetime
) -> Person:
    """Register (or re-register) the user with the invite's role; the invite is then used.

    Raises InviteInvalid, changing nothing, for a malformed, unknown, used or expired code.
    Callers ask a registered person to confirm first (:func:`peek_invite`).
    """
    if not is_invite_code(code):
        raise InviteInvalid("malformed")
    # Claim first, read afterwards: the conditional UPDATE is the only check that holds when
    # two redemptions race (row lock on PostgreSQL, write lock on SQLite).
    claimed = await session.execute(
        update(Invite)
        .where(Invite.code == code, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by=telegram_id)
        .returning(Invite.id)
        .execution_options(synchronize_session=False)
    )
    invite_id = claimed.scalar_one_or_none()
    if invite_id is None:
        await peek_invite(session, code, now)  # raises the reason
        raise InviteInvalid("used")  # claimed by someone else between the two statements

    found = await session.execute(
        select(Invite).where(Invite.id == invite_id).execution_options(populate_existing=True)
    )
    invite = found.scalar_one()
    person = await get_person(session, telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, created_at=now)
        session.add(person)
    person.display_name = display_name
    person.role = invite.role
    person.unit = invite.unit
    person.unit_id = invite.unit_id
    person.department = invite.department
    person.active = True
    person.updated_at = now
    await session.flush()
    return person


# --- people --------------------------------------------------------------------------------


async def get_person(session: AsyncSession, telegram_id: int) -> Person | None:
    """The person with their unit, in one query (a join, not a second "selectin" query)."""
    result = await session.execute(
        select(Person).options(joinedload(Person.unit)).where(Person.telegram_id == telegram_id)
    )
    return result.scalar_one_or_none()


async def list_people(
    session: AsyncSession,
    *,
    role: Role | None = None,
    unit_code: str | None = None,
    department: str | None = None,
    active_only: bool = True,
) -> Sequence[Person]:
    """People matching every given filter, by telegram id (e.g. the contacts of a Sở)."""
    stmt = select(Person).order_by(Person.telegram_id)
    if role is not None:
        stmt = stmt.where(Person.role == Role(role).value)
    if unit_code is not None:
        stmt = stmt.join(Unit, Person.unit_id == Unit.id).where(Unit.code == unit_code)
    if department is not None:
        stmt = stmt.where(Person.department == department)
    if active_only:
        stmt = stmt.where(Person.active.is_(True))
    result = await session.execute(stmt)
    return result.scalars().all()


async def staff_among(
    session: AsyncSession, telegram_ids: Collection[int], admin_ids: Collection[int]
) -> set[int]:
    """Those of ``telegram_ids`` who are active officers, coordinators or admins."""
    found = await session.execute(
        select(Person.telegram_id).where(
            Person.telegram_id.in_(list(telegram_ids)),
            Person.active.is_(True),
            Person.role.in_([Role.OFFICER.value, Role.COORDINATOR.value, Role.ADMIN.value]),
        )
    )
    return set(found.scalars()) | (set(telegram_ids) & set(admin_ids))


def effective_role(person: Person | None, telegram_id: int, admin_ids: Collection[int]) -> Role:
    """ADMIN_IDS win; unknown or deactivated people are guests."""
    if telegram_id in admin_ids:
        return Role.ADMIN
    if person is None or not person.active:
        return Role.GUEST
    try:
        return Role(person.role)
    except ValueError:
        return Role.GUEST


async def set_active(session: AsyncSession, telegram_id: int, active: bool) -> Person:
    person = await get_person(session, telegram_id)
    if person is None:
        raise UnknownPerson()
    person.active = active
    await session.flush()
    return person
