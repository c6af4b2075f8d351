"""/tiendo through the real dispatcher: progress, answers, return with a comment, lock and
reopen, chart and export, and forged buttons — asserting what is sent and what is stored."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.db.models import Answer, Assessment, AuditLog, OutboxMessage, Person, Unit
from bot.services import assessments as svc
from bot.services.outbox import OutboxSender
from bot.services.people import add_unit
from handlers.callbacks import CoordCb, ScoreCb
from handlers.texts import coordination as texts
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness, Sent
from tests.test_export import OFFICER_TP, SEEDS, current_set, seed_assessment

COORDINATOR = 100
OTHER_COORDINATOR = 200


async def _setup(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """Unit A with stored answers and its coordinator; unit B with its own; their ids."""
    await seed_assessment(factory)
    async with factory() as session, session.begin():
        a = await add_unit(session, "huyen-a", "UBND huyện A")
        b = await add_unit(session, "huyen-b", "UBND huyện B")
        session.add_all(
            [
                Person(
                    telegram_id=COORDINATOR,
                    display_name="Phạm Thu Hà",
                    role="coordinator",
                    unit_id=a.id,
                    department="NV",
                ),
                Person(
                    telegram_id=OTHER_COORDINATOR,
                    display_name="Đỗ Minh",
                    role="coordinator",
                    unit_id=b.id,
                    department="NV",
                ),
            ]
        )
        return a.id, b.id


def _msg(sent: list[Sent]) -> Sent:
    """The last message the bot sent or edited (not a callback answer)."""
    messages = [s for s in sent if s.method in ("sendMessage", "editMessageText")]
    assert messages, sent
    return messages[-1]


def _alert(sent: list[Sent]) -> Sent:
    answers = [s for s in sent if s.method == "answerCallbackQuery"]
    assert answers and answers[0].show_alert, sent
    assert not [s for s in sent if s.method != "answerCallbackQuery"], sent
    return answers[0]


async def _answer(factory: async_sessionmaker[AsyncSession], code: str) -> Answer:
    async with factory() as session:
        query = select(Answer).where(Answer.code == code)
        return (await session.execute(query)).scalar_one()


async def _assessment(factory: async_sessionmaker[AsyncSession]) -> Assessment:
    async with factory() as session:
        query = select(Assessment).join(Unit).where(Unit.code == "huyen-a")
        return (await session.execute(query)).scalar_one()


async def _audit(factory: async_sessionmaker[AsyncSession]) -> list[AuditLog]:
    async with factory() as session:
        return list((await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars())


def _cb(unit: int, action: str, dep: str = "", code: str = "") -> str:
    return CoordCb(action=action, unit=unit, dep=dep, code=code).pack()


async def test_progress_department_and_answer(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, _ = await _setup(session_factory)
    me = harness.user(COORDINATOR)
    overview = _msg(await harness.send(me, "/tiendo"))
    assert "Tiến độ tự chấm điểm — UBND huyện A" in overview.text
    assert "đang tự chấm" in overview.text
    # Phòng Tư pháp: 2.1 and 2.5 scored of its 7 leaves, 2.5 missing evidence.
    tp = len(svc.assigned_leaves(current_set(), "TP"))
    assert f"<b>Phòng Tư pháp</b>: 2/{tp} tiêu chí · 1,25/" in overview.text
    assert "thiếu tài liệu kiểm chứng: 1" in overview.text
    total = len(svc.self_scored(current_set()))
    assert f"{len(SEEDS)}/{total} tiêu chí · 6,5/" in overview.text
    assert "Chỉ số tạm tính: <b>6,56 %</b>" in overview.text and "<b>Yếu</b>" in overview.text
    labels = [t for t, _ in overview.buttons]
    assert texts.BTN_CHART in labels and texts.BTN_XLSX in labels and texts.BTN_LOCK in labels
    assert texts.BTN_UNITS not in labels  # only admins choose a unit

    department = _msg(await harness.press(me, overview.button("Phòng Tư pháp")))
    assert "⚠️ <b>2.5</b>" in department.text and "1,25/1,5 điểm" in department.text
    assert "⬜ <b>2.2.1</b>" in department.text and "chưa chấm" in department.text
    assert [t for t, _ in department.buttons][:2] == ["2.1", "2.5"]

    answer = _msg(await harness.press(me, department.button("2.5")))
    assert "Điểm tự chấm: <b>1,25/1,5</b>" in answer.text
    assert "Cách tính 2.5" in answer.text and "còn thiếu — bổ sung sau" in answer.text
    assert "Người chấm: Trần Thị Bình · cập nhật 08/11/2021 10:05" in answer.text
    assert texts.BTN_RETURN in [t for t, _ in answer.buttons]

    explained = _msg(await harness.press(me, _cb(unit_a, "ans", "VP", "3.4.1")))
    assert "Giải trình: Phần mềm một cửa chưa xuất được báo cáo năm" in explained.text
    # An unscored criterion has no answer to open.
    assert (
        "chưa được chấm" in _alert(await harness.press(me, _cb(unit_a, "ans", "TP", "2.3"))).text
    )


async def test_return_with_comment_notifies_officer_and_reopens(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, _ = await _setup(session_factory)
    me = harness.user(COORDINATOR)
    prompt = _msg(await harness.press(me, _cb(unit_a, "ret", "TP", "2.5")))
    assert "Trả lại tiêu chí <b>2.5</b>" in prompt.text and "Phòng Tư pháp" in prompt.text

    # A command-looking text is not taken as the comment.
    assert "đang chờ <b>nhận xét</b>" in _msg(await harness.send(me, "/abc")).text
    assert (await _answer(session_factory, "2.5")).returned_comment is None

    done = _msg(await harness.send(me, "Bổ sung kế hoạch phổ biến <pháp luật> năm 2021"))
    assert "Đã trả lại tiêu chí <b>2.5</b>" in done.text and "1 cán bộ" in done.text
    stored = await _answer(session_factory, "2.5")
    assert stored.returned_comment == "Bổ sung kế hoạch phổ biến <pháp luật> năm 2021"
    assert stored.points == Decimal("1.25")  # the figures stay until it is scored again
    trail = await _audit(session_factory)
    assert (trail[-1].action, trail[-1].actor, trail[-1].code) == ("return", COORDINATOR, "2.5")

    # The officers of Phòng Tư pháp (and nobody else) get the comment through the outbox.
    async with session_factory() as session:
        queued = list((await session.execute(select(OutboxMessage))).scalars())
    assert [m.chat_id for m in queued] == [OFFICER_TP]
    sender = OutboxSender(
        harness.bot, session_factory, SystemClock(), rate=30, blocked_text=lambda p: ""
    )
    assert await sender.run_once() == 1
    delivered = [r for r in harness.session.requests if getattr(r, "chat_id", None) == OFFICER_TP]
    assert len(delivered) == 1
    text = str(getattr(delivered[0], "text", ""))
    assert "trả lại tiêu chí 2.5" in text and "&lt;pháp luật&gt;" in text and "/chamdiem" in text

    # The criterion is open again for the department.
    async with session_factory() as session:
        assessment = await _assessment(session_factory)
        progress = await svc.progress(session, assessment, current_set(), "TP")
    assert "2.5" in progress.returned and "2.5" in progress.pending
    again = _msg(await harness.send(me, "/tiendo"))
    assert "trả lại: 1" in again.text


async def test_lock_refuses_officer_saves_and_reopen_is_audited(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, _ = await _setup(session_factory)
    me = harness.user(COORDINATOR)
    officer = harness.user(OFFICER_TP)
    aid = (await _assessment(session_factory)).id
    # The officer is mid-way through 2.2.1 when the coordinator locks.
    await harness.press(officer, ScoreCb(action="open", aid=aid, code="2.2.1").pack())
    confirm = _msg(await harness.press(officer, ScoreCb(action="y", aid=aid, code="2.2.1").pack()))

    ask = _msg(await harness.press(me, _cb(unit_a, "lk")))
    assert "Chốt và khóa bản tự đánh giá của UBND huyện A?" in ask.text
    assert (await _assessment(session_factory)).status == "open"  # nothing before confirming
    sent = await harness.press(me, ask.button(texts.BTN_LOCK_CONFIRM))
    assert "Đã chốt và khóa" in _msg(sent).text
    locked = await _assessment(session_factory)
    assert (locked.status, locked.locked_by) == ("locked", COORDINATOR)
    assert texts.BTN_REOPEN in [t for t, _ in sent[1].buttons]

    refused = await harness.press(officer, confirm.button("💾 Lưu"))
    assert "đã được Phòng Nội vụ khóa" in " ".join(s.text for s in refused)
    async with session_factory() as session:
        assert (
            await session.execute(select(Answer).where(Answer.code == "2.2.1"))
        ).scalar_one_or_none() is None
    # Nor can the coordinator return an item of a locked assessment.
    assert "mở khóa trước" in _alert(await harness.press(me, _cb(unit_a, "ret", "TP", "2.5"))).text
    assert "khóa từ trước" in _alert(await harness.press(me, _cb(unit_a, "lky"))).text

    opened = await harness.press(me, _cb(unit_a, "op"))
    assert "Đã mở khóa" in _msg(opened).text
    assert (await _assessment(session_factory)).status == "open"
    trail = [(a.action, a.actor) for a in await _audit(session_factory)]
    assert trail[-2:] == [("lock", COORDINATOR), ("reopen", COORDINATOR)]
    assert "đang mở" in _alert(await harness.press(me, _cb(unit_a, "op"))).text


async def test_forged_buttons_change_nothing(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, unit_b = await _setup(session_factory)
    other = harness.user(OTHER_COORDINATOR)
    before = len(await _audit(session_factory))
    for action, dep, code in [
        ("ov", "", ""),
        ("ans", "TP", "2.5"),
        ("ret", "TP", "2.5"),
        ("lky", "", ""),
        ("xx", "", ""),
        ("ch", "", ""),
    ]:
        alert = _alert(await harness.press(other, _cb(unit_a, action, dep, code)))
        assert alert.text == texts.FORBIDDEN
    me = harness.user(COORDINATOR)
    for action, dep, code in [
        ("dep", "XX", ""),  # no such department
        ("ans", "TP", "3.4.1"),  # not Phòng Tư pháp's
        ("ans", "NV", "8.1"),  # a survey criterion
        ("zz", "", ""),
    ]:
        assert _alert(await harness.press(me, _cb(unit_a, action, dep, code))).text == texts.STALE
    # Officers cannot use the coordinator's buttons at all.
    officer_sent = await harness.press(harness.user(OFFICER_TP), _cb(unit_a, "lky"))
    assert all("Đã chốt" not in s.text for s in officer_sent)
    assert (await _assessment(session_factory)).status == "open"
    assert (await _answer(session_factory, "2.5")).returned_comment is None
    assert len(await _audit(session_factory)) == before
    # The other coordinator's own unit works.
    assert "UBND huyện B" in _msg(await harness.press(other, _cb(unit_b, "ov"))).text


def _file(harness: Harness, method: type[Any]) -> bytes:
    sent = [r for r in harness.session.requests if isinstance(r, method)]
    assert sent
    media = getattr(sent[-1], "document", None) or getattr(sent[-1], "photo", None)
    assert isinstance(media, BufferedInputFile)
    return media.data


async def test_export_and_chart_are_sent(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    unit_a, _ = await _setup(session_factory)
    me = harness.user(COORDINATOR)
    sent = await harness.press(me, _cb(unit_a, "xx"))
    document = [s for s in sent if s.method == "sendDocument"]
    assert len(document) == 1 and "UBND huyện A (XLSX)" in document[0].text
    ws = load_workbook(io.BytesIO(_file(harness, SendDocument))).active
    assert ws is not None
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0]}
    for seed in SEEDS:
        assert Decimal(str(rows[seed.code][3])) == Decimal(seed.points)

    sent = await harness.press(me, _cb(unit_a, "xc"))
    assert [s.method for s in sent if s.method.startswith("send")] == ["sendDocument"]
    assert _file(harness, SendDocument).startswith(b"\xef\xbb\xbf")

    sent = await harness.press(me, _cb(unit_a, "ch"))
    assert [s.method for s in sent if s.method.startswith("send")] == ["sendPhoto"]
    assert _file(harness, SendPhoto)[:8] == b"\x89PNG\r\n\x1a\n"


async def test_admin_chooses_a_unit(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _setup(session_factory)
    admin = harness.user(ADMIN_ID)
    units = _msg(await harness.send(admin, "/tiendo"))
    assert [t for t, _ in units.buttons] == ["UBND huyện A", "UBND huyện B"]
    overview = _msg(await harness.press(admin, units.button("UBND huyện A")))
    assert "UBND huyện A" in overview.text and texts.BTN_UNITS in [t for t, _ in overview.buttons]
    # Unknown unit ids are stale for admins.
    assert _alert(await harness.press(admin, _cb(9999, "ov"))).text == texts.STALE
    # Guests and officers get no coordinator view.
    assert all(
        "Tiến độ tự chấm" not in s.text for s in await harness.send(harness.user(5), "/tiendo")
    )
