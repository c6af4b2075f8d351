"""Units, invites and registration: what is stored, and that failures change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Invite, Person
from bot.errors import CchcError
from bot.services.people import (
    InviteInvalid,
    Role,
    UnknownPerson,
    UnknownUnit,
    add_unit,
    create_invite,
    effective_role,
    get_person,
    get_unit,
    invite_link,
    is_invite_code,
    list_people,
    list_units,
    redeem_invite,
    set_active,
)

Factory = async_sessionmaker[AsyncSession]
NOW = datetime(2021, 11, 5, 1, 30, tzinfo=UTC)
TTL = timedelta(days=7)
OFFICER_ID = 1001
OTHER_ID = 1002


@pytest.fixture
async def units(session_factory: Factory) -> None:
    async with session_factory.begin() as session:
        await add_unit(session, "huyen-an-phu", "Huyện An Phú")
        await add_unit(session, "xa-phu-hoi", "Xã Phú Hội", kind="xa")


async def _invite(
    factory: Factory,
    role: Role = Role.OFFICER,
    unit_code: str | None = "huyen-an-phu",
    department: str | None = "TP",
    ttl: timedelta = TTL,
) -> Invite:
    async with factory.begin() as session:
        return await create_invite(
            session,
            role=role,
            unit_code=unit_code,
            department=department,
            created_by=9,
            ttl=ttl,
            now=NOW,
        )


async def _redeem(
    factory: Factory, code: str, telegram_id: int = OFFICER_ID, now: datetime = NOW
) -> Person:
    async with factory.begin() as session:
        return await redeem_invite(
            session, code=code, telegram_id=telegram_id, display_name="Nguyễn Văn An", now=now
        )


async def _people(factory: Factory) -> Sequence[Person]:
    async with factory() as session:
        return (await session.execute(select(Person).order_by(Person.id))).scalars().all()


async def _stored_invite(factory: Factory, code: str) -> Invite:
    async with factory() as session:
        return (await session.execute(select(Invite).where(Invite.code == code))).scalar_one()


# --- units -----------------------------------------------------------------------------------


async def test_add_unit_is_idempotent(session_factory: Factory, units: None) -> None:
    async with session_factory.begin() as session:
        again = await add_unit(session, "huyen-an-phu", "Huyện An Phú (mới)")
    async with session_factory() as session:
        listed = await list_units(session)
        stored = await get_unit(session, "huyen-an-phu")
        assert await get_unit(session, "khong-co") is None
    assert [u.code for u in listed] == ["huyen-an-phu", "xa-phu-hoi"]
    assert stored is not None and stored.id == again.id
    assert stored.name == "Huyện An Phú (mới)"
    assert stored.created_at.tzinfo is not None
    assert [u.kind for u in listed] == ["huyen", "xa"]


async def test_add_unit_rejects_unknown_kind(session_factory: Factory) -> None:
    async with session_factory() as session:
        with pytest.raises(ValueError):
            await add_unit(session, "thon-a", "Thôn A", kind="thon")  # no such level


# --- invites ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "unit_code", "department"),
    [
        (Role.OFFICER, "xa-phu-hoi", "TP"),
        (Role.COORDINATOR, "huyen-an-phu", "NV"),
        (Role.COORDINATOR, "huyen-an-phu", None),
        (Role.CONTACT, None, "STP"),
    ],
)
async def test_create_and_redeem_invite_for_each_role(
    session_factory: Factory,
    units: None,
    role: Role,
    unit_code: str | None,
    department: str | None,
) -> None:
    invite = await _invite(session_factory, role, unit_code, department)
    assert is_invite_code(invite.code) and 16 <= len(invite.code) <= 24
    assert invite.expires_at == NOW + TTL
    assert invite.used_at is None
    assert invite_link("TroLyCchcBot", invite.code) == (
        f"https://t.me/TroLyCchcBot?start={invite.code}"
    )

    person = await _redeem(session_factory, invite.code)
    assert person.role == role.value

    async with session_factory() as session:
        stored = await get_person(session, OFFICER_ID)
    assert stored is not None
    assert stored.role == role.value
    assert stored.display_name == "Nguyễn Văn An"
    assert stored.department == department
    assert stored.active is True
    assert (stored.unit.code if stored.unit else None) == unit_code
    used = await _stored_invite(session_factory, invite.code)
    assert used.used_at == NOW
    assert used.used_by == OFFICER_ID


async def test_invite_codes_are_unique(session_factory: Factory, units: None) -> None:
    codes = {(await _invite(session_factory)).code for _ in range(20)}
    assert len(codes) == 20


async def test_invite_link_strips_at_sign() -> None:
    assert invite_link("@TroLyBot", "abc") == "https://t.me/TroLyBot?start=abc"


@pytest.mark.parametrize(
    ("role", "unit_code", "department", "error"),
    [
        (Role.OFFICER, None, "TP", UnknownUnit),
        (Role.COORDINATOR, None, None, UnknownUnit),
        (Role.OFFICER, "huyen-khong-co", "TP", UnknownUnit),
        (Role.OFFICER, "huyen-an-phu", None, CchcError),
        (Role.CONTACT, None, None, CchcError),
        (Role.CONTACT, None, "  ", CchcError),
        (Role.ADMIN, "huyen-an-phu", None, CchcError),
        (Role.GUEST, None, None, CchcError),
    ],
)
async def test_create_invite_refuses(
    session_factory: Factory,
    units: None,
    role: Role,
    unit_code: str | None,
    department: str | None,
    error: type[CchcError],
) -> None:
    with pytest.raises(error) as raised:
        await _invite(session_factory, role, unit_code, department)
    assert raised.value.user_message
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == 0


async def test_redeem_updates_an_existing_person(session_factory: Factory, units: None) -> None:
    first = await _invite(session_factory, Role.OFFICER, "xa-phu-hoi", "TP")
    await _redeem(session_factory, first.code)
    async with session_factory.begin() as session:
        await set_active(session, OFFICER_ID, False)

    second = await _invite(session_factory, Role.COORDINATOR, "huyen-an-phu", None)
    await _redeem(session_factory, second.code, now=NOW + timedelta(hours=1))

    people = await _people(session_factory)
    assert len(people) == 1
    person = people[0]
    assert (person.role, person.department, person.active) == ("coordinator", None, True)
    assert person.unit is not None and person.unit.code == "huyen-an-phu"
    assert person.updated_at == NOW + timedelta(hours=1)


# --- redemption failures change nothing ------------------------------------------------------


async def _assert_nothing_changed(factory: Factory, code: str | None = None) -> None:
    assert await _people(factory) == []
    if code is not None:
        invite = await _stored_invite(factory, code)
        assert invite.used_at is None and invite.used_by is None


async def test_redeem_used_invite(session_factory: Factory, units: None) -> None:
    invite = await _invite(session_factory)
    await _redeem(session_factory, invite.code, OFFICER_ID)

    with pytest.raises(InviteInvalid) as raised:
        await _redeem(session_factory, invite.code, OTHER_ID)

    assert raised.value.reason == "used"
    assert raised.value.user_message == "Mã mời đã được sử dụng. Hãy xin mã mới từ Phòng Nội vụ."
    assert [p.telegram_id for p in await _people(session_factory)] == [OFFICER_ID]
    assert (await _stored_invite(session_factory, invite.code)).used_by == OFFICER_ID


async def test_redeem_expired_invite(session_factory: Factory, units: None) -> None:
    invite = await _invite(session_factory, ttl=timedelta(hours=2))
    # Still fine one second before the end ...
    async with session_factory() as session:  # rolled back: nothing is kept
        await redeem_invite(
            session,
            code=invite.code,
            telegram_id=OFFICER_ID,
            display_name="A",
            now=NOW + timedelta(hours=2) - timedelta(seconds=1),
        )
    # ... expired at the end.
    with pytest.raises(InviteInvalid) as raised:
        await _redeem(session_factory, invite.code, now=NOW + timedelta(hours=2))
    assert raised.value.reason == "expired"
    assert "hết hạn" in raised.value.user_message
    await _assert_nothing_changed(session_factory, invite.code)


async def test_redeem_unknown_invite(session_factory: Factory, units: None) -> None:
    invite = await _invite(session_factory)
    unknown = "A" * len(invite.code)
    assert is_invite_code(unknown)
    with pytest.raises(InviteInvalid) as raised:
        await _redeem(session_factory, unknown)
    assert raised.value.reason == "unknown"
    assert "không tồn tại" in raised.value.user_message
    await _assert_nothing_changed(session_factory, invite.code)


@pytest.mark.parametrize(
    "code", ["", "abc", "x" * 25, "mã-mời-có-dấu-xxxx", "abc def ghi jkl mno", "a/b?c=d&e=fghijk"]
)
async def test_redeem_malformed_invite(session_factory: Factory, units: None, code: str) -> None:
    invite = await _invite(session_factory)
    with pytest.raises(InviteInvalid) as raised:
        await _redeem(session_factory, code)
    assert raised.value.reason == "malformed"
    assert "không hợp lệ" in raised.value.user_message
    await _assert_nothing_changed(session_factory, invite.code)


def test_invite_invalid_reasons_are_checked() -> None:
    with pytest.raises(ValueError):
        InviteInvalid("other")


async def test_concurrent_double_redeem_has_one_winner(
    session_factory: Factory, units: None
) -> None:
    invite = await _invite(session_factory)
    started = asyncio.Event()

    async def redeem(telegram_id: int, hold: float) -> Person:
        async with session_factory.begin() as session:
            person = await redeem_invite(
                session, code=invite.code, telegram_id=telegram_id, display_name="X", now=NOW
            )
            started.set()
            # Keep the transaction open so that the other redemption really overlaps it.
            await asyncio.sleep(hold)
            return person

    async def late(telegram_id: int) -> Person:
        await started.wait()
        return await redeem(telegram_id, 0)

    results = await asyncio.gather(redeem(OFFICER_ID, 0.5), late(OTHER_ID), return_exceptions=True)

    winners = [r for r in results if isinstance(r, Person)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], InviteInvalid) and losers[0].reason == "used"
    people = await _people(session_factory)
    assert [p.telegram_id for p in people] == [winners[0].telegram_id]
    assert (await _stored_invite(session_factory, invite.code)).used_by == people[0].telegram_id


async def test_concurrent_redeem_race_without_ordering(
    session_factory: Factory, units: None
) -> None:
    invite = await _invite(session_factory)
    ids = list(range(2000, 2006))
    results = await asyncio.gather(
        *(_redeem(session_factory, invite.code, i) for i in ids), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, Person)]
    assert len(winners) == 1
    assert all(
        isinstance(r, InviteInvalid) and r.reason == "used"
        for r in results
        if not isinstance(r, Person)
    )
    assert [p.telegram_id for p in await _people(session_factory)] == [winners[0].telegram_id]


# --- roles and activity ----------------------------------------------------------------------


async def test_effective_role(session_factory: Factory, units: None) -> None:
    invite = await _invite(session_factory)
    await _redeem(session_factory, invite.code)
    async with session_factory() as session:
        officer = await get_person(session, OFFICER_ID)
    assert officer is not None
    admins = {OFFICER_ID, 7}

    assert effective_role(officer, OFFICER_ID, ()) is Role.OFFICER
    assert effective_role(officer, OFFICER_ID, admins) is Role.ADMIN
    assert effective_role(None, 7, admins) is Role.ADMIN
    assert effective_role(None, 8, admins) is Role.GUEST

    async with session_factory.begin() as session:
        inactive = await set_active(session, OFFICER_ID, False)
    assert effective_role(inactive, OFFICER_ID, ()) is Role.GUEST
    assert effective_role(inactive, OFFICER_ID, admins) is Role.ADMIN
    async with session_factory() as session:
        stored = await get_person(session, OFFICER_ID)
        assert stored is not None and stored.active is False


async def test_set_active_unknown_person(session_factory: Factory) -> None:
    async with session_factory() as session:
        with pytest.raises(UnknownPerson):
            await set_active(session, 404, True)


async def test_list_people_filters(session_factory: Factory, units: None) -> None:
    for telegram_id, role, unit, department in [
        (1, Role.OFFICER, "huyen-an-phu", "TP"),
        (2, Role.OFFICER, "xa-phu-hoi", "TP"),
        (3, Role.CONTACT, None, "STP"),
        (4, Role.CONTACT, None, "SNV"),
    ]:
        invite = await _invite(session_factory, role, unit, department)
        await _redeem(session_factory, invite.code, telegram_id)
    async with session_factory.begin() as session:
        await set_active(session, 2, False)

    async with session_factory() as session:
        contacts = await list_people(session, role=Role.CONTACT, department="STP")
        officers = await list_people(session, role=Role.OFFICER)
        everyone = await list_people(session, active_only=False)
        in_unit = await list_people(session, unit_code="huyen-an-phu")
    assert [p.telegram_id for p in contacts] == [3]
    assert [p.telegram_id for p in officers] == [1]
    assert [p.telegram_id for p in everyone] == [1, 2, 3, 4]
    assert [p.telegram_id for p in in_unit] == [1]
