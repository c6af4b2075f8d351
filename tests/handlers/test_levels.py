"""Levels through the real dispatcher: district units on huyen-2021 and commune units on
xa-2025 in one database, each person scoring, asking and browsing their own set; guests
choosing a level; last year read-only after the rollover; forged buttons across sets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiogram.types import User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import load_data
from bot.db.models import Assessment, Evidence, LevelChoice, Person, QuestionLog, Unit
from bot.services import assessments as svc
from bot.services import years
from bot.services.people import add_unit
from bot.settings import Settings
from handlers.callbacks import AskCb, CoordCb, LevelCb, ScoreCb
from tests.conftest import write_next_year_set
from tests.recording import Harness, Sent, build_harness

DISTRICT_OFFICER, COMMUNE_OFFICER, COMMUNE_COORDINATOR, GUEST = 31, 32, 33, 34
NOW = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)


async def _province(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session, session.begin():
        district = await add_unit(session, "huyen-a", "UBND huyện A", "huyen")
        commune = await add_unit(session, "xa-b", "UBND xã B", "xa")
        session.add_all(
            [
                Person(telegram_id=DISTRICT_OFFICER, display_name="Hà", role="officer",
                       unit_id=district.id, department="TP"),
                Person(telegram_id=COMMUNE_OFFICER, display_name="Xuân", role="officer",
                       unit_id=commune.id, department="KT"),
                Person(telegram_id=COMMUNE_COORDINATOR, display_name="Nam",
                       role="coordinator", unit_id=commune.id),
            ]
        )


def _msg(sent: list[Sent]) -> Sent:
    messages = [s for s in sent if s.method == "sendMessage"]
    assert messages, sent
    return messages[-1]


def _alert(sent: list[Sent]) -> str:
    answers = [s for s in sent if s.method == "answerCallbackQuery" and s.show_alert]
    assert answers and not [s for s in sent if s.method == "sendMessage"], sent
    return answers[0].text


async def _assessments(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, int]]:
    async with factory() as session:
        rows = await session.execute(
            select(Unit.code, Assessment.set_id, Assessment.year)
            .join(Unit, Unit.id == Assessment.unit_id)
            .order_by(Unit.code)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _score_first(harness: Harness, officer: User) -> Sent:
    """Score the officer's first criterion with its first choice; the evidence step."""
    overview = _msg(await harness.send(officer, "/chamdiem"))
    step = _msg(await harness.press(officer, overview.button("▶️ Chấm tiếp")))
    choice = next(d for _, d in step.buttons if d.startswith("sc:t:") or d.startswith("sc:y:"))
    confirm = _msg(await harness.press(officer, choice))
    return _msg(await harness.press(officer, confirm.button("💾 Lưu")))


async def test_each_officer_scores_their_own_set(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _province(session_factory)
    district = _msg(await harness.send(harness.user(DISTRICT_OFFICER), "/chamdiem"))
    commune = _msg(await harness.send(harness.user(COMMUNE_OFFICER), "/chamdiem"))
    assert "0/6 tiêu chí" in district.text
    assert "0/9 tiêu chí" in commune.text  # Phòng Kinh tế's leaves of xa-2025
    assert await _assessments(session_factory) == [
        ("huyen-a", "huyen-2021", 2021),
        ("xa-b", "xa-2025", 2025),
    ]
    me = harness.user(COMMUNE_OFFICER)
    step = _msg(await harness.press(me, commune.button("▶️ Chấm tiếp")))
    assert "Tiêu chí 6.1" in step.text
    # The district officer's button (another assessment, another set) does nothing here.
    district_aid = int(district.button("▶️ Chấm tiếp").split(":")[2])
    forged = await harness.press(me, ScoreCb(action="open", aid=district_aid, code="2.1").pack())
    assert forged and not [s for s in forged if "Tiêu chí 2.1" in s.text]


async def test_questions_and_cards_come_from_the_askers_set(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _province(session_factory)
    commune = _msg(await harness.send(harness.user(COMMUNE_OFFICER), "tiêu chí 3.4.1"))
    district = _msg(await harness.send(harness.user(DISTRICT_OFFICER), "tiêu chí 3.4.1"))
    assert "Tỷ lệ hồ sơ TTHC được giải quyết trước hạn, đúng hạn" in commune.text
    assert "cấp huyện giải quyết đúng hạn" not in commune.text
    assert "Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn" in district.text
    async with session_factory() as session:
        logged = (
            await session.execute(
                select(QuestionLog.telegram_id, QuestionLog.set_id).order_by(QuestionLog.id)
            )
        ).all()
    assert [tuple(r) for r in logged] == [
        (COMMUNE_OFFICER, "xa-2025"),
        (DISTRICT_OFFICER, "huyen-2021"),
    ]
    # /tieuchi shows each their own tree.
    assert "cấp xã" in _msg(await harness.send(harness.user(COMMUNE_OFFICER), "/tieuchi")).text
    assert "cấp huyện" in _msg(await harness.send(harness.user(DISTRICT_OFFICER), "/tieuchi")).text
    # An entry of the district set opened by a commune officer (a forged button): refused.
    entry = next(e for e in harness.dp["bot_data"].entries if e.sets == ("huyen-2021",))
    forged = AskCb(action="e", ref=entry.id).pack()
    assert "hết hiệu lực" in _alert(await harness.press(harness.user(COMMUNE_OFFICER), forged))


async def test_guest_chooses_a_level_once(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    guest = harness.user(GUEST)
    first = _msg(await harness.send(guest, "/tieuchi"))
    assert "cấp huyện" in first.text and "/capdo" in first.text  # the default set
    choose = _msg(await harness.send(guest, "/capdo"))
    assert "✅ Cấp huyện" in [t for t, _ in choose.buttons]
    assert not any("huyen-2021" in t for t, _ in choose.buttons)  # sets by name, not id
    # A level no set declares (a forged button) is refused and nothing is stored.
    forged = await harness.press(guest, LevelCb(level="tinh").pack())
    assert "Cấp đơn vị «tinh» không có bộ tiêu chí nào" in _alert(forged)
    async with session_factory() as session:
        assert await session.get(LevelChoice, GUEST) is None
    done = _msg(await harness.press(guest, choose.button("Cấp xã")))
    assert "Đã chọn cấp xã" in done.text
    tree = _msg(await harness.send(guest, "/tieuchi"))
    assert "cấp xã" in tree.text
    card = _msg(await harness.send(guest, "tc 3.4.1"))
    assert "Tỷ lệ hồ sơ TTHC được giải quyết trước hạn, đúng hạn" in card.text
    async with session_factory() as session:
        choice = await session.get(LevelChoice, GUEST)
        assert choice is not None and choice.level == "xa"
    # Remembered across /huy.
    await harness.send(guest, "/huy")
    assert "cấp xã" in _msg(await harness.send(guest, "/tieuchi")).text


async def test_last_year_is_read_only_in_tiendo_after_the_rollover(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    sets = write_next_year_set(tmp_path / "sets")
    data = load_data(settings.model_copy(update={"criteria_dir": sets}))
    harness = build_harness(settings, data, data.index(), session_factory)
    await _province(session_factory)
    officer, coordinator = harness.user(COMMUNE_OFFICER), harness.user(COMMUNE_COORDINATOR)
    evidence = await _score_first(harness, officer)  # 2025: criterion 6.1, with a decision
    got = _msg(await harness.send(officer, "Quyết định số 12/QĐ-UBND ngày 02/3/2025"))
    _msg(await harness.press(officer, got.button("✅ Đúng, lưu")))
    assert "Năm trước" not in evidence.text
    before = _msg(await harness.send(coordinator, "/tiendo"))  # its buttons are 2025's
    async with session_factory() as session, session.begin():
        opened = await years.open_year(
            session, data.catalogue, year=2026, set_id="xa-2026", actor=None, now=NOW
        )
    assert opened.closed == 1
    # A button made before the rollover acts on its own year, now closed — never on 2026.
    assert "Năm đánh giá 2025 đã khép lại" in _alert(
        await harness.press(coordinator, before.button("🔒 Chốt và khóa"))
    )
    old_export = await harness.press(coordinator, before.button("📥 Xuất XLSX"))
    old_files = [s for s in old_export if s.method == "sendDocument"]
    assert old_files and "· năm đánh giá 2025" in old_files[0].text
    async with session_factory() as session:
        statuses = (await session.execute(select(Assessment.year, Assessment.status))).all()
        assert sorted(statuses) == [(2025, "closed")]  # no 2026 assessment made, none locked
    # ... and an officer's old scoring button says so too (not "không có quyền").
    old_step = next(data for _, data in evidence.buttons if data.startswith("sc:"))
    assert "Năm đánh giá 2025 đã khép lại" in _alert(await harness.press(officer, old_step))
    overview = _msg(await harness.send(coordinator, "/tiendo"))
    assert " · năm đánh giá 2026" in overview.text and "xa-2026" not in overview.text
    unit_id = int(overview.button("📁 Năm 2025").split(":")[2])
    past = await harness.press(coordinator, overview.button("📁 Năm 2025"))
    shown = [s for s in past if s.method in ("editMessageText", "sendMessage")]
    assert shown and "năm 2025 đã khép lại" in shown[-1].text
    assert "🔒" not in [t[:1] for t, _ in shown[-1].buttons]  # no lock or reopen button
    export = await harness.press(coordinator, shown[-1].button("📥 Xuất XLSX"))
    files = [s for s in export if s.method == "sendDocument"]
    assert files and "· năm đánh giá 2025" in files[0].text and "xa-2025" not in files[0].text
    for forged in (
        CoordCb(action="lk", unit=unit_id, y=2025),
        CoordCb(action="op", unit=unit_id, y=2025),
    ):
        assert "Năm đánh giá 2025 đã khép lại" in _alert(
            await harness.press(coordinator, forged.pack())
        )
    stale = await harness.press(coordinator, CoordCb(action="ov", unit=unit_id, y=2019).pack())
    assert "hết hiệu lực" in _alert(stale)
    # The officer now scores 2026 on xa-2026; 2025 is kept as it was. Last year's decision
    # is offered at the evidence step, and only added when the officer taps it.
    evidence = await _score_first(harness, officer)
    assert "Năm trước đơn vị đã dùng cho tiêu chí này" in evidence.text
    assert "12/QĐ-UBND" in evidence.text
    async with session_factory() as session:
        rows = (await session.execute(select(Evidence).order_by(Evidence.id))).scalars().all()
        assert [e.text for e in rows] == ["Quyết định số 12/QĐ-UBND ngày 02/3/2025"]
        old_id = rows[0].id
    aid = int(evidence.button("📋 Dùng lại 1").split(":")[2])
    forged = ScoreCb(action="ru", aid=aid, code="6.1", value=old_id + 99).pack()
    refused = _msg(await harness.press(officer, forged))
    assert "không còn để dùng lại" in refused.text
    reused = _msg(await harness.press(officer, evidence.button("📋 Dùng lại 1")))
    assert "Đã thêm tài liệu năm trước" in reused.text and "Dùng lại" not in str(reused.buttons)
    async with session_factory() as session:
        rows = (await session.execute(select(Evidence).order_by(Evidence.id))).scalars().all()
        assert [e.text for e in rows] == ["Quyết định số 12/QĐ-UBND ngày 02/3/2025"] * 2
        assert rows[0].answer_id != rows[1].answer_id
    assert await _assessments(session_factory) == [
        ("xa-b", "xa-2025", 2025),
        ("xa-b", "xa-2026", 2026),
    ]
    async with session_factory() as session:
        rows = (await session.execute(select(Assessment).order_by(Assessment.year))).scalars()
        assert [a.status for a in rows] == [svc.CLOSED, svc.OPEN]


def test_level_and_year_buttons_fit_in_64_bytes() -> None:
    """The longest data the new buttons can carry (a year, a level, an evidence id)."""
    longest = [
        CoordCb(action="units", unit=2**31 - 1, dep="A" * 16, code="99.99.99.99", y=2100),
        LevelCb(level="huyen"),
        ScoreCb(action="ru", aid=2**31 - 1, code="99.99.99.99", part=9, value=2**31 - 1),
    ]
    for data in longest:
        assert len(data.pack().encode()) <= 64, data.pack()


async def test_each_sees_their_own_sets_calendar(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _province(session_factory)
    commune = _msg(await harness.send(harness.user(COMMUNE_OFFICER), "/hanchot")).text
    district = _msg(await harness.send(harness.user(DISTRICT_OFFICER), "/hanchot")).text
    assert "Trung tâm Phục vụ hành chính công tự chấm điểm" in commune
    assert "Phòng Kinh tế" in commune
    assert "Trung tâm Phục vụ hành chính công" not in district
    assert "Các phòng tự chấm điểm" in district and "Phòng Tư pháp" in district
