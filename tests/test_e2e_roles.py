"""End to end: each role's "/" list as the running bot sets it over HTTP (setMyCommands)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.fakeapi import FakeBotAPI
from bot.services.people import Role
from tests.e2e import BotProcess, invite_code, labels, user_ids

pytestmark = pytest.mark.e2e

COORDINATOR_ONLY = {"tiendo", "cauhoi", "duyet", "moi"}


async def test_each_role_gets_its_own_commands(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    codes = {
        Role.OFFICER: await invite_code(session_factory, Role.OFFICER, "TP"),
        Role.COORDINATOR: await invite_code(session_factory, Role.COORDINATOR, "NV"),
        Role.CONTACT: await invite_code(session_factory, Role.CONTACT, "STP", unit=None),
    }
    await bot_process.start()
    guest_id, officer_id, coordinator_id, contact_id = user_ids(4)

    guest = api.user(guest_id, first_name="Lan")
    await guest.send("/start")
    await guest.wait_messages(1, timeout=10)
    guest_commands = api.commands_for(guest_id)
    assert {"start", "tieuchi", "trogiup"} <= set(guest_commands)
    assert not COORDINATOR_ONLY & set(guest_commands)
    assert "chamdiem" not in guest_commands and "phieu" not in guest_commands

    seen = {}
    for role, user_id in [
        (Role.OFFICER, officer_id),
        (Role.COORDINATOR, coordinator_id),
        (Role.CONTACT, contact_id),
    ]:
        user = api.user(user_id)
        await user.send(f"/start {codes[role]}")
        _, menu = await user.wait_messages(2, timeout=10)
        await api.wait_idle()
        seen[role] = (set(api.commands_for(user_id)), labels(menu))
    officer, coordinator, contact = seen[Role.OFFICER], seen[Role.COORDINATOR], seen[Role.CONTACT]
    assert {"chamdiem", "hoiso", "phieu"} <= officer[0] and not COORDINATOR_ONLY & officer[0]
    assert COORDINATOR_ONLY | {"chamdiem"} <= coordinator[0]
    assert "phieu" in contact[0] and not ({"chamdiem", "hoiso"} | COORDINATOR_ONLY) & contact[0]
    assert "📊 Tiến độ" in coordinator[1] and "📊 Tiến độ" not in officer[1]
    assert "📋 Phiếu chờ trả lời" in contact[1]
    # Every command set is one Telegram accepts, scoped to that person's chat only.
    scoped = [c for c in api.calls_of("setMyCommands") if c.get("scope", {}).get("type") == "chat"]
    assert {c["scope"]["chat_id"] for c in scoped} == {officer_id, coordinator_id, contact_id}
    # The default list, what every guest sees, still has no coordinator command.
    assert not COORDINATOR_ONLY & set(api.commands_for(guest_id))
    assert await bot_process.stop() == 0
