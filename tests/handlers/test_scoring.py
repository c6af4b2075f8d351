"""/chamdiem through the real dispatcher: every input type, validation, evidence, navigation,
pause and resume, a question mid-way, and forged or old buttons — asserting the database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from aiogram.types import Chat, Document, Message, PhotoSize, Update, User
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Assessment, AuditLog, Evidence, Person, Unit
from bot.services.people import add_unit
from handlers.callbacks import ScoreCb
from tests.recording import Harness, Sent

_ids = itertools.count(5000)


async def _person(
    factory: async_sessionmaker[AsyncSession],
    telegram_id: int,
    role: str = "officer",
    department: str | None = "TP",
    unit_code: str | None = "huyen-a",
) -> None:
    async with factory() as session, session.begin():
        unit_id = None
        if unit_code:
            unit_id = (await add_unit(session, unit_code, f"UBND {unit_code}")).id
        session.add(
            Person(
                telegram_id=telegram_id,
                display_name="x",
                role=role,
                unit_id=unit_id,
                department=department,
            )
        )


async def _answers(factory: async_sessionmaker[AsyncSession]) -> dict[str, Answer]:
    async with factory() as session:
        rows = (await session.execute(select(Answer))).scalars().all()
        return {a.code: a for a in rows}


async def _count(factory: async_sessionmaker[AsyncSession], model: type) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _aid(factory: async_sessionmaker[AsyncSession], unit_code: str = "huyen-a") -> int:
    async with factory() as session:
        query = select(Assessment.id).join(Unit).where(Unit.code == unit_code)
        return int((await session.execute(query)).scalar_one())


def _msg(sent: list[Sent]) -> Sent:
    """The last message the bot sent (not a callback answer)."""
    messages = [s for s in sent if s.method == "sendMessage"]
    assert messages, sent
    return messages[-1]


def _alert(sent: list[Sent]) -> Sent:
    answers = [s for s in sent if s.method == "answerCallbackQuery"]
    assert answers and answers[0].show_alert, sent
    assert not [s for s in sent if s.method == "sendMessage"], sent
    return answers[0]


async def _file(harness: Harness, user: User, *, photo: bool = False) -> list[Sent]:
    message = Message(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        document=None
        if photo
        else Document(file_id="DOC-1", file_unique_id="u1", file_name="ke-hoach.pdf"),
        photo=[PhotoSize(file_id="PHOTO-1", file_unique_id="p1", width=90, height=90)]
        if photo
        else None,
        caption="Ảnh chụp biên bản" if photo else None,
    )
    return await harness._feed(Update(update_id=next(_ids), message=message))


async def test_guest_and_people_without_unit_or_department(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    sent = await harness.send(harness.user(1), "/chamdiem")
    assert "xin đường dẫn mời" in sent[0].text and "Phòng Nội vụ" in sent[0].text
    forged = await harness.press(harness.user(1), ScoreCb(action="go", aid=1).pack())
    assert _alert(forged).text.startswith("Chức năng chấm điểm")

    await _person(session_factory, 2, department=None)
    sent = await harness.send(harness.user(2), "/chamdiem")
    assert "chưa gắn với phòng" in sent[0].text
    await _person(session_factory, 3, unit_code=None)
    sent = await harness.send(harness.user(3), "/chamdiem")
    assert "chưa gắn với đơn vị" in sent[0].text
    assert await _count(session_factory, Assessment) == 0


async def test_officer_scores_department_with_every_kind_of_step(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 10)
    me = harness.user(10)
    overview = _msg(await harness.send(me, "/chamdiem"))
    assert "░░░░░░░░░░ 0/6 tiêu chí · 0/6 điểm" in overview.text
    assert "Pháp luật" in overview.text or "2." in overview.text

    # 2.1 yes/no, with "không phát sinh" allowed.
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    assert "Tiêu chí 2.1" in step.text and "0/6 tiêu chí" in step.text
    labels = [text for text, _ in step.buttons]
    assert "🚫 Không phát sinh" in labels and "⏸ Tạm dừng" in labels
    typed = _msg(await harness.send(me, "có"))
    assert "hãy chọn bằng các nút" in typed.text
    confirm = _msg(await harness.press(me, step.button("✅ Có")))
    assert "Điểm tự chấm: 1/1" in confirm.text and "Có → 1 điểm" in confirm.text
    assert await _count(session_factory, Answer) == 0  # not saved before "Lưu"
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    assert "Đã lưu tiêu chí 2.1: 1/1 điểm" in evidence.text
    assert "▓░░░░░░░░░ 1/6 tiêu chí · 1/6 điểm" in evidence.text
    assert (await _answers(session_factory))["2.1"].evidence_status == "pending"

    preview = _msg(await harness.send(me, "Danh mục văn bản QPPL số 12/DM-UBND ngày 05/11/2021"))
    assert "Số: <b>12/DM-UBND</b>" in preview.text and "Ngày: <b>05/11/2021</b>" in preview.text
    assert await _count(session_factory, Evidence) == 0  # not kept before it is confirmed
    got = _msg(await harness.press(me, preview.button("✅ Đúng, lưu")))
    assert "Đã nhận văn bản" in got.text and "tổng 1 tài liệu" in got.text
    got = _msg(await harness.send(me, "https://vbpl.vn/huyen-a/dm-2021"))
    assert "Đã nhận đường link" in got.text
    got = _msg(await _file(harness, me))
    assert "ke-hoach.pdf" in got.text and "tổng 3 tài liệu" in got.text
    got = _msg(await _file(harness, me, photo=True))
    assert "tổng 4 tài liệu" in got.text
    async with session_factory() as session:
        items = (await session.execute(select(Evidence).order_by(Evidence.id))).scalars().all()
        assert [(e.kind, e.file_id, e.file_name) for e in items] == [
            ("text", None, None),
            ("link", None, None),
            ("file", "DOC-1", "ke-hoach.pdf"),
            ("photo", "PHOTO-1", "anh-p1.jpg"),
        ]
        assert items[0].text == "Danh mục văn bản QPPL số 12/DM-UBND ngày 05/11/2021"
    assert (await _answers(session_factory))["2.1"].evidence_status == "ok"

    # 2.2.1 yes/no without "không phát sinh": skip it for now.
    step = _msg(await harness.press(me, got.button("✅ Xong")))
    assert "Tiêu chí thành phần 2.2.1" in step.text
    assert "🚫 Không phát sinh" not in [text for text, _ in step.buttons]
    step = _msg(await harness.press(me, step.button("⏭ Bỏ qua")))
    assert "Đã bỏ qua tiêu chí thành phần 2.2.1" in step.text
    assert "Tiêu chí thành phần 2.2.2" in step.text

    # 2.2.2 ratio: validation, two steps, enter again.
    for text, words in [
        ("abc", "Vui lòng nhập một số"),
        ("5/4", "Tử số không được lớn hơn mẫu số"),
        ("0/0", "Mẫu số phải lớn hơn 0"),
        ("1/2/3", "tử số/mẫu số"),
    ]:
        bad = _msg(await harness.send(me, text))
        assert words in bad.text, (text, bad.text)
        assert "Tiêu chí thành phần 2.2.2" in bad.text  # the step is shown again
    assert set(await _answers(session_factory)) == {"2.1"}
    ask_den = _msg(await harness.send(me, "3"))
    assert "Đã ghi tử số <b>3</b>" in ask_den.text
    confirm = _msg(await harness.send(me, "4"))
    assert "3/4" in confirm.text and "75 %" in confirm.text and "0,5/1" in confirm.text
    again = _msg(await harness.press(me, confirm.button("🔁 Nhập lại")))
    assert "Tiêu chí thành phần 2.2.2" in again.text
    confirm = _msg(await harness.send(me, "4/4"))
    assert "Điểm tự chấm: 1/1" in confirm.text
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))

    # No evidence: a written explanation.
    prompt = _msg(await harness.press(me, evidence.button("✍️ Không có")))
    assert "giải trình" in prompt.text
    step = _msg(await harness.send(me, "Kiến nghị đã xử lý tại cuộc họp, không ban hành văn bản"))
    assert "Đã lưu giải trình" in step.text and "Tiêu chí 2.3" in step.text
    saved = (await _answers(session_factory))["2.2.2"]
    assert saved.evidence_status == "explained" and saved.points == Decimal(1)
    assert saved.explanation_text == "Kiến nghị đã xử lý tại cuộc họp, không ban hành văn bản"

    # 2.3 ratio with a "nothing found" case (0/0); evidence later.
    confirm = _msg(await harness.send(me, "0/0"))
    assert "Không phát hiện văn bản trái pháp luật → 1 điểm" in confirm.text
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    step = _msg(await harness.press(me, evidence.button("⏰ Bổ sung sau")))
    assert "tiêu chí 2.3 sẽ bổ sung tài liệu kiểm chứng sau" in step.text
    assert "Tiêu chí 2.4" in step.text
    assert (await _answers(session_factory))["2.3"].evidence_status == "missing"

    # 2.4 tiers: choose, go back from the confirmation, choose again.
    confirm = _msg(await harness.press(me, step.button("Có kế hoạch nhưng báo cáo chậm")))
    assert "0,5/1" in confirm.text
    step = _msg(await harness.press(me, confirm.button("⬅️ Quay lại")))
    assert "Chọn mức" in step.text
    confirm = _msg(await harness.press(me, step.button("Có kế hoạch và báo cáo đúng hạn")))
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    step = _msg(await harness.press(me, evidence.button("✅ Xong")))

    # 2.5 a sum rule, part by part; back from part 2 goes to part 1.
    assert "Tiêu chí 2.5" in step.text and "Phần 1/2" in step.text
    part2 = _msg(await harness.press(me, step.button("✅ Có")))
    assert "Phần 2/2" in part2.text
    part1 = _msg(await harness.press(me, part2.button("⬅️ Quay lại")))
    assert "Phần 1/2" in part1.text
    part2 = _msg(await harness.press(me, part1.button("✅ Có")))
    confirm = _msg(await harness.send(me, "8/10"))
    assert "tổng 1/1,5 điểm" in confirm.text
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))

    # The skipped 2.2.1 comes back last.
    step = _msg(await harness.press(me, evidence.button("✅ Xong")))
    assert "Tiêu chí thành phần 2.2.1" in step.text
    confirm = _msg(await harness.press(me, step.button("❌ Không")))
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    done = _msg(await harness.press(me, evidence.button("⏰ Bổ sung sau")))
    assert "Bạn đã chấm xong tất cả tiêu chí" in done.text
    assert "▓▓▓▓▓▓▓▓▓▓ 6/6 tiêu chí · 5/6 điểm" in done.text
    assert "Còn thiếu tài liệu kiểm chứng:</b> 2.2.1, 2.3, 2.4, 2.5" in done.text

    stored = await _answers(session_factory)
    assert {c: a.points for c, a in stored.items()} == {
        "2.1": Decimal(1),
        "2.2.1": Decimal(0),
        "2.2.2": Decimal(1),
        "2.3": Decimal(1),
        "2.4": Decimal(1),
        "2.5": Decimal(1),
    }
    assert all(a.author == 10 for a in stored.values())
    assert await _count(session_factory, AuditLog) == 6 + 4 + 1 + 2


async def test_not_applicable_edit_and_missing_list(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 11)
    me = harness.user(11)
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    confirm = _msg(await harness.press(me, step.button("🚫 Không phát sinh")))
    assert "loại khỏi tổng điểm" in confirm.text
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    assert "0/0 điểm" not in evidence.text and "1/6 tiêu chí · 0/5 điểm" in evidence.text
    stored = (await _answers(session_factory))["2.1"]
    assert stored.not_applicable and stored.excluded and stored.points == 0

    # Edit: pick the scored criterion, see its value, enter again.
    aid = await _aid(session_factory)
    listing = _msg(await harness.press(me, ScoreCb(action="pick", aid=aid).pack()))
    assert any(text.startswith("✅ 2.1 (không phát sinh)") for text, _ in listing.buttons)
    step = _msg(await harness.press(me, listing.button("✅ 2.1")))
    assert "Đã chấm:</b> không phát sinh, loại khỏi tổng điểm" in step.text
    assert "0/1" not in step.text
    confirm = _msg(await harness.press(me, step.button("✅ Có")))
    _msg(await harness.press(me, confirm.button("💾 Lưu")))
    stored = (await _answers(session_factory))["2.1"]
    assert (stored.points, stored.excluded) == (Decimal(1), False)

    missing = _msg(await harness.press(me, ScoreCb(action="miss", aid=aid).pack()))
    assert "thiếu tài liệu kiểm chứng" in missing.text
    evidence = _msg(await harness.press(me, missing.button("📎 2.1")))
    assert "Tài liệu kiểm chứng — tiêu chí 2.1" in evidence.text
    preview = _msg(await harness.send(me, "Công văn 5/UBND ngày 1/11/2021"))
    got = _msg(await harness.press(me, preview.button("✅ Đúng, lưu")))
    assert "tổng 1 tài liệu" in got.text
    again = _msg(await harness.press(me, ScoreCb(action="miss", aid=aid).pack()))
    assert "Không còn tiêu chí nào thiếu tài liệu kiểm chứng" in again.text


async def test_pause_resume_and_question_mid_way(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 12)
    me = harness.user(12)
    overview = _msg(await harness.send(me, "/chamdiem"))
    aid = await _aid(session_factory)
    opened = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="2.2.2").pack()))
    ask_den = _msg(await harness.send(me, "7"))
    assert "Đã ghi tử số" in ask_den.text

    # A question mid-way is answered, then the same step (the denominator) comes back.
    prompt = _msg(await harness.press(me, ask_den.button("❓ Hỏi")))
    assert "gõ câu hỏi" in prompt.text
    replies = await harness.send(me, "tỷ lệ hồ sơ giải quyết đúng hạn tính thế nào")
    messages = [s for s in replies if s.method == "sendMessage"]
    assert len(messages) == 2
    assert "Quay lại bước đang chấm" in messages[1].text
    assert "Đã ghi tử số <b>7</b>" in messages[1].text
    assert set(await _answers(session_factory)) == set()

    # Pause: free text is a question again; /chamdiem resumes the exact step.
    paused = _msg(await harness.press(me, messages[1].button("⏸ Tạm dừng")))
    assert "Đã tạm dừng" in paused.text
    free = _msg(await harness.send(me, "tiêu chí 3.4.1"))
    assert "Tiêu chí thành phần 3.4.1" in free.text
    resumed = _msg(await harness.send(me, "/chamdiem"))
    assert "Tiếp tục từ chỗ bạn đã dừng" in resumed.text
    assert "Đã ghi tử số <b>7</b>" in resumed.text
    confirm = _msg(await harness.send(me, "7"))
    assert "7/7" in confirm.text
    # /huy leaves; what was saved stays, and /chamdiem resumes where it left (the evidence).
    _msg(await harness.press(me, confirm.button("💾 Lưu")))
    cancelled = await harness.send(me, "/huy")
    assert "Đã hủy" in cancelled[0].text
    assert (await _answers(session_factory))["2.2.2"].points == Decimal(1)
    again = _msg(await harness.send(me, "/chamdiem"))
    assert "1/6 tiêu chí" in again.text
    assert "Tài liệu kiểm chứng — tiêu chí thành phần 2.2.2" in again.text
    del overview, opened


async def test_forged_and_old_buttons_change_nothing(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 13)
    await _person(session_factory, 14, unit_code="huyen-b")
    me = harness.user(13)
    await harness.send(harness.user(14), "/chamdiem")
    other_aid = await _aid(session_factory, "huyen-b")
    overview = _msg(await harness.send(me, "/chamdiem"))
    aid = await _aid(session_factory)
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    yes_21 = step.button("✅ Có")

    # A criterion of another department, another unit's assessment.
    for data in [
        ScoreCb(action="open", aid=aid, code="3.4.1").pack(),
        ScoreCb(action="y", aid=aid, code="3.1.1").pack(),
        ScoreCb(action="open", aid=other_aid, code="2.1").pack(),
        ScoreCb(action="y", aid=other_aid, code="2.1").pack(),
    ]:
        assert "không có quyền" in _alert(await harness.press(me, data)).text
    # A button of the right criterion but of another step, or of another criterion.
    confirm = _msg(await harness.press(me, yes_21))
    for data in [
        yes_21,
        ScoreCb(action="ok", aid=aid, code="2.2.1").pack(),
        ScoreCb(action="t", aid=aid, code="2.1", value=5).pack(),
        ScoreCb(action="none", aid=aid, code="2.1").pack(),
    ]:
        assert "bước cũ" in _alert(await harness.press(me, data)).text
    assert await _count(session_factory, Answer) == 0
    # A forged tier index on the right step is refused by the engine.
    step = _msg(await harness.press(me, confirm.button("⬅️ Quay lại")))
    assert "Tiêu chí 2.1" in step.text
    listing = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="2.4").pack()))
    bad = _msg(await harness.press(me, ScoreCb(action="t", aid=aid, code="2.4", value=9).pack()))
    assert "không hợp lệ" in bad.text
    assert await _count(session_factory, Answer) == 0
    assert await _count(session_factory, AuditLog) == 0
    del listing


async def test_coordinator_counts_deductions_and_locked_assessment(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _person(session_factory, 15, role="coordinator", department="NV")
    me = harness.user(15)
    overview = _msg(await harness.send(me, "/chamdiem"))
    assert "0/57 tiêu chí" in overview.text and "tất cả các phòng" in overview.text
    aid = await _aid(session_factory)

    # Deductions: a count, or the zero-if button.
    step = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="1.2").pack()))
    assert "báo cáo gửi chậm hạn" in step.text
    bad = _msg(await harness.send(me, "1,5"))
    assert "số nguyên" in bad.text
    confirm = _msg(await harness.send(me, "2"))
    assert "2 báo cáo gửi chậm hạn × 0,25 = −0,5 → 0,5/1 điểm" in confirm.text
    step = _msg(await harness.press(me, confirm.button("⬅️ Quay lại")))
    confirm = _msg(await harness.press(me, step.button("⛔")))
    assert "→ 0/1 điểm" in confirm.text
    _msg(await harness.press(me, confirm.button("💾 Lưu")))

    # Count.
    step = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="3.1.2").pack()))
    confirm = _msg(await harness.send(me, "2"))
    assert "0,5/0,5" in confirm.text
    _msg(await harness.press(me, confirm.button("💾 Lưu")))
    stored = await _answers(session_factory)
    assert stored["1.2"].points == 0 and stored["3.1.2"].points == Decimal("0.5")

    # Locked: nothing can be saved, and the overview says so.
    async with session_factory() as session, session.begin():
        assessment = await session.get(Assessment, aid)
        assert assessment is not None
        assessment.status = "locked"
    opened = _msg(await harness.press(me, ScoreCb(action="open", aid=aid, code="1.2").pack()))
    assert "đã được khóa để nộp" in opened.text
    assert "▶️ Chấm tiếp" not in [text for text, _ in opened.buttons]
    del step
