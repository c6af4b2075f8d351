"""/tiendo, bonus/penalty/survey results and evidence files, through the real dispatcher:
the flow, bad input, locked assessments, forged buttons, and the files sent back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from aiogram.methods import SendDocument, SendPhoto
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Assessment, AssessmentExtra, AuditLog, Evidence
from bot.services import assessments as svc
from handlers.callbacks import CoordCb, EvidenceCb, ExtraCb
from handlers.texts import coordination as texts
from tests.handlers.test_coordination import (
    COORDINATOR,
    OTHER_COORDINATOR,
    _alert,
    _assessment,
    _msg,
    _setup,
)
from tests.recording import Harness
from tests.test_export import OFFICER_TP

NOW = datetime(2021, 12, 1, 2, 0, tzinfo=UTC)


async def _extras(factory: async_sessionmaker[AsyncSession]) -> dict[tuple[str, str], object]:
    async with factory() as session:
        rows = (await session.execute(select(AssessmentExtra))).scalars().all()
    return {(r.kind, r.code): r.count if r.kind != svc.SURVEY else r.points for r in rows}


async def _actions(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with factory() as session:
        trail = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    return [(a.action, a.code) for a in trail]


def _x(unit: int, action: str, kind: str = "", code: str = "", value: int = 0) -> str:
    return ExtraCb(action=action, unit=unit, kind=kind, code=code, value=value).pack()


async def test_enter_bonus_penalty_and_survey(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _setup(session_factory)
    me = harness.user(COORDINATOR)
    overview = _msg(await harness.send(me, "/tiendo"))
    assert "thưởng +0; trừ −0" in overview.text and "chưa đủ điểm khảo sát" in overview.text
    listing = _msg(await harness.press(me, overview.button(texts.BTN_EXTRAS)))
    assert "Điểm thưởng, điểm trừ và khảo sát — UBND huyện A" in listing.text
    assert "Bị UBND tỉnh phê bình bằng văn bản về công tác CCHC" in listing.text
    assert "<b>chưa có</b>/12 điểm" in listing.text

    # A per-occurrence penalty: counts 0–3.
    item = _msg(await harness.press(me, listing.button("➖ 1")))
    assert (
        "Điểm trừ</b>: Bị UBND tỉnh phê bình" in item.text
        and "Hiện tại: <b>0 lần</b>" in item.text
    )
    assert [t for t, _ in item.buttons][:4] == ["0", "1", "2", "3"]
    listing = _msg(await harness.press(me, item.button("3")))
    assert "<b>3 lần</b>" in listing.text
    # A one-off penalty and a one-off bonus: yes/no.
    item = _msg(await harness.press(me, listing.button("➖ 2")))
    assert [t for t, _ in item.buttons][:2] == [texts.BTN_YES, texts.BTN_NO]
    listing = _msg(await harness.press(me, item.button(texts.BTN_YES)))
    item = _msg(await harness.press(me, listing.button("➕ 1")))
    listing = _msg(await harness.press(me, item.button(texts.BTN_YES)))
    # Penalty 3 + 1 = 4, capped at 3.
    assert "<b>Điểm trừ</b> (tính 3 điểm, tối đa 3)" in listing.text
    assert "<b>Điểm thưởng</b> (tính 1 điểm, tối đa 2)" in listing.text

    # Survey: bad input changes nothing and keeps waiting.
    prompt = _msg(await harness.press(me, listing.button("📋 8.1")))
    assert "điểm tỉnh công bố" in prompt.text and "từ 0 đến 12" in prompt.text
    for bad, words in [("chín", "⚠️"), ("12,5", "từ 0 đến 12"), ("-1", "⚠️")]:
        reply = _msg(await harness.send(me, bad))
        assert words in reply.text and "Chưa có gì thay đổi" in reply.text
    assert "đang chờ <b>điểm khảo sát</b>" in _msg(await harness.send(me, "/abc")).text
    assert ("survey", "8.1") not in await _extras(session_factory)
    sent = await harness.send(me, "9,5")
    assert "Đã lưu điểm khảo sát của tiêu chí <b>8.1</b>: 9,5 điểm" in sent[0].text
    assert "<b>9,5</b>/12 điểm" in _msg(sent).text
    await harness.press(me, _msg(sent).button("📋 8.2"))
    await harness.send(me, "15,25")

    assert await _extras(session_factory) == {
        ("penalty", "phe-binh"): 3,
        ("penalty", "bao-cao-tre-han"): 1,
        ("bonus", "khen-thuong"): 1,
        ("survey", "8.1"): Decimal("9.5"),
        ("survey", "8.2"): Decimal("15.25"),
    }
    assert await _actions(session_factory) == [
        ("penalty", "phe-binh"),
        ("penalty", "bao-cao-tre-han"),
        ("bonus", "khen-thuong"),
        ("survey", "8.1"),
        ("survey", "8.2"),
    ]
    # 6,5 self + 24,75 survey + 1 bonus − 3 penalty = 29,25 over 99 → 29,5454… %.
    overview = _msg(await harness.send(me, "/tiendo"))
    assert "Chỉ số tạm tính: <b>29,54 %</b>" in overview.text
    assert "thưởng +1; trừ −3; đã gồm điểm thưởng" in overview.text

    # Clearing a survey result.
    unit_a = (await _assessment(session_factory)).unit_id
    prompt = _msg(await harness.press(me, _x(unit_a, "it", "survey", "8.2")))
    listing = _msg(await harness.press(me, prompt.button(texts.BTN_CLEAR_SURVEY)))
    assert "<b>chưa có</b>/18 điểm" in listing.text
    assert ("survey", "8.2") in await _extras(session_factory)
    assert (await _extras(session_factory))[("survey", "8.2")] is None


async def test_locked_assessment_refuses_extras(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, _ = await _setup(session_factory)
    me = harness.user(COORDINATOR)
    await harness.press(me, _x(unit_a, "it", "survey", "8.1"))  # waiting for the points
    async with session_factory() as session, session.begin():
        assessment = await session.get(Assessment, (await _assessment(session_factory)).id)
        assert assessment is not None
        await svc.lock(session, assessment, COORDINATOR, NOW)
    assert _msg(await harness.send(me, "9")).text == texts.EXTRAS_LOCKED
    for data in [
        _x(unit_a, "it", "penalty", "phe-binh"),
        _x(unit_a, "set", "penalty", "phe-binh", 2),
        _x(unit_a, "clr", "survey", "8.1"),
    ]:
        assert _alert(await harness.press(me, data)).text == texts.EXTRAS_LOCKED
    listing = _msg(await harness.press(me, _x(unit_a, "ls")))
    assert "đã khóa: chỉ xem" in listing.text
    assert await _extras(session_factory) == {}
    assert await _actions(session_factory) == [("lock", None)]


async def test_forged_extra_buttons_change_nothing(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, unit_b = await _setup(session_factory)
    other = harness.user(OTHER_COORDINATOR)
    for data in [_x(unit_a, "ls"), _x(unit_a, "set", "penalty", "phe-binh", 3)]:
        assert _alert(await harness.press(other, data)).text == texts.FORBIDDEN
    me = harness.user(COORDINATOR)
    assert (
        _alert(await harness.press(me, _x(unit_a, "set", "bonus", "phe-binh", 1))).text
        == texts.EXTRA_STALE
    )
    assert (
        _alert(await harness.press(me, _x(unit_a, "it", "survey", "1.1.1"))).text
        == texts.EXTRA_STALE
    )
    # A one-off item claimed twice, or a count below zero.
    assert (
        "Số lần"
        in _alert(await harness.press(me, _x(unit_a, "set", "bonus", "khen-thuong", 2))).text
    )
    assert (
        "Số lần"
        in _alert(await harness.press(me, _x(unit_a, "set", "penalty", "phe-binh", -1))).text
    )
    # Officers have no coordinator buttons.
    officer_sent = await harness.press(
        harness.user(OFFICER_TP), _x(unit_a, "set", "penalty", "phe-binh", 1)
    )
    assert all("Điểm trừ" not in s.text for s in officer_sent)
    assert await _extras(session_factory) == {}
    assert await _actions(session_factory) == []
    # The other coordinator's own unit works.
    assert "UBND huyện B" in _msg(await harness.press(other, _x(unit_b, "ls"))).text


async def _add_evidence(
    factory: async_sessionmaker[AsyncSession], code: str, kind: str, file_id: str, name: str
) -> int:
    async with factory() as session, session.begin():
        answer = (await session.execute(select(Answer).where(Answer.code == code))).scalar_one()
        item = Evidence(answer_id=answer.id, kind=kind, file_id=file_id, file_name=name, author=7)
        session.add(item)
        await session.flush()
        return item.id


async def test_evidence_files_are_sent_to_the_coordinator(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, unit_b = await _setup(session_factory)
    photo_id = await _add_evidence(session_factory, "1.1.2", "photo", "PHOTO-NEW", "anh-n.jpg")
    await _add_evidence(session_factory, "1.1.2", "file", "PHOTO-OLD", "anh-o.jpg")
    me = harness.user(COORDINATOR)
    department = _msg(await harness.press(me, CoordCb(action="dep", unit=unit_a, dep="NV").pack()))
    view = _msg(await harness.press(me, department.button("1.1.2")))
    labels = [t for t, _ in view.buttons]
    assert labels[:3] == ["📎 1. bao-cao-ket-qua.pdf", "🖼 2. anh-n.jpg", "🖼 3. anh-o.jpg"]

    before = len(harness.session.requests)
    sent = await harness.press(me, view.button("📎 1."))
    documents = [r for r in harness.session.requests[before:] if isinstance(r, SendDocument)]
    assert [d.document for d in documents] == ["FILE-ID"]
    assert [s.text for s in sent if s.method == "sendDocument"] == [
        "Tài liệu kiểm chứng của tiêu chí thành phần <b>1.1.2</b>: bao-cao-ket-qua.pdf"
    ]
    before = len(harness.session.requests)
    await harness.press(me, view.button("🖼 2."))
    await harness.press(me, view.button("🖼 3."))  # an older photo stored as "file"
    photos = [r for r in harness.session.requests[before:] if isinstance(r, SendPhoto)]
    assert [p.photo for p in photos] == ["PHOTO-NEW", "PHOTO-OLD"]

    # Forged: another unit's coordinator, an evidence id of another unit, an unknown id.
    other = harness.user(OTHER_COORDINATOR)
    assert (
        _alert(await harness.press(other, EvidenceCb(unit=unit_a, id=photo_id).pack())).text
        == texts.EVIDENCE_FORBIDDEN
    )
    assert (
        _alert(await harness.press(other, EvidenceCb(unit=unit_b, id=photo_id).pack())).text
        == texts.EVIDENCE_FORBIDDEN
    )
    assert (
        _alert(await harness.press(me, EvidenceCb(unit=unit_a, id=99999).pack())).text
        == texts.EVIDENCE_FORBIDDEN
    )
    before = len(harness.session.requests)
    await harness.press(other, EvidenceCb(unit=unit_b, id=photo_id).pack())
    assert not [
        r for r in harness.session.requests[before:] if isinstance(r, SendPhoto | SendDocument)
    ]
