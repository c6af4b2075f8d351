"""Every role finds its way: its own "/" list, its own help and menu, buttons that act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import DeleteMyCommands, SetMyCommands
from aiogram.types import BotCommandScopeChat
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people import Role, add_unit, create_invite
from handlers.callbacks import MenuCb
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness

COORDINATOR_ONLY = {"tiendo", "cauhoi", "duyet", "moi"}


async def _register(
    harness: Harness,
    factory: async_sessionmaker[AsyncSession],
    user_id: int,
    role: Role,
    department: str,
) -> None:
    async with factory() as session, session.begin():
        await add_unit(session, "huyen-a", "UBND huyện A")
        invite = await create_invite(
            session,
            role=role,
            unit_code=None if role is Role.CONTACT else "huyen-a",
            department=department,
            created_by=None,
            ttl=timedelta(hours=1),
            now=datetime.now(UTC),
        )
        code = invite.code
    await harness.send(harness.user(user_id), f"/start {code}")


def _commands_of(harness: Harness, chat_id: int) -> list[str] | None:
    """The last "/" list set for this chat (None if none was set, [] if deleted)."""
    found: list[str] | None = None
    for method in harness.session.requests:
        scope = getattr(method, "scope", None)
        if not isinstance(scope, BotCommandScopeChat) or scope.chat_id != chat_id:
            continue
        if isinstance(method, SetMyCommands):
            found = [c.command for c in method.commands]
        elif isinstance(method, DeleteMyCommands):
            found = []
    return found


ROLES = [
    (Role.OFFICER, "TP", {"chamdiem", "hoiso", "phieu", "tieuchi"}),
    (Role.COORDINATOR, "NV", {"tiendo", "cauhoi", "duyet", "moi", "chamdiem", "hanchot"}),
    (Role.CONTACT, "STP", {"phieu", "tieuchi"}),
]


@pytest.mark.parametrize(("role", "department", "expected"), ROLES)
async def test_registration_sets_the_roles_commands(
    harness: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    role: Role,
    department: str,
    expected: set[str],
) -> None:
    await _register(harness, session_factory, 50, role, department)
    commands = _commands_of(harness, 50)
    assert commands is not None and expected <= set(commands)
    assert {"start", "trogiup", "huy"} <= set(commands)
    if role is not Role.COORDINATOR:
        assert not COORDINATOR_ONLY & set(commands), commands
    if role is Role.CONTACT:
        assert "chamdiem" not in commands and "hoiso" not in commands


async def test_guest_start_sets_no_list_and_admin_gets_everything(harness: Harness) -> None:
    await harness.send(harness.user(51), "/start")
    assert _commands_of(harness, 51) is None  # the default list (guests') applies
    await harness.send(harness.user(ADMIN_ID), "/start")
    admin = _commands_of(harness, ADMIN_ID)
    assert admin is not None and COORDINATOR_ONLY | {"phieu", "chamdiem"} <= set(admin)


@pytest.mark.parametrize(
    ("role", "department", "words", "buttons"),
    [
        (Role.OFFICER, "TP", "bạn là Cán bộ", ["📝 Chấm điểm", "📨 Hỏi Sở", "🎫 Phiếu của tôi"]),
        (
            Role.COORDINATOR,
            "NV",
            "bạn là Điều phối",
            ["📊 Tiến độ", "🙋 Câu hỏi chờ xử lý", "✅ Duyệt câu trả lời", "🔗 Mời người dùng"],
        ),
        (Role.CONTACT, "STP", "bạn là Đầu mối Sở", ["📋 Phiếu chờ trả lời"]),
    ],
)
async def test_help_is_the_roles_own(
    harness: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    role: Role,
    department: str,
    words: str,
    buttons: list[str],
) -> None:
    await _register(harness, session_factory, 52, role, department)
    (sent,) = await harness.send(harness.user(52), "/trogiup")
    assert words in sent.text
    labels = [t for t, _ in sent.buttons]
    assert 3 <= len(labels) <= 5
    assert all(b in labels for b in buttons), labels
    menu = await harness.send(harness.user(52), "/start")
    assert all(b in [t for t, _ in menu[0].buttons] for b in buttons)


async def test_guest_help_has_no_staff_things(harness: Harness) -> None:
    (sent,) = await harness.send(harness.user(53), "/trogiup")
    labels = [t for t, _ in sent.buttons]
    assert labels == ["❓ Hỏi đáp", "📚 Tra cứu tiêu chí", "📅 Thời hạn"]
    assert "/tiendo" not in sent.text and "/chamdiem" not in sent.text
    assert "đường dẫn mời" in sent.text


async def test_menu_button_opens_the_journey(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _register(harness, session_factory, 54, Role.COORDINATOR, "NV")
    coordinator = harness.user(54)
    progress = await harness.press(coordinator, MenuCb(action="progress").pack())
    assert progress[0].method == "answerCallbackQuery"
    shown = [s for s in progress if s.method == "sendMessage"]
    assert shown and "UBND huyện A" in shown[0].text
    invite = await harness.press(coordinator, MenuCb(action="invite").pack())
    assert "Tạo đường dẫn mời" in next(s for s in invite if s.method == "sendMessage").text


async def test_forged_menu_button_of_another_role_is_refused(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _register(harness, session_factory, 55, Role.OFFICER, "TP")
    sent = await harness.press(harness.user(55), MenuCb(action="progress").pack())
    shown = [s for s in sent if s.method == "sendMessage"]
    assert len(shown) == 1 and "chưa có quyền" in shown[0].text
    guest = await harness.press(harness.user(56), MenuCb(action="invite").pack())
    assert "chưa có quyền" in next(s for s in guest if s.method == "sendMessage").text
