"""The evidence step means something: references read back to confirm, links validated,
questions and typos refused with a hint, each item listed with ✏️/🗑 (audited, refused when
locked), and an explanation that says something."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AuditLog, Evidence
from tests.handlers.test_scoring import _aid, _answers, _count, _msg, _person
from tests.handlers.test_scoring_honest import _answers_to_press, _lock
from tests.recording import Harness, Sent


async def _to_evidence(harness: Harness, factory: async_sessionmaker[AsyncSession]) -> Sent:
    await _person(factory, 20)
    me = harness.user(20)
    overview = _msg(await harness.send(me, "/chamdiem"))
    step = _msg(await harness.press(me, overview.button("▶️ Chấm tiếp")))
    confirm = _msg(await harness.press(me, step.button("✅ Có")))
    evidence = _msg(await harness.press(me, confirm.button("💾 Lưu")))
    assert "Tài liệu kiểm chứng — tiêu chí 2.1" in evidence.text
    return evidence


async def test_questions_typos_bad_dates_and_bad_links_are_refused_with_a_hint(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _to_evidence(harness, session_factory)
    me = harness.user(20)
    for text, words in [
        ("danh mục có cần đóng dấu không?", "có vẻ là một câu hỏi"),
        ("abc", "Nội dung quá ngắn"),
        ("Quyết định 12/QĐ-UBND ngày 31/02/2021", "Ngày văn bản không có thật"),
        ("https://bad host/x", "Đường link không hợp lệ"),
        ("http://localhost", "Đường link không hợp lệ"),
    ]:
        bad = _msg(await harness.send(me, text))
        assert words in bad.text, (text, bad.text)
        assert "Tài liệu kiểm chứng — tiêu chí 2.1" in bad.text  # the step again
    assert await _count(session_factory, Evidence) == 0
    assert (await _answers(session_factory))["2.1"].evidence_status == "pending"

    # A valid link is kept at once, as typed (www. gets its https://).
    got = _msg(await harness.send(me, "www.vbpl.vn/huyen-a/dm-2021"))
    assert "Đã nhận đường link: https://www.vbpl.vn/huyen-a/dm-2021" in got.text


async def test_each_item_is_listed_edited_and_removed_with_an_audit(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _to_evidence(harness, session_factory)
    me = harness.user(20)
    preview = _msg(await harness.send(me, "Kế hoạch 45/KH-UBND ngày 12/3/2021"))
    assert "Văn bản: Kế hoạch" in preview.text and "Ngày: <b>12/03/2021</b>" in preview.text
    retyped = _msg(await harness.press(me, preview.button("✏️ Gõ lại")))
    assert "Chưa lưu" in retyped.text
    assert await _count(session_factory, Evidence) == 0
    preview = _msg(await harness.send(me, "Kế hoạch 46/KH-UBND ngày 12/3/2021"))
    listed = _msg(await harness.press(me, preview.button("✅ Đúng, lưu")))
    listed = _msg(await harness.send(me, "https://vbpl.vn/huyen-a/kh-46"))
    assert "Đã nhận 2 tài liệu" in listed.text
    assert "1. 📄 Kế hoạch 46/KH-UBND" in listed.text and "2. 🔗 https://vbpl.vn" in listed.text
    labels = [text for text, _ in listed.buttons]
    assert labels[:4] == ["✏️ 1", "🗑 1", "✏️ 2", "🗑 2"]

    # ✏️ 1: the new text is read back, then replaces the item.
    editing = _msg(await harness.press(me, listed.button("✏️ 1")))
    assert "Đang sửa tài liệu 1" in editing.text
    preview = _msg(await harness.send(me, "Kế hoạch 47/KH-UBND ngày 13/3/2021"))
    assert "sửa thành" in preview.text
    edited = _msg(await harness.press(me, preview.button("✅ Đúng, lưu")))
    assert "Đã sửa tài liệu: Kế hoạch 47/KH-UBND" in edited.text
    # 🗑 2, then 🗑 1: nothing left, the criterion needs evidence again.
    removed = _msg(await harness.press(me, edited.button("🗑 2")))
    assert "Đã xóa tài liệu: https://vbpl.vn/huyen-a/kh-46" in removed.text
    removed = _msg(await harness.press(me, removed.button("🗑 1")))
    assert await _count(session_factory, Evidence) == 0
    assert (await _answers(session_factory))["2.1"].evidence_status == "pending"
    async with session_factory() as session:
        actions = [
            a.action
            for a in (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars()
        ]
    assert actions[-5:] == [
        "evidence",
        "evidence",
        "evidence_edit",
        "evidence_remove",
        "evidence_remove",
    ]


async def test_removing_evidence_is_refused_once_locked(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _to_evidence(harness, session_factory)
    me = harness.user(20)
    listed = _msg(await harness.send(me, "https://vbpl.vn/huyen-a/kh-46"))
    await _lock(session_factory, await _aid(session_factory))
    sent = await harness.press(me, listed.button("🗑 1"))
    (answer,) = _answers_to_press(sent)
    assert answer.show_alert and "khóa" in answer.text
    assert await _count(session_factory, Evidence) == 1


async def test_an_explanation_must_say_something(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    evidence = await _to_evidence(harness, session_factory)
    me = harness.user(20)
    prompt = _msg(await harness.press(me, evidence.button("✍️ Không có")))
    assert "ít nhất 20 ký tự" in prompt.text
    bad = _msg(await harness.send(me, "7"))
    assert "Giải trình quá ngắn" in bad.text
    assert (await _answers(session_factory))["2.1"].explanation_text is None
    ok = _msg(await harness.send(me, "Năm 2021 không ban hành văn bản QPPL nào"))
    assert "Đã lưu giải trình" in ok.text
    assert (await _answers(session_factory))["2.1"].evidence_status == "explained"
