"""End to end over HTTP: the coordinator locks while an officer is mid-step — the officer sees
the lock on the very press (one callback answer) and on /chamdiem; then the exports of an
assessment whose evidence starts with "=1+1" open with no formula cell."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Evidence
from bot.fakeapi import FakeBotAPI, FakeUser, SentMessage
from bot.services.people import Role
from tests.e2e import BotProcess, invite_code, labels, user_ids

pytestmark = pytest.mark.e2e
REPLY = 60.0


async def _register(
    api: FakeBotAPI,
    factory: async_sessionmaker[AsyncSession],
    uid: int,
    name: str,
    role: Role,
    dept: str,
) -> FakeUser:
    code = await invite_code(factory, role, dept)
    user = api.user(uid, first_name=name)
    await user.send(f"/start {code}")
    registered, _menu = await user.wait_messages(2, timeout=REPLY)
    assert "Đăng ký thành công" in registered.text, registered.text
    return user


async def _press(user: FakeUser, message: SentMessage, prefix: str) -> SentMessage:
    data = next((d for row in message.buttons for t, d in row if t.startswith(prefix)), None)
    assert data is not None, (prefix, labels(message))
    await user.press(data, message=message)
    (reply,) = await user.wait_messages(1, timeout=REPLY)
    return reply


async def _say(user: FakeUser, text: str) -> SentMessage:
    await user.send(text)
    (reply,) = await user.wait_messages(1, timeout=REPLY)
    return reply


async def test_lock_mid_step_and_safe_exports(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    officer_id, coordinator_id = user_ids(2)
    await bot_process.start()
    officer = await _register(api, session_factory, officer_id, "Bình", Role.OFFICER, "TP")
    coordinator = await _register(
        api, session_factory, coordinator_id, "An", Role.COORDINATOR, "NV"
    )

    # The officer scores 2.1 with evidence that starts like a formula, then explains 2.2.1.
    overview = await _say(officer, "/chamdiem")
    step = await _press(officer, overview, "▶️ Chấm tiếp")
    confirm = await _press(officer, step, "✅ Có")
    evidence = await _press(officer, confirm, "💾 Lưu")
    refused = await _say(officer, "=1+1")
    assert "Nội dung quá ngắn" in refused.text
    preview = await _say(officer, "=1+1 Kế hoạch 45/KH-UBND ngày 12/3/2021")
    assert "Số: 45/KH-UBND" in preview.text and "Ngày: 12/03/2021" in preview.text
    got = await _press(officer, preview, "✅ Đúng, lưu")
    assert "tổng 1 tài liệu" in got.text
    step = await _press(officer, got, "✅ Xong")
    assert "Tiêu chí thành phần 2.2.1" in step.text
    confirm = await _press(officer, step, "✅ Có")
    explain = await _press(officer, await _press(officer, confirm, "💾 Lưu"), "✍️ Không có")
    step = await _say(officer, '=HYPERLINK("http://x.example","bấm vào đây để xem")')
    assert "Tiêu chí thành phần 2.2.2" in step.text
    # A legacy evidence row of exactly "=1+1" (typed before evidence was checked).
    async with session_factory() as session, session.begin():
        ans = (await session.execute(select(Answer).where(Answer.code == "2.1"))).scalar_one()
        session.add(
            Evidence(
                answer_id=ans.id,
                kind="text",
                text="=1+1",
                author=officer_id,
                created_at=datetime.now(UTC),
            )
        )
    del explain, evidence

    # Mid-step: 2.2.2 read as 9/10, waiting for «💾 Lưu».
    confirm = await _say(officer, "9/10")
    assert "Điểm tự chấm: 0,5/1" in confirm.text

    # The coordinator locks the assessment.
    progress = await _say(coordinator, "/tiendo")
    ask = await _press(coordinator, progress, "🔒 Chốt và khóa")
    overview_after = await _press(coordinator, ask, "✅ Đồng ý chốt và khóa")
    (locked,) = await coordinator.wait_messages(1, timeout=REPLY)  # the overview, then this
    assert "khóa" in locked.text
    del overview_after

    # The officer presses «💾 Lưu»: one answer (the lock notice), then the locked overview.
    before = len(officer.callback_answers)
    data = next(d for row in confirm.buttons for t, d in row if t.startswith("💾 Lưu"))
    query_id = await officer.press(data, message=confirm)
    (shown,) = await officer.wait_messages(1, timeout=REPLY)
    await api.wait_idle()
    answers = [
        p for p in api.calls_of("answerCallbackQuery") if p.get("callback_query_id") == query_id
    ]
    assert len(answers) == 1, answers
    alert = officer.callback_answers[before]
    assert alert.show_alert and "khóa" in (alert.text or "")
    assert "đã được khóa để nộp" in shown.text and "An" in shown.text
    assert "Điểm tự chấm" not in shown.text
    async with session_factory() as session:
        codes = set((await session.execute(select(Answer.code))).scalars())
    assert codes == {"2.1", "2.2.1"}  # 2.2.2 was not saved

    # /chamdiem: locked, by whom and when, with the read-only view — not the step.
    again = await _say(officer, "/chamdiem")
    assert "đã được khóa để nộp" in again.text and "bởi An" in again.text
    assert "Tiếp tục từ chỗ" not in again.text
    view = await _press(officer, again, "👁 Xem bản đã chấm")
    assert "chỉ đọc" in view.text and "2.2.2" in view.text

    # Exports: no formula cell in the XLSX, every dangerous cell prefixed in the CSV.
    progress = await _say(coordinator, "/tiendo")
    xlsx = await _press(coordinator, progress, "📥 Xuất XLSX")
    assert xlsx.document is not None and xlsx.document.file_name.endswith(".xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.document.content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    ws = load_workbook(io.BytesIO(xlsx.document.content)).active
    assert ws is not None
    row = next(r for r in ws.iter_rows() if r[0].value == "2.1")
    assert row[5].data_type == "s" and row[5].value.startswith("=1+1 Kế hoạch")
    assert "\n=1+1" in row[5].value
    row = next(r for r in ws.iter_rows() if r[0].value == "2.2.1")
    assert row[6].data_type == "s" and row[6].value.startswith("=HYPERLINK(")

    csv_msg = await _press(coordinator, progress, "📥 Xuất CSV")
    assert csv_msg.document is not None
    table = list(csv.reader(io.StringIO(csv_msg.document.content.decode("utf-8-sig"))))
    by_code = {r[0]: r for r in table if r and r[0]}
    assert by_code["2.1"][5].startswith("'=1+1 Kế hoạch")
    assert by_code["2.2.1"][6].startswith("'=HYPERLINK(")
    for r in table:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
