"""/start, invite registration, help, cancel, fallback, errors — through the real dispatcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Invite, Person
from bot.services.people import Role, add_unit, create_invite
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness


async def _invite(
    factory: async_sessionmaker[AsyncSession],
    role: Role = Role.OFFICER,
    department: str | None = "TP",
    ttl: timedelta = timedelta(hours=1),
) -> str:
    async with factory() as session, session.begin():
        await add_unit(session, "huyen-a", "UBND huyện A")
        invite = await create_invite(
            session,
            role=role,
            unit_code="huyen-a",
            department=department,
            created_by=None,
            ttl=ttl,
            now=datetime.now(UTC),
        )
        return invite.code


async def test_start_greets_guest_with_menu(harness: Harness) -> None:
    sent = await harness.send(harness.user(1, "Lan"), "/start")
    assert len(sent) == 1
    assert "Xin chào <b>Lan</b>" in sent[0].text
    assert "Vai trò của bạn: <b>Khách</b>" in sent[0].text
    assert "huyện" in sent[0].text.lower()
    texts = [t for t, _ in sent[0].buttons]
    assert "❓ Hỏi đáp" in texts and "ℹ️ Trợ giúp" in texts


async def test_admin_from_settings(harness: Harness) -> None:
    sent = await harness.send(harness.user(ADMIN_ID, "An"), "/start")
    assert "Vai trò của bạn: <b>Quản trị</b>" in sent[0].text


async def test_invite_registers_officer(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(session_factory)
    sent = await harness.send(harness.user(7, "Bình"), f"/start {code}")
    assert "Đăng ký thành công" in sent[0].text
    assert "Cán bộ" in sent[0].text and "UBND huyện A" in sent[0].text
    async with session_factory() as session:
        query = select(Person).where(Person.telegram_id == 7)
        person = (await session.execute(query)).scalar_one()
        assert (person.role, person.department, person.active) == ("officer", "TP", True)
        invite = (await session.execute(select(Invite).where(Invite.code == code))).scalar_one()
        assert invite.used_by == 7
    # The same code cannot be used twice, and the second user stays a guest.
    again = await harness.send(harness.user(8, "Chi"), f"/start {code}")
    assert "đã được sử dụng" in again[0].text
    async with session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Person))
        assert count == 1


async def test_bad_invite_codes_change_nothing(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    expired = await _invite(session_factory, ttl=timedelta(seconds=-1))
    for payload, words in [
        ("abc", "không hợp lệ"),
        ("A" * 20, "không tồn tại"),
        (expired, "hết hạn"),
    ]:
        sent = await harness.send(harness.user(11), f"/start {payload}")
        assert len(sent) == 1, payload
        assert words in sent[0].text.lower(), (payload, sent[0].text)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


async def test_help_and_cancel(harness: Harness) -> None:
    user = harness.user(3)
    help_sent = await harness.send(user, "/trogiup")
    assert "bạn là Khách" in help_sent[0].text and "/tieuchi" in help_sent[0].text
    cancel = await harness.send(user, "/huy")
    assert cancel[0].text == "Không có thao tác nào đang làm dở."


async def test_unknown_command_and_stale_button(harness: Harness) -> None:
    user = harness.user(4)
    sent = await harness.send(user, "/khonglenh")
    assert "Lệnh không rõ" in sent[0].text
    pressed = await harness.press(user, "zz:forged")
    assert pressed[0].method == "answerCallbackQuery"
    assert "hết hiệu lực" in pressed[0].text or pressed[0].show_alert


async def test_coordinator_makes_invite_in_chat(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(session_factory, role=Role.COORDINATOR, department="NV")
    coordinator = harness.user(20, "Hà")
    await harness.send(coordinator, f"/start {code}")
    ask_role = await harness.send(coordinator, "/moi")
    assert "Tạo đường dẫn mời" in ask_role[0].text
    # Typing instead of pressing keeps the step.
    typed = await harness.send(coordinator, "cán bộ")
    assert "Hãy chọn bằng các nút" in typed[0].text
    # A command in the middle is that command, not a typed choice; the step stays.
    other = await harness.send(coordinator, "/hanchot")
    assert other and all("Hãy chọn bằng các nút" not in s.text for s in other)
    depts = await harness.press(coordinator, ask_role[0].button("Cán bộ phòng"))
    prompt = next(s for s in depts if s.method == "sendMessage")
    assert "Phòng Tư pháp" in [t for t, _ in prompt.buttons]
    done = await harness.press(coordinator, prompt.button("Phòng Tư pháp"))
    link = next(s for s in done if s.method == "sendMessage").text
    assert "https://t.me/TroLyCCHCBot?start=" in link
    new_code = link.split("?start=")[1].split()[0]
    async with session_factory() as session:
        query = select(Invite).where(Invite.code == new_code)
        invite = (await session.execute(query)).scalar_one()
        assert (invite.role, invite.department, invite.created_by) == ("officer", "TP", 20)


async def test_officer_cannot_reach_invites(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(session_factory)
    officer = harness.user(21)
    await harness.send(officer, f"/start {code}")
    sent = await harness.send(officer, "/moi")
    assert "Lệnh không rõ hoặc bạn chưa có quyền" in sent[0].text
    forged = await harness.press(officer, "i:dept:TP")
    assert forged[0].method == "answerCallbackQuery" and forged[0].show_alert
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == 1


async def test_registration_names_department_not_code(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(session_factory, department="TP")
    sent = await harness.send(harness.user(30), f"/start {code}")
    assert "Phòng Tư pháp" in sent[0].text and " TP" not in sent[0].text
    contact = await _invite(session_factory, role=Role.CONTACT, department="STP")
    sent = await harness.send(harness.user(31), f"/start {contact}")
    assert "Sở Tư pháp" in sent[0].text and "STP" not in sent[0].text


async def _stored(factory: async_sessionmaker[AsyncSession], user_id: int) -> tuple[str, ...]:
    async with factory() as session:
        person = (
            await session.execute(select(Person).where(Person.telegram_id == user_id))
        ).scalar_one()
        return (person.role, person.department or "")


async def test_registered_person_confirms_before_an_invite_changes_them(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = harness.user(32, "Hà")
    await harness.send(
        coordinator, f"/start {await _invite(session_factory, Role.COORDINATOR, 'NV')}"
    )
    officer_code = await _invite(session_factory, Role.OFFICER, "TP")
    asked = await harness.send(coordinator, f"/start {officer_code}")
    assert len(asked) == 1
    text = asked[0].text
    assert "Bạn đã đăng ký rồi" in text
    assert "Hiện tại: <b>Điều phối (Phòng Nội vụ)</b> · UBND huyện A · Phòng Nội vụ" in text
    assert "đổi thành: <b>Cán bộ</b> · UBND huyện A · Phòng Tư pháp" in text
    # Nothing changed yet, the invite is still unused.
    assert await _stored(session_factory, 32) == ("coordinator", "NV")
    async with session_factory() as session:
        invite = (
            await session.execute(select(Invite).where(Invite.code == officer_code))
        ).scalar_one()
        assert invite.used_at is None
    kept = await harness.press(coordinator, asked[0].button("Giữ như cũ"))
    assert "giữ nguyên" in next(s for s in kept if s.method == "sendMessage").text
    assert await _stored(session_factory, 32) == ("coordinator", "NV")
    changed = await harness.press(coordinator, asked[0].button("✅ Đổi"))
    assert "Đăng ký thành công" in next(s for s in changed if s.method == "sendMessage").text
    assert await _stored(session_factory, 32) == ("officer", "TP")
    # The invite is now used: pressing again changes nothing and says why.
    again = await harness.press(coordinator, asked[0].button("✅ Đổi"))
    assert again[0].show_alert and "đã được sử dụng" in again[0].text


async def test_same_invite_again_changes_nothing_and_keeps_the_paused_step(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = harness.user(33)
    await harness.send(officer, f"/start {await _invite(session_factory)}")
    await harness.send(officer, "/hoiso")  # waiting for the question
    same = await harness.send(officer, f"/start {await _invite(session_factory)}")
    assert "Không có gì thay đổi" in same[0].text and not same[0].buttons
    typed = await harness.send(officer, "Hồ sơ trễ hạn có phải xin lỗi không?")
    assert "Xem lại câu hỏi trước khi gửi" in typed[0].text  # the step was kept
