"""End to end over HTTP: one province, district units on huyen-2021 and commune units on
xa-2025 in one database; each officer scores, asks and browses their own set; then the
commune level's year 2026 is opened with ``cchc-bot year open`` while the bot runs: last
year stays viewable and exportable but closed, the new year is scored on xa-2026."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Assessment, Evidence, Unit
from bot.fakeapi import FakeBotAPI, FakeUser, SentMessage
from bot.services.people import Role, add_unit, create_invite
from tests.conftest import write_next_year_set
from tests.e2e import BotProcess, labels, user_ids

pytestmark = pytest.mark.e2e
REPLY = 15


async def _invite(
    factory: async_sessionmaker[AsyncSession], role: Role, unit: str, dept: str | None
) -> str:
    async with factory() as session, session.begin():
        invite = await create_invite(
            session,
            role=role,
            unit_code=unit,
            department=dept,
            created_by=None,
            ttl=timedelta(hours=2),
            now=datetime.now(UTC),
        )
        return invite.code


async def _join(api: FakeBotAPI, user_id: int, code: str) -> FakeUser:
    user = api.user(user_id)
    await user.send(f"/start {code}")
    await user.wait_messages(2, timeout=REPLY)
    return user


async def _say(user: FakeUser, text: str) -> SentMessage:
    await user.send(text)
    (reply,) = await user.wait_messages(1, timeout=REPLY)
    return reply


def _data(message: SentMessage, prefix: str) -> str:
    found = next((d for row in message.buttons for t, d in row if t.startswith(prefix)), None)
    assert found is not None, (prefix, message.buttons)
    return found


async def _press(user: FakeUser, message: SentMessage, prefix: str) -> SentMessage:
    await user.press(_data(message, prefix), message=message)
    (reply,) = await user.wait_messages(1, timeout=REPLY)
    return reply


async def _score_first(user: FakeUser) -> SentMessage:
    """The officer's first criterion, its first choice, saved: the evidence step."""
    overview = await _say(user, "/chamdiem")
    step = await _press(user, overview, "▶️ Chấm tiếp")
    choice = next(d for row in step.buttons for _, d in row if d.startswith(("sc:t:", "sc:y:")))
    await user.press(choice, message=step)
    (confirm,) = await user.wait_messages(1, timeout=REPLY)
    return await _press(user, confirm, "💾 Lưu")


def _cli(process: BotProcess, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=process.data_dir,
        env=process.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_district_and_commune_units_side_by_side_and_the_rollover(
    api: FakeBotAPI,
    bot_process: BotProcess,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    sets = write_next_year_set(tmp_path / "sets")
    bot_process.extra_env["CRITERIA_DIR"] = str(sets)
    async with session_factory() as session, session.begin():
        await add_unit(session, "huyen-a", "UBND huyện A", "huyen")
        await add_unit(session, "xa-b", "UBND xã B", "xa")
    codes = [
        await _invite(session_factory, Role.OFFICER, "huyen-a", "TP"),
        await _invite(session_factory, Role.OFFICER, "xa-b", "KT"),
        await _invite(session_factory, Role.COORDINATOR, "xa-b", None),
    ]
    await bot_process.start()
    ids = user_ids(4)
    district, commune, coordinator = [
        await _join(api, uid, code) for uid, code in zip(ids, codes, strict=False)
    ]
    guest = api.user(ids[3])

    # Asking and browsing: each their own set; a guest the default until they choose.
    assert "Tỷ lệ hồ sơ TTHC được giải quyết trước hạn, đúng hạn" in (
        await _say(commune, "tiêu chí 3.4.1")
    ).text
    assert "Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn" in (
        await _say(district, "tiêu chí 3.4.1")
    ).text
    assert "cấp xã" in (await _say(commune, "/tieuchi")).text
    assert "cấp huyện" in (await _say(guest, "/tieuchi")).text
    choose = await _say(guest, "/capdo")
    assert "Đã chọn cấp xã" in (await _press(guest, choose, "Cấp xã")).text
    assert "cấp xã" in (await _say(guest, "/tieuchi")).text

    # Scoring: the district officer on huyen-2021, the commune officer on xa-2025.
    assert "0/6 tiêu chí" in (await _say(district, "/chamdiem")).text
    evidence = await _score_first(commune)
    assert "Tiêu chí 6.1" in evidence.text or "6.1" in evidence.text
    preview = await _say(commune, "Quyết định số 12/QĐ-UBND ngày 02/3/2025")
    await _press(commune, preview, "✅ Đúng, lưu")

    # The rollover, from the command line while the bot runs: bad input first.
    bad = _cli(bot_process, "year", "open", "2026", "--set", "xa-2025")
    assert bad.returncode == 2 and "bản sao với id và năm 2026" in bad.stderr
    done = _cli(bot_process, "year", "open", "2026", "--set", "xa-2026")
    assert done.returncode == 0, done.stderr
    assert "1 bản tự đánh giá năm trước được khép lại" in done.stdout

    # The coordinator sees 2026 and opens 2025, closed, and exports it.
    progress = await _say(coordinator, "/tiendo")
    assert " · năm đánh giá 2026" in progress.text and "xa-2026" not in progress.text
    assert "📁 Năm 2025 (chỉ xem)" in labels(progress)
    past = await _press(coordinator, progress, "📁 Năm 2025")  # the same message, edited
    assert past.message_id == progress.message_id and "năm 2025 đã khép lại" in past.text
    assert not [t for t in labels(past) if t.startswith("🔒")]
    xlsx = await _press(coordinator, past, "📥 Xuất XLSX")
    assert xlsx.document is not None
    assert xlsx.document.file_name == "cchc-xa-2025-y2025-xa-b.xlsx"
    sheet = load_workbook(io.BytesIO(xlsx.document.content)).active
    assert sheet is not None
    assert sheet["A4"].value == "Bộ tiêu chí: xa-2025 · Năm đánh giá: 2025"
    row = next(r for r in sheet.iter_rows() if r[0].value == "6.1")
    assert "12/QĐ-UBND" in str([c.value for c in row])

    # The commune officer scores 2026 on xa-2026; last year's decision is offered, not copied.
    evidence = await _score_first(commune)
    assert "Năm trước đơn vị đã dùng cho tiêu chí này" in evidence.text
    reused = await _press(commune, evidence, "📋 Dùng lại 1")
    assert "Đã thêm tài liệu năm trước" in reused.text
    # The district officer is still on 2021.
    assert "0/6 tiêu chí" in (await _say(district, "/chamdiem")).text

    async with session_factory() as session:
        rows = await session.execute(
            select(Unit.code, Assessment.set_id, Assessment.year, Assessment.status)
            .join(Unit, Unit.id == Assessment.unit_id)
            .order_by(Unit.code, Assessment.year)
        )
        assert [tuple(r) for r in rows] == [
            ("huyen-a", "huyen-2021", 2021, "open"),
            ("xa-b", "xa-2025", 2025, "closed"),
            ("xa-b", "xa-2026", 2026, "open"),
        ]
        texts = (await session.execute(select(Evidence.text))).scalars().all()
        assert texts == ["Quyết định số 12/QĐ-UBND ngày 02/3/2025"] * 2
